"""WebShop, in-process and offline: search a shop and buy what the instruction asks for.

Pages and actions follow WebShop's text mode (Yao et al. 2022). Actions: ``search[query]`` (on the
search page) and ``click[...]`` on a clickable (case-insensitive):

    search page    the instruction and the search box
    results        Back to Search, < Prev / Next > (10 per page, 50 results at most), product ids
    item page      Back to Search, < Prev, the option values (click one to choose it), Description,
                   Features, Reviews, Buy Now
    sub-pages      Description / Features / Reviews text, with Back to Search and < Prev

Observation: the page's visible strings joined by `` [SEP] ``, with the instruction; on the item page
the options chosen so far are listed after them (``Selected: size: large``). An invalid or
unavailable action leaves the page as it was, costs a step, sets ``info["valid"] = False`` and
starts the observation with ``Invalid action: ... [SEP]``.

Reward: 0 until Buy Now, then WebShop's score (:mod:`archer_envs.webshop.reward`); success is a
score of 1. The episode ends on Buy Now (terminated) or after ``max_steps`` actions (15 by default;
ArCHer used 10). ``info``: ``page``, ``clickables``, ``has_search_bar``, ``valid``, ``goal_index``,
and on Buy Now ``success``, ``score`` components, ``asin`` and ``options`` bought.

Env kwargs: ``num_products`` (1,000; any size up to 100,000 and beyond), ``catalogue_seed``,
``data_path`` (a folder with WebShop's own JSON files, see ``real_data.py``), ``max_steps``.
Reset options: ``split`` ("train" default, "test"), ``goal`` (force a goal by index).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import gymnasium as gym

from archer_envs.arguments import ResetOption, check_render_mode, positive_int, reset_options
from archer_envs.spaces import action_space, text_space
from archer_envs.text import to_ascii
from archer_envs.webshop.catalogue import SPLITS, Catalogue, Goal, generate_catalogue
from archer_envs.webshop.reward import score
from archer_envs.webshop.search import SearchEngine

SEP = " [SEP] "
PAGE_SIZE = 10
MAX_OBSERVATION_CHARS = 8192
MAX_ACTION_CHARS = 512
RESET_OPTIONS = {"split": ResetOption(str, choices=tuple(SPLITS)), "goal": ResetOption(int, nullable=True)}
_ACTION = re.compile(r"^\s*(search|click)\s*\[(.*)\]\s*$", re.I | re.S)


@lru_cache(maxsize=4)
def shop(
    num_products: int = 1000, catalogue_seed: int = 0, data_path: str | None = None
) -> tuple[Catalogue, SearchEngine]:
    """The catalogue and its search index, built once per process and shared by all envs."""
    if data_path is not None:
        from archer_envs.webshop.real_data import load_webshop

        catalogue = load_webshop(data_path)
    else:
        catalogue = generate_catalogue(num_products, catalogue_seed)
    return catalogue, SearchEngine(catalogue.products)


class WebShopEnv(gym.Env[str, str]):
    metadata = {"render_modes": ["ansi"], "render_fps": 1}
    secret_option = "goal"

    def __init__(
        self,
        num_products: int = 1000,
        catalogue_seed: int = 0,
        data_path: str | None = None,
        max_steps: int = 15,
        render_mode: str | None = None,
    ) -> None:
        self.render_mode = check_render_mode(render_mode)
        self.max_steps = positive_int("max_steps", max_steps)
        self.catalogue, self.engine = shop(num_products, catalogue_seed, None if data_path is None else str(data_path))
        self.observation_space = text_space(MAX_OBSERVATION_CHARS)
        self.action_space = action_space(MAX_ACTION_CHARS)
        self.goal: Goal | None = None

    # --- state ---------------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        # Options first: a refused reset changes nothing.
        options = reset_options(options, RESET_OPTIONS)
        split = options.get("split", "train")
        forced = options.get("goal")
        pool = self.catalogue.goal_indices(split)
        if not pool and forced is None:
            raise ValueError(f"split {split!r} has no goals in this catalogue: "
                             f"use another split or options={{'goal': i}}")
        if forced is not None and not 0 <= forced < len(self.catalogue.goals):
            raise ValueError(f"goal must be an index in [0, {len(self.catalogue.goals)}), got {forced!r}")
        super().reset(seed=seed)
        if forced is not None:
            self.goal_index = forced
        else:
            self.goal_index = pool[int(self.np_random.integers(len(pool)))]
        self.goal = self.catalogue.goals[self.goal_index]
        self.page, self.query, self.results, self.result_page = "search", "", [], 0
        self.item, self.sub_page, self.chosen = None, None, {}
        self.steps, self.done = 0, False
        return self._observation(), self._info(valid=True)

    # --- pages ---------------------------------------------------------------------------------------
    def clickables(self) -> list[str]:
        if self.page == "search":
            return []
        items = ["back to search"]
        if self.page == "results":
            if self.result_page > 0:
                items.append("< prev")
            if (self.result_page + 1) * PAGE_SIZE < len(self.results):
                items.append("next >")
            items += [a.lower() for a in self._page_results()]
        elif self.page == "item":
            items.append("< prev")
            for values in self.catalogue.by_asin[self.item].options.values():
                items += [v.lower() for v in values]
            items += ["description", "features", "reviews", "buy now"]
        else:
            items.append("< prev")
        return items

    def _page_results(self) -> list[str]:
        return self.results[self.result_page * PAGE_SIZE : (self.result_page + 1) * PAGE_SIZE]

    def _page_text(self) -> str:
        head = ["Instruction:", self.goal.instruction]
        if self.page == "search":
            return SEP.join(["WebShop", *head, "Search"])
        parts = [*head, "Back to Search"]
        if self.page == "results":
            if self.result_page > 0:
                parts.append("< Prev")
            parts.append(f"Page {self.result_page + 1} (Total results: {len(self.results)})")
            if (self.result_page + 1) * PAGE_SIZE < len(self.results):
                parts.append("Next >")
            for asin in self._page_results():
                product = self.catalogue.by_asin[asin]
                parts += [asin, product.title, f"${product.price:.2f}"]
            return SEP.join(parts)
        product = self.catalogue.by_asin[self.item]
        parts.append("< Prev")
        if self.page == "item":
            for dim, values in product.options.items():
                parts += [dim, *values]
            rating = "N.A." if product.rating is None else f"{product.rating:.1f}"
            parts += [product.title, f"Price: ${product.price:.2f}", f"Rating: {rating}",
                      "Description", "Features", "Reviews", "Buy Now"]
            if self.chosen:
                parts.append("Selected: " + ", ".join(f"{d}: {v}" for d, v in self.chosen.items()))
            return SEP.join(parts)
        text = {
            "description": product.description,
            "features": SEP.join(product.features),
            "reviews": SEP.join(product.reviews) or "No reviews yet.",
        }[self.sub_page]
        return SEP.join([*parts, text])

    def _observation(self, note: str | None = None) -> str:
        text = self._page_text()
        if note:
            text = f"Invalid action: {' '.join(note.split())}.{SEP}{text}"
        return to_ascii(text)[:MAX_OBSERVATION_CHARS]

    def _info(self, valid: bool) -> dict[str, Any]:
        return {"page": self.page, "clickables": self.clickables(), "has_search_bar": self.page == "search",
                "valid": valid, "goal_index": self.goal_index, "success": False, "turn": self.steps}

    # --- actions -------------------------------------------------------------------------------------
    def step(self, action: str):
        if self.goal is None:
            raise RuntimeError("call reset() before step()")
        if self.done:
            raise RuntimeError("this episode has ended: call reset() before step()")
        self.steps += 1
        text = action if isinstance(action, str) else str(action)
        text = text[:MAX_ACTION_CHARS]
        reward, terminated, note, bought = 0.0, False, None, None
        m = _ACTION.match(text)
        if m is None:
            note = "actions are search[query] or click[item]"
        elif m.group(1).lower() == "search":
            note = self._search(m.group(2))
        else:
            note, bought = self._click(m.group(2).strip().lower())
        info = self._info(valid=note is None)
        if bought is not None:
            result = score(self.catalogue.by_asin[self.item], self.goal, self.chosen)
            reward, terminated = result.reward, True
            info.update(success=result.reward >= 1.0 - 1e-9, asin=self.item, options=dict(self.chosen),
                        r_type=result.r_type, attributes_matched=result.attributes,
                        options_matched=result.options, price_ok=result.price_ok)
        truncated = not terminated and self.steps >= self.max_steps
        self.done = terminated or truncated
        return self._observation(note), reward, terminated, truncated, info

    def _search(self, query: str) -> str | None:
        if self.page != "search":
            return "search is only available on the search page (click[Back to Search] first)"
        query = " ".join(to_ascii(query).split())
        if not query:
            return "the search query is empty"
        self.query, self.results, self.result_page, self.page = query, self.engine.search(query), 0, "results"
        return None

    def _click(self, target: str) -> tuple[str | None, bool | None]:
        if target not in self.clickables():
            return f"'{target[:80]}' is not clickable on this page", None
        if target == "back to search":
            self.page, self.item, self.sub_page, self.chosen = "search", None, None, {}
        elif target == "next >":
            self.result_page += 1
        elif target == "< prev":
            if self.page == "results":
                self.result_page -= 1
            elif self.page == "item":
                self.page, self.item, self.chosen = "results", None, {}
            else:
                self.page, self.sub_page = "item", None
        elif self.page == "results":
            self.page, self.item, self.chosen = "item", target.upper(), {}
        elif target in ("description", "features", "reviews"):
            self.page, self.sub_page = "sub", target
        elif target == "buy now":
            return None, True
        else:  # an option value
            product = self.catalogue.by_asin[self.item]
            for dim, values in product.options.items():
                match = next((v for v in values if v.lower() == target), None)
                if match is not None:
                    self.chosen[dim] = match
                    break
        return None, None

    def render(self) -> str | None:
        return self._observation() if self.render_mode == "ansi" and self.goal is not None else None
