"""The shop's products and the shopping instructions (goals), generated deterministically.

:func:`generate_catalogue` combines the templates of ``data/webshop/templates.json`` (categories,
product types, fictional brands, descriptors, attributes, options, features, descriptions) into
``num_products`` listings with a seed; 1,000 by default, 100,000 with the same code. Each product
gets one goal: a subset of its attributes, one value per option dimension, and a price bound drawn
as WebShop does (two of the first four multiples of $10 above the price, the larger one), written
as an instruction in WebShop's style. Split: goals of products whose index is a multiple of 10 are
the test split (10%), the others train.

:func:`load_webshop` builds the same objects from WebShop's own JSON files (see ``real_data.py``).
"""

from __future__ import annotations

import json
import random
import re
import string
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

SPLITS = ("train", "test")
PRICE_STEPS = [10.0 * i for i in range(1, 100)]  # WebShop's PRICE_RANGE (web_agent_site/engine/goal.py)
NO_PRICE_BOUND = 1_000_000.0


@dataclass
class Product:
    asin: str
    title: str
    price: float
    query: str  # the product type a buyer searches for (WebShop's "query")
    category_path: tuple[str, ...]
    attributes: tuple[str, ...]
    options: dict[str, tuple[str, ...]]  # dimension -> values, in display order
    description: str
    features: tuple[str, ...]
    rating: float | None = None
    reviews: tuple[str, ...] = ()

    @property
    def search_text(self) -> str:
        opts = " ".join(v for values in self.options.values() for v in values)
        return " ".join((self.title, self.description, " ".join(self.features), opts))


@dataclass
class Goal:
    asin: str  # the product the instruction was written from
    instruction: str
    attributes: tuple[str, ...]
    options: dict[str, str]
    price_upper: float
    query: str
    category_path: tuple[str, ...]
    name: str  # the target product's title (for the type reward)
    split: str = "train"


@dataclass
class Catalogue:
    products: list[Product]
    goals: list[Goal]
    by_asin: dict[str, Product] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_asin = {p.asin: p for p in self.products}

    def goal_indices(self, split: str) -> list[int]:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
        return [i for i, g in enumerate(self.goals) if g.split == split]


@lru_cache(maxsize=1)
def templates() -> dict:
    return json.loads(resources.files("archer_envs").joinpath("data/webshop/templates.json").read_text())


def _asin(rng: random.Random) -> str:
    return "B0" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(8))


def _fill(
    template: str, brand: str, noun: str, attributes: list[str], descriptors: list[str], rng: random.Random
) -> str:
    attribute = rng.choice(attributes)
    return template.format(
        brand=brand, noun=noun, attribute=attribute, Attribute=attribute[:1].upper() + attribute[1:],
        descriptor=rng.choice(descriptors),
    )


_REVIEWS = [
    "Exactly as described.", "Good value for the price.", "Arrived quickly and well packed.",
    "Works well, would buy again.", "Not bad, but the colour was a little different from the photo.",
    "My second order, still happy with it.",
]


def generate_catalogue(num_products: int = 1000, seed: int = 0) -> Catalogue:
    """``num_products`` listings and one goal each, deterministic in (num_products, seed)."""
    if not isinstance(num_products, int) or num_products < 10:
        raise ValueError(f"num_products must be an integer >= 10, got {num_products!r}")
    rng = random.Random(seed)
    kinds = [(c, t) for c in templates()["categories"] for t in c["types"]]
    products, goals, seen = [], [], set()
    for index in range(num_products):
        category, kind = kinds[index % len(kinds)] if index < len(kinds) else rng.choice(kinds)
        asin = _asin(rng)
        while asin in seen:
            asin = _asin(rng)
        seen.add(asin)
        brand = rng.choice(category["brands"])
        descriptors = rng.sample(kind["descriptors"], k=rng.randint(1, 2))
        attributes = rng.sample(kind["attributes"], k=rng.randint(2, min(4, len(kind["attributes"]))))
        options = {}
        for dim, values in kind["options"].items():
            k = rng.randint(min(2, len(values)), min(5, len(values)))
            chosen = set(rng.sample(values, k))
            options[dim] = tuple(v for v in values if v in chosen)
        low, high = kind["price"]
        price = round(rng.uniform(low, high), 2)
        noun = kind["noun"]
        title = f"{brand} {' '.join(d.title() for d in descriptors)} {noun.title()}, " + ", ".join(
            a.title() for a in attributes[:2]
        )
        features = tuple(
            _fill(t, brand, noun, attributes, kind["descriptors"], rng)
            for t in rng.sample(kind["features"], k=min(4, len(kind["features"])))
        )
        description = _fill(kind["description"], brand, noun, attributes, kind["descriptors"], rng)
        rating = None if rng.random() < 0.1 else round(rng.uniform(3.0, 5.0), 1)
        reviews = tuple(rng.sample(_REVIEWS, k=rng.randint(0, 3)))
        path = (*category["path"], kind["leaf"])
        product = Product(asin, title, price, noun, path, tuple(attributes), options, description, features, rating,
                          reviews)
        products.append(product)
        goals.append(_goal(product, rng, "test" if index % 10 == 0 else "train"))
    return Catalogue(products, goals)


def price_bound(price: float, rng: random.Random) -> float:
    """WebShop's rule: the larger of two of the first four multiples of $10 above the price."""
    above = [p for p in PRICE_STEPS if p > price][:4]
    return sorted(rng.sample(above, 2))[1] if len(above) >= 2 else NO_PRICE_BOUND


_OPENINGS = ["i'm looking for", "i need", "i want to buy", "find me", "i am looking for", "i would like"]


def _article(phrase: str) -> str:
    return "an" if phrase[:1] in "aeiou" else "a"


def _goal(product: Product, rng: random.Random, split: str) -> Goal:
    attributes = tuple(rng.sample(product.attributes, k=rng.randint(1, min(3, len(product.attributes)))))
    options = {dim: rng.choice(values) for dim, values in product.options.items()}
    upper = price_bound(product.price, rng)
    described = f"{' and '.join(attributes)} {product.query}"
    parts = [f"{rng.choice(_OPENINGS)} {_article(described)} {described}"]
    if options:
        style = rng.random()
        if style < 0.5:
            parts.append("with " + ", and ".join(f"{dim}: {value}" for dim, value in options.items()))
        else:
            parts.append("in " + " and ".join(f"{value} {dim}" for dim, value in options.items()))
    text = " ".join(parts)
    if upper < NO_PRICE_BOUND:
        text += f", and price lower than {upper:.2f} dollars"
    return Goal(product.asin, text, attributes, options, upper, product.query, product.category_path, product.title,
                split)


def normalize_option(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip().lower())
