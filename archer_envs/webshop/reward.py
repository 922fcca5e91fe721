"""WebShop's reward (Yao et al. 2022, "WebShop: Towards Scalable Real-World Web Interaction with
Grounded Language Agents", §3.2; reference implementation: princeton-nlp/WebShop,
``web_agent_site/engine/goal.py``), reimplemented:

    r = r_type · (N_att + N_opt + 1[price ≤ u_price]) / (|U_att| + |U_opt| + 1)

- N_att: goal attributes found in the bought product: fuzzy match (token-set ratio > 85) against its
  attributes, else a substring of its title, features or description.
- N_opt: chosen options matching the goal's options: exact for ``size``, fuzzy (> 85) otherwise,
  else a substring of the title, features or description.
- r_type: 1 if the product type matches (same query, or two category-path levels in common, or a
  title score > 0.2); 0.5 otherwise; 0.1 if the title score < 0.1; 0 if it is 0. The title score is
  the share of the target title's noun-like words present in the bought title. WebShop tags nouns
  with spaCy; we use a dependency-free proxy: alphabetic words of three letters or more that are
  not stop words (documented difference).

Success is r = 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from archer_envs.webshop.catalogue import Goal, Product, normalize_option

EXACT_MATCH_OPTIONS = ("size",)
_STOP = frozenset(
    "and the for with from that this your you are our its into over per pack set of to in on by a an or as at "
    "is be new free".split()
)


def _title_words(title: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", title.lower()) if len(w) >= 3 and w not in _STOP}


def type_reward(product: Product, goal: Goal) -> float:
    query_match = product.query == goal.query
    category_match = len(set(product.category_path) & set(goal.category_path)) >= 2
    desired = _title_words(goal.name)
    title_score = len(desired & _title_words(product.title)) / len(desired) if desired else 0.2
    r_type = 1.0 if (query_match or category_match or title_score > 0.2) else 0.5
    if title_score < 0.1:
        r_type = 0.1
    if title_score == 0.0:
        r_type = 0.0
    return r_type


def _in_text(needle: str, product: Product) -> bool:
    needle = needle.lower()
    return (needle in product.title.lower() or needle in " ".join(product.features).lower()
            or needle in product.description.lower())


def attribute_matches(product: Product, goal: Goal) -> int:
    count = 0
    for wanted in goal.attributes:
        if any(fuzz.token_set_ratio(have, wanted) > 85 for have in product.attributes) or _in_text(wanted, product):
            count += 1
    return count


def option_matches(product: Product, goal: Goal, chosen: dict[str, str]) -> int:
    wanted = [normalize_option(v) for v in goal.options.values()]
    count = 0
    for dim, value in chosen.items():
        value = normalize_option(value)
        if dim.lower() in EXACT_MATCH_OPTIONS:
            matched = value in wanted
        else:
            matched = any(fuzz.token_set_ratio(w, value) > 85 for w in wanted)
        if matched or _in_text(value, product):
            count += 1
    return count


@dataclass(frozen=True)
class Score:
    reward: float
    r_type: float
    attributes: int
    options: int
    price_ok: bool


def score(product: Product, goal: Goal, chosen: dict[str, str]) -> Score:
    r_type = type_reward(product, goal)
    n_att = attribute_matches(product, goal)
    n_opt = min(option_matches(product, goal, chosen), len(goal.options))
    price_ok = product.price <= goal.price_upper
    total = (n_att + n_opt + int(price_ok)) / (len(goal.attributes) + len(goal.options) + 1)
    return Score(r_type * total, r_type, n_att, n_opt, price_ok)
