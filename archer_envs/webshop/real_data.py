"""WebShop's own data files (Yao et al. 2022) loaded into our :class:`Catalogue`, so that scores can be
compared with published WebShop numbers.

The files are the ones WebShop's ``setup.sh`` downloads into its ``data/`` folder
(github.com/princeton-nlp/WebShop; ``./setup.sh -d small`` for the 1,000-product set, ``-d all`` for
the 1.18M-product set). File names as in WebShop's ``web_agent_site/utils.py``:

- ``items_shuffle_1000.json`` (``DEFAULT_FILE_PATH``; ``items_shuffle.json`` is the full set): a JSON
  list of scraped Amazon products with ``asin``, ``name``, ``full_description``, ``small_description``
  (the bullet points: a list, sometimes one string), ``pricing`` (a string: ``"$12.99"``, or a range
  ``"$10.00 - $15.00"``), ``customization_options`` (``{"Color": [{"value": ..., "image": ...}, ...],
  ...}`` or null), ``category``, ``query``, ``product_category`` (``"A › B › C"``), ``images``,
  ``average_rating`` and scraper fields that WebShop drops.
- ``items_ins_v2_1000.json`` (``DEFAULT_ATTR_PATH``; setup's ``-d all`` fetches ``items_ins_v2.json``):
  a JSON object ``asin -> {"attributes": [...], "instruction": str, "instruction_attributes": [...]}``.
  ``attributes`` are the product's mined attributes; the other two make the synthetic instruction.
- ``items_human_ins.json`` (``HUMAN_ATTR_PATH``): a JSON object ``asin -> [record, ...]``, one record
  per instruction written by a crowd worker: ``instruction``, ``instruction_attributes``,
  ``instruction_options`` (a list of option values, e.g. ``["9.5"]``), ``options`` (the target's
  selection as ``"dim: value"`` strings), ``attributes``, ``asin``, ``worker_id``, ``assignment_id``.

How each field becomes ours follows WebShop's ``load_products`` (``web_agent_site/engine/engine.py``)
and ``get_human_goals`` / ``get_synthetic_goals`` (``web_agent_site/engine/goal.py``); this is an
independent implementation of those rules:

- Products are read in file order; an ``asin`` that is ``"nan"`` or longer than 10 characters is
  skipped, and so is a repeated ``asin`` (the first copy wins), as in WebShop. We also skip records
  that WebShop would crash on (not an object, no ``name``, a ``pricing`` string without a number);
  ``catalogue.skipped_products`` counts all skipped records.
- ``title`` = ``name``; ``description`` = ``full_description``; ``features`` = ``small_description``
  (a lone string becomes one bullet); ``query`` lowercased and stripped; ``category_path`` =
  ``product_category`` split on ``›``.
- Price: WebShop splits ``pricing`` on ``$`` and keeps the digits of each piece; one number is the
  price, a range keeps its first two numbers and WebShop draws the price uniformly between them
  (``generate_product_prices``). We take the lower bound instead, so loading is deterministic. A
  product without ``pricing`` gets WebShop's default of $100.00 (WebShop keeps such products; dropping
  them would change which human goals exist and so WebShop's goal order and test split).
- Options: each ``customization_options`` dimension lowercased; each value stripped, ``/`` replaced by
  `` | `` and lowercased, as WebShop shows them (human ``instruction_options`` use that form).
- Attributes: ``items_ins_v2_1000.json``'s ``attributes`` for the ASIN, else none (WebShop uses the
  placeholder ``DUMMY_ATTR``, which matches nothing). Rating: ``average_rating`` when present (WebShop's
  current loader shows "N.A." because its ``reviews.json`` reading is commented out; the rating does not
  enter the reward). Reviews: review texts when the record carries a ``reviews`` list.

Goals:

- Human goals, when ``items_human_ins.json`` is present: one per instruction whose
  ``instruction_attributes`` is non-empty, products in file order. Text: the instruction with
  leading/trailing dots removed, plus ``", and price lower than X.00 dollars"`` where X is drawn by
  :func:`~archer_envs.webshop.catalogue.price_bound` (WebShop's rule) from a ``random.Random`` with a
  fixed seed. Each ``instruction_options`` value goes under the product's option dimension that offers
  it (the record's ``options`` hint breaks ties); a value no dimension offers goes under
  ``option_<k>`` (k its position). The list is then shuffled with ``random.Random(233)``, which gives
  the same permutation as WebShop's ``random.seed(233); random.shuffle(goals)`` in ``SimServer`` and
  ``app.py``: goal ``i`` here has the instruction and target of WebShop's goal ``i`` (its ``fixed_<i>``
  session) when the same product file is loaded; only the price bound differs, WebShop drawing it from
  its unseeded global RNG. Split: WebShop's baselines (``baseline_models/env.py``) take goals 0-499 as test,
  500-1499 as eval and the rest as train on the full product set (on a subset they use every goal for
  every split); we have no eval split, so goals 0-499 are ``test`` and all others (eval included)
  ``train``. With 500 human goals or fewer (a product subset) all are ``test`` and ``train`` is empty.
- Otherwise synthetic goals from ``items_ins_v2_1000.json``: ``instruction`` + WebShop's option text
  (``" with dim: value, and dim: value"``, dimensions sorted) + the price clause. WebShop makes one
  goal per option combination; we keep one per product (the first value of each dimension). Every
  10th goal (index % 10 == 0) is ``test``, as in our generator. Human goals that all lack attributes
  also fall back to these.

``Goal.name`` is the product's title (WebShop's ``name``) and ``Goal.query`` / ``category_path`` the
product's. This module reimplements those rules from their description; it contains no WebShop code.
"""

from __future__ import annotations

import json
import math
import random
import re
from pathlib import Path
from typing import Any

from archer_envs.webshop.catalogue import NO_PRICE_BOUND, Catalogue, Goal, Product, normalize_option, price_bound

PRODUCT_FILES = ("items_shuffle_1000.json", "items_shuffle.json")
ATTRIBUTE_FILES = ("items_ins_v2_1000.json", "items_ins_v2.json")  # WebShop always reads the _1000 one
HUMAN_FILE = "items_human_ins.json"

MISSING_PRICE = 100.0  # WebShop's price for a product without ``pricing`` (engine.py)
MAX_ASIN_CHARS = 10  # longer ASINs are skipped, as in engine.py
WEBSHOP_SHUFFLE_SEED = 233  # SimServer / app.py shuffle the goal list with this seed
HUMAN_TEST_GOALS = 500  # baseline_models/env.py: goals [0, 500) are the test split
PRICE_SEED = 0  # our fixed seed for the price bounds (WebShop draws them from the unseeded global RNG)
SYNTHETIC_TEST_EVERY = 10

_SETUP_HINT = (
    "WebShop's data files come from its setup script (github.com/princeton-nlp/WebShop: "
    "`./setup.sh -d small` downloads items_shuffle_1000.json, items_ins_v2_1000.json and "
    "items_human_ins.json into data/); pass that folder as data_path"
)


class _Malformed(ValueError):
    pass


# --- files ----------------------------------------------------------------------------------------------
def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e})") from e


def _find(folder: Path, names: tuple[str, ...]) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)


# --- product fields -------------------------------------------------------------------------------------
def parse_pricing(pricing: Any) -> list[float]:
    """The prices in WebShop's ``pricing`` field: ``[]`` when it is absent or empty; raises
    :class:`ValueError` when there is something without a number in it.

    A string is split on ``$`` and each piece keeps its digits and dots (``"$10.00 - $15.00"`` ->
    ``[10.0, 15.0]``, ``"$1,299.99"`` -> ``[1299.99]``), as WebShop does; a string with no ``$`` is read
    as one number. A list of such strings or numbers (found in some re-exports) is read item by item.
    """
    if not pricing:  # None, "", [] (and 0): WebShop treats all of these as no price
        return []
    if isinstance(pricing, bool):
        raise _Malformed(f"pricing {pricing!r}")
    if isinstance(pricing, (int, float)):
        pieces: list[Any] = [pricing]
    elif isinstance(pricing, str):
        pieces = pricing.split("$")[1:] if "$" in pricing else [pricing]
    elif isinstance(pricing, (list, tuple)):
        pieces = [q for p in pricing for q in (p.split("$")[1:] if isinstance(p, str) and "$" in p else [p])]
    else:
        raise _Malformed(f"pricing {pricing!r}")
    values = []
    for piece in pieces:
        if isinstance(piece, bool):
            raise _Malformed(f"pricing {pricing!r}")
        if isinstance(piece, (int, float)):
            value = float(piece)
        elif isinstance(piece, str):
            digits = re.sub(r"[^\d.]", "", piece)
            try:
                value = float(digits)
            except ValueError:
                raise _Malformed(f"pricing {pricing!r}") from None
        else:
            raise _Malformed(f"pricing {pricing!r}")
        if not math.isfinite(value) or value < 0:
            raise _Malformed(f"pricing {pricing!r}")
        values.append(value)
    return values


def _price(pricing: Any) -> float:
    values = parse_pricing(pricing)
    if not values:
        return MISSING_PRICE
    return min(values[:2])  # WebShop: one price, or a range of the first two (it draws inside; we take the low end)


def option_value(value: str) -> str:
    """An option value as WebShop shows it: stripped, ``/`` -> `` | ``, lowercased."""
    return value.strip().replace("/", " | ").lower()


def _options(raw: Any) -> dict[str, tuple[str, ...]]:
    options: dict[str, tuple[str, ...]] = {}
    if not isinstance(raw, dict):
        return options
    for dim, contents in raw.items():
        if not isinstance(contents, list):
            continue  # WebShop skips a null dimension
        values: list[str] = []
        for entry in contents:
            value = entry.get("value") if isinstance(entry, dict) else entry
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, str):
                continue
            value = option_value(value)
            if value and value not in values:
                values.append(value)
        name = str(dim).strip().lower()
        if values and name:
            options[name] = tuple(values)  # a repeated (lowercased) dimension replaces the earlier one, as in WebShop
    return options


def _strings(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        return ()
    return tuple(s.strip() for s in raw if isinstance(s, str) and s.strip())


def _rating(raw: Any) -> float | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        m = re.search(r"\d+(?:\.\d+)?", raw)  # "4.5" or "4.5 out of 5 stars"
        if m is None:
            return None
        value = float(m.group())
    else:
        return None
    return value if math.isfinite(value) and 0.0 <= value <= 5.0 else None


def _reviews(record: dict) -> tuple[str, ...]:
    raw = record.get("reviews", record.get("Reviews"))
    if not isinstance(raw, list):
        return ()
    texts = []
    for review in raw:
        if isinstance(review, dict):
            review = next((review[k] for k in ("review", "body", "text") if isinstance(review.get(k), str)), None)
        if isinstance(review, str) and review.strip():
            texts.append(review.strip())
    return tuple(texts)


def _product(record: Any, attributes: dict) -> tuple[str, Product]:
    """(the raw ASIN, our Product); raises :class:`_Malformed` for a record to skip."""
    if not isinstance(record, dict):
        raise _Malformed("not an object")
    raw_asin = record.get("asin")
    if not isinstance(raw_asin, str) or not raw_asin.strip():
        raise _Malformed("no asin")
    asin = raw_asin.strip()
    if asin == "nan" or len(asin) > MAX_ASIN_CHARS:
        raise _Malformed(f"asin {asin!r}")
    title = record.get("name")
    if not isinstance(title, str) or not title.strip():
        raise _Malformed("no name")
    price = _price(record.get("pricing"))
    query = record.get("query")
    category = record.get("product_category")
    description = record.get("full_description")
    entry = attributes.get(raw_asin, attributes.get(asin))
    product = Product(
        asin=asin.upper(),  # the env upper-cases a clicked ASIN, as WebShop does; real ASINs are upper case
        title=title.strip(),
        price=price,
        query=query.lower().strip() if isinstance(query, str) else "",
        category_path=tuple(p.strip() for p in category.split("›") if p.strip()) if isinstance(category, str) else (),
        attributes=_strings(entry.get("attributes")) if isinstance(entry, dict) else (),
        options=_options(record.get("customization_options")),
        description=description.strip() if isinstance(description, str) else "",
        features=_strings(record.get("small_description")),
        rating=_rating(record.get("average_rating")),
        reviews=_reviews(record),
    )
    return raw_asin, product


# --- goals ----------------------------------------------------------------------------------------------
def _with_price(text: str, upper: float) -> str:
    return text + (f", and price lower than {upper:.2f} dollars" if upper < NO_PRICE_BOUND else "")


def _goal_options(product: Product, wanted: Any, hints: Any) -> dict[str, str]:
    """``instruction_options`` values placed under the product's dimensions that offer them."""
    hinted: dict[str, str] = {}
    if isinstance(wanted, dict):  # some exports give {dim: value}
        hinted = {normalize_option(option_value(str(v))): str(d).strip().lower() for d, v in wanted.items()}
        wanted = list(wanted.values())
    if not isinstance(wanted, list):
        return {}
    for hint in hints if isinstance(hints, list) else []:
        if isinstance(hint, str) and ":" in hint:
            dim, value = hint.split(":", 1)
            hinted.setdefault(normalize_option(option_value(value)), dim.strip().lower())
    goal: dict[str, str] = {}
    for k, raw in enumerate(wanted):
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str) or not raw.strip():
            continue
        value = normalize_option(option_value(raw))
        dims = [d for d, values in product.options.items() if any(normalize_option(v) == value for v in values)]
        if hinted.get(value) in dims:
            dims.remove(hinted[value])
            dims.insert(0, hinted[value])
        dim = next((d for d in dims if d not in goal), None)
        if dim is not None:
            goal[dim] = next(v for v in product.options[dim] if normalize_option(v) == value)
        else:
            name, n = f"option_{k}", k
            while name in goal:
                n += 1
                name = f"option_{n}"
            goal[name] = value
    return goal


def _goal(product: Product, text: str, attributes: tuple[str, ...], options: dict[str, str],
          rng: random.Random) -> Goal:
    upper = price_bound(product.price, rng)
    return Goal(product.asin, _with_price(text, upper), attributes, options, upper, product.query,
                product.category_path, product.title)


def _human_goals(products: list[tuple[str, Product]], human: dict, rng: random.Random) -> tuple[list[Goal], int]:
    goals, skipped = [], 0
    for raw_asin, product in products:
        records = human.get(raw_asin, human.get(product.asin))
        if not isinstance(records, list):
            continue
        for record in records:
            if not isinstance(record, dict):
                skipped += 1
                continue
            attributes = _strings(record.get("instruction_attributes"))
            text = record.get("instruction")
            if not attributes or not isinstance(text, str) or not text.strip(" ."):
                skipped += 1  # WebShop skips instructions without attributes
                continue
            options = _goal_options(product, record.get("instruction_options"), record.get("options"))
            goals.append(_goal(product, text.strip().strip("."), attributes, options, rng))
    random.Random(WEBSHOP_SHUFFLE_SEED).shuffle(goals)  # = random.seed(233); random.shuffle(goals)
    for i, goal in enumerate(goals):
        goal.split = "test" if i < HUMAN_TEST_GOALS else "train"
    return goals, skipped


def _synthetic_goals(products: list[tuple[str, Product]], ins: dict, rng: random.Random) -> tuple[list[Goal], int]:
    goals, skipped = [], 0
    for raw_asin, product in products:
        entry = ins.get(raw_asin, ins.get(product.asin))
        if not isinstance(entry, dict) or entry.get("instruction") is None:
            continue  # WebShop: no synthetic instruction for this product
        text = entry.get("instruction")
        attributes = _strings(entry.get("instruction_attributes"))
        if not isinstance(text, str) or not text.strip() or not attributes:
            skipped += 1
            continue
        options = {dim: product.options[dim][0] for dim in sorted(product.options)}
        option_text = " with " + ", and ".join(f"{d}: {v}" for d, v in options.items()) if options else ""
        goal = _goal(product, text.strip() + option_text, attributes, options, rng)
        goal.split = "test" if len(goals) % SYNTHETIC_TEST_EVERY == 0 else "train"
        goals.append(goal)
    return goals, skipped


# --- entry point ----------------------------------------------------------------------------------------
def load_webshop(path: str | Path) -> Catalogue:
    """The catalogue and goals from the WebShop data folder ``path`` (see the module docstring).

    Deterministic: the same files give the same products, goals, price bounds and splits. The returned
    catalogue also carries ``skipped_products`` (records left out), ``skipped_goals`` (instructions
    left out), ``goal_source`` (``"human"`` or ``"synthetic"``) and ``files`` (the files read).
    """
    folder = Path(path).expanduser()
    if folder.is_file() and folder.name in PRODUCT_FILES:
        folder, product_file = folder.parent, folder
    elif not folder.is_dir():
        raise FileNotFoundError(f"WebShop data folder not found: {folder}. {_SETUP_HINT}.")
    else:
        product_file = _find(folder, PRODUCT_FILES)
    if product_file is None:
        raise FileNotFoundError(
            f"no WebShop product file in {folder}: expected {PRODUCT_FILES[0]} (or {PRODUCT_FILES[1]}). {_SETUP_HINT}."
        )
    attribute_file = _find(folder, ATTRIBUTE_FILES)
    human_file = _find(folder, (HUMAN_FILE,))

    records = _read_json(product_file)
    if not isinstance(records, list):
        raise ValueError(f"{product_file} should hold a JSON list of products, found {type(records).__name__}")
    ins = _read_json(attribute_file) if attribute_file else {}
    human = _read_json(human_file) if human_file else {}
    for file, data in ((attribute_file, ins), (human_file, human)):
        if not isinstance(data, dict):
            raise ValueError(f"{file} should hold a JSON object keyed by ASIN, found {type(data).__name__}")

    products: list[tuple[str, Product]] = []
    seen: set[str] = set()
    skipped_products = 0
    for record in records:
        try:
            raw_asin, product = _product(record, ins)
        except _Malformed:
            skipped_products += 1
            continue
        if product.asin in seen:
            skipped_products += 1  # WebShop keeps the first copy of an ASIN
            continue
        seen.add(product.asin)
        products.append((raw_asin, product))
    if not products:
        raise ValueError(f"{product_file} holds no usable product ({skipped_products} record(s) skipped)")

    rng = random.Random(PRICE_SEED)
    goals, skipped_goals, source = [], 0, "human"
    if human:
        goals, skipped_goals = _human_goals(products, human, rng)
    if not goals:
        source = "synthetic"
        goals, skipped = _synthetic_goals(products, ins, random.Random(PRICE_SEED))
        skipped_goals += skipped
    if not goals:
        raise ValueError(
            f"no goals in {folder}: need {HUMAN_FILE} (human instructions) or {ATTRIBUTE_FILES[0]} "
            f"(synthetic instructions) for the products of {product_file.name}. {_SETUP_HINT}."
        )

    catalogue = Catalogue([p for _, p in products], goals)
    catalogue.skipped_products = skipped_products
    catalogue.skipped_goals = skipped_goals
    catalogue.goal_source = source
    catalogue.files = tuple(str(f) for f in (product_file, attribute_file, human_file) if f is not None)
    return catalogue
