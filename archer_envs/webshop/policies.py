"""Scripted WebShop players, reading only the observation text.

- :class:`ExpertPolicy`: searches with the instruction's words (price clause and option labels
  removed), opens the result whose title shares the most words with the instruction among those
  within the price bound, clicks the option values the instruction names, and buys.
- :class:`NoisyPolicy`: the expert's action with probability ``expert_prob``, otherwise a random
  action of the page (random query words, random result, random option, early Buy Now, Back).
- :class:`RandomPolicy`: random actions of the page only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

SEP = " [SEP] "
_PRICE = re.compile(r",?\s*and price lower than ([\d.]+) dollars")
_OPENING = re.compile(r"^(i'm looking for|i am looking for|i need|i want to buy|find me|i would like|i want)"
                      r"\s+(an?\s+)?")
_STOP = frozenset("a an the and with in of for to i me my is that it its size color flavor count style material "
                  "scent".split())
# Option dimension names (ours and WebShop's most common): shown on the item page, not clickable.
DIMENSIONS = frozenset({"size", "color", "flavor", "count", "style", "material", "scent", "flavor name",
                        "item package quantity", "pattern name", "size name", "style name", "color name"})
_NOT_CLICKABLE = re.compile(r"^Invalid action: '(.*?)' is not clickable")


class Page:
    def __init__(self, observation: str) -> None:
        bad = _NOT_CLICKABLE.match(observation)
        self.rejected = bad.group(1).lower() if bad else None
        obs = re.sub(r"^Invalid action: .*?\.\s\[SEP\]\s", "", observation)
        self.parts = obs.split(SEP)
        i = self.parts.index("Instruction:") if "Instruction:" in self.parts else -1
        self.instruction = self.parts[i + 1] if i >= 0 and i + 1 < len(self.parts) else ""
        m = _PRICE.search(self.instruction)
        self.price_upper = float(m.group(1)) if m else float("inf")
        if self.parts[0] == "WebShop":
            self.kind = "search"
        elif any(p.startswith("Page ") and "(Total results" in p for p in self.parts):
            self.kind = "results"
        elif "Buy Now" in self.parts:
            self.kind = "item"
        else:
            self.kind = "sub"

    def query(self) -> str:
        text = _PRICE.sub("", self.instruction.lower())
        text = _OPENING.sub("", text)
        text = re.sub(r"\b(size|color|flavor|count|style|material|scent):", " ", text)
        return " ".join(text.replace(",", " ").split())

    def words(self) -> set[str]:
        return {w for w in re.findall(r"[a-z0-9]+", self.query()) if w not in _STOP}

    def results(self) -> list[tuple[str, str, float]]:
        out = []
        for i, part in enumerate(self.parts):
            if re.fullmatch(r"[A-Z0-9]{10}", part) and i + 2 < len(self.parts) and self.parts[i + 2].startswith("$"):
                out.append((part, self.parts[i + 1], float(self.parts[i + 2][1:].replace(",", ""))))
        return out

    def option_values(self) -> list[str]:
        """The item page's option strings (dimension names included), between < Prev and the title."""
        if "< Prev" not in self.parts:
            return []
        start = self.parts.index("< Prev") + 1
        price = next((i for i, p in enumerate(self.parts) if p.startswith("Price: $")), len(self.parts))
        return self.parts[start : price - 1]

    def selected(self) -> set[str]:
        last = self.parts[-1]
        if not last.startswith("Selected: "):
            return set()
        return {kv.split(": ", 1)[1].lower() for kv in last[len("Selected: "):].split(", ") if ": " in kv}

    def has_next(self) -> bool:
        return "Next >" in self.parts


def _mentions(instruction: str, value: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(value.lower())}(?![\w-])", instruction.lower()) is not None


def expert_action(page: Page) -> str:
    if page.kind == "search":
        return f"search[{page.query()}]"
    if page.kind == "sub":
        return "click[< Prev]"
    if page.kind == "results":
        results = page.results()
        if not results:
            return "click[Back to Search]"
        words = page.words()

        def overlap(r):
            return len(words & set(re.findall(r"[a-z0-9]+", r[1].lower())))

        affordable = [r for r in results if r[2] <= page.price_upper] or results
        best = max(affordable, key=overlap)  # max keeps the first (best ranked) of equal overlaps
        return f"click[{best[0]}]"
    wanted = [v for v in page.option_values()
              if v.lower() not in DIMENSIONS and v.lower() != page.rejected and _mentions(page.instruction, v)]
    wanted.sort(key=len, reverse=True)
    taken = page.selected()
    for value in wanted:
        if value.lower() not in taken and not any(value.lower() in t for t in taken):
            return f"click[{value}]"
    return "click[Buy Now]"


def random_action(page: Page, rng: np.random.Generator, buy_prob: float = 0.2) -> str:
    if page.kind == "search":
        words = sorted(page.words())
        k = int(rng.integers(1, max(2, len(words) + 1)))
        chosen = ([words[i] for i in sorted(rng.choice(len(words), size=min(k, len(words)), replace=False))]
                  if words else ["item"])
        return f"search[{' '.join(chosen)}]"
    if page.kind == "results":
        results = page.results()
        if results and rng.random() < 0.85:
            return f"click[{results[int(rng.integers(len(results)))][0]}]"
        return "click[Next >]" if page.has_next() and rng.random() < 0.5 else "click[Back to Search]"
    if page.kind == "item":
        roll = rng.random()
        if roll < buy_prob:
            return "click[Buy Now]"
        values = [v for v in page.option_values() if v.lower() not in DIMENSIONS]
        if values and roll < 0.8:
            return f"click[{values[int(rng.integers(len(values)))]}]"
        return ["click[Description]", "click[Features]", "click[< Prev]"][int(rng.integers(3))]
    return "click[< Prev]"


class ExpertPolicy:
    def __init__(self, seed: int | None = None) -> None:
        pass

    def act(self, observations: Sequence[str]) -> list[str]:
        return [expert_action(Page(o)) for o in observations]


class NoisyPolicy:
    def __init__(self, seed: int | None = 0, expert_prob: float = 0.6) -> None:
        self.rng = np.random.default_rng(seed)
        self.expert_prob = expert_prob

    def act(self, observations: Sequence[str]) -> list[str]:
        out = []
        for o in observations:
            page = Page(o)
            out.append(expert_action(page) if self.rng.random() < self.expert_prob else random_action(page, self.rng))
        return out


class RandomPolicy:
    def __init__(self, seed: int | None = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str]) -> list[str]:
        return [random_action(Page(o), self.rng) for o in observations]


POLICIES = {"expert": ExpertPolicy, "noisy": NoisyPolicy, "random": RandomPolicy}
