import os
import shutil

import pytest

# Tests never touch the user's cache: bank embeddings and reply caches go to a per-run folder.
os.environ.setdefault("ARCHER_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".cache", "archer-gym"))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# Headless Chromium for the leaderboard page tests (test_leaderboard_server, test_leaderboard_limits).
def chromium() -> str | None:
    explicit = os.environ.get("ARCHER_CHROMIUM")
    return explicit or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    executable = chromium()
    if executable is None:
        if os.environ.get("ARCHER_REQUIRE_BROWSER") == "1":
            pytest.fail("ARCHER_REQUIRE_BROWSER=1 but no chromium: `python3 bootstrap.py test` installs it")
        pytest.skip("no chromium on this machine (install Debian's chromium or set ARCHER_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True)
        yield b
        b.close()
