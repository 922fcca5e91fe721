import os

# Tests never touch the user's cache: bank embeddings and reply caches go to a per-run folder.
os.environ.setdefault("ARCHER_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".cache", "archer-gym"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
