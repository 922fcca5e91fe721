"""BM25 search over the catalogue (``bm25s``): title, description, features and option values."""

from __future__ import annotations

import bm25s
import numpy as np

from archer_envs.webshop.catalogue import Product

MAX_RESULTS = 50  # as WebShop: the top 50, shown 10 per page


class SearchEngine:
    def __init__(self, products: list[Product]) -> None:
        self.asins = [p.asin for p in products]
        tokens = bm25s.tokenize([p.search_text for p in products], stopwords="en", show_progress=False)
        self.retriever = bm25s.BM25()
        self.retriever.index(tokens, show_progress=False)

    def search(self, query: str, k: int = MAX_RESULTS) -> list[str]:
        """ASINs of the best matches, best first; empty when no word of the query is indexed."""
        tokens = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)
        if not tokens or not tokens[0]:
            return []
        docs, scores = self.retriever.retrieve(tokens, k=min(k, len(self.asins)), show_progress=False)
        return [self.asins[int(d)] for d, s in zip(docs[0], scores[0]) if s > 0 and np.isfinite(s)]
