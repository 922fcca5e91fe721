"""WebShop's own data files (tests/fixtures/webshop: the formats of items_shuffle_1000.json,
items_ins_v2_1000.json and items_human_ins.json) loaded by archer_envs.webshop.real_data."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import gymnasium as gym
import pytest

import archer_envs  # noqa: F401  (registers the env ids)
from archer_envs.webshop.real_data import load_webshop, parse_pricing

FIXTURE = Path(__file__).parent / "fixtures" / "webshop"
ASINS = ["B08FKW7ZQ1", "B09JQMJHXY", "B0B7Y2JQ8M", "B01N9SPQHQ", "B075X6F3WL"]
# the human instructions with attributes, in product-file order (the earbuds' second one has none)
HUMAN_ORDER = [
    ("B08FKW7ZQ1", "i'm looking for an oil free face moisturizer"),
    ("B08FKW7ZQ1", "i want a water gel moisturizer"),
    ("B09JQMJHXY", "i need a loose fit short sleeve t-shirt"),
    ("B0B7Y2JQ8M", "i am looking for noise cancelling wireless bluetooth earbuds"),
    ("B01N9SPQHQ", "i want caffeine free organic green tea bags"),
    ("B075X6F3WL", "i'm looking for a mid century modern accent chair"),
]


@pytest.fixture(scope="module")
def catalogue():
    return load_webshop(FIXTURE)


def _make_env():
    if "archer/WebShop-v0" in gym.registry:
        return gym.make("archer/WebShop-v0", data_path=str(FIXTURE))
    from archer_envs.webshop.env import WebShopEnv

    return WebShopEnv(data_path=str(FIXTURE))


def test_products(catalogue):
    assert [p.asin for p in catalogue.products] == ASINS
    assert catalogue.skipped_products == 2  # a repeated ASIN and the ASIN "nan"
    cream, tee, earbuds, tea, chair = catalogue.products
    assert cream.title.startswith("Hyaluronic Acid Face Moisturizer Cream")
    assert cream.price == 12.99
    assert tee.price == 10.0  # "$10.00 - $15.00": the low end of the range
    assert tea.price == 100.0  # no pricing: WebShop's default price
    assert cream.query == "creams & moisturizers"  # lowercased and stripped
    assert cream.category_path == ("Beauty & Personal Care", "Skin Care", "Face", "Creams & Moisturizers")
    assert cream.options == {
        "size": ("1.7 fl oz (pack of 1)", "3.4 fl oz (pack of 1)"),
        "scent": ("fragrance free", "aloe | cucumber"),  # "Aloe/Cucumber" as WebShop shows it
    }
    assert tee.options["color"] == ("black", "navy blue", "heather grey")
    assert tea.options == {} and chair.options == {"color": ("grey", "mustard yellow")}
    assert cream.attributes == ("oil free", "hyaluronic acid", "dry skin", "water gel", "non comedogenic")
    assert chair.attributes == ()  # no entry in items_ins_v2_1000.json
    assert cream.description.startswith("A lightweight water gel")
    assert len(cream.features) == 3 and cream.features[0].startswith("HYDRATES DRY SKIN")
    assert tea.features == ("USDA organic green tea blended with jasmine flowers, naturally caffeine free, "
                            "100 individually wrapped tea bags",)  # one string -> one bullet
    assert cream.rating == 4.6 and tea.rating is None
    assert cream.reviews == ()


def test_human_goals(catalogue):
    goals = catalogue.goals
    assert catalogue.goal_source == "human"
    assert len(goals) == 6 and catalogue.skipped_goals == 1  # the instruction without attributes
    # WebShop's order: the product-order list shuffled with random.seed(233); random.shuffle(...)
    order, state = list(range(len(HUMAN_ORDER))), random.getstate()
    random.seed(233)
    random.shuffle(order)
    random.setstate(state)
    assert [(g.asin, g.instruction[: len(HUMAN_ORDER[i][1])]) for g, i in zip(goals, order)] == [
        HUMAN_ORDER[i] for i in order
    ]
    assert all(g.split == "test" for g in goals)  # goals 0-499 are WebShop's test split
    by_asin = catalogue.by_asin
    for goal in goals:
        product = by_asin[goal.asin]
        assert goal.name == product.title and goal.query == product.query
        assert goal.category_path == product.category_path
        assert goal.price_upper > product.price
        assert goal.price_upper % 10 == 0 and goal.price_upper - product.price <= 40
        assert goal.instruction.endswith(f", and price lower than {goal.price_upper:.2f} dollars")
        assert ". and price" not in goal.instruction  # the instruction's full stop is dropped
        assert goal.attributes
    cream_goal = next(g for g in goals if g.instruction.startswith("i'm looking for an oil free"))
    assert cream_goal.attributes == ("oil free", "dry skin", "hyaluronic acid")
    assert cream_goal.options == {"size": "1.7 fl oz (pack of 1)", "scent": "fragrance free"}
    chair_goal = next(g for g in goals if g.asin == "B075X6F3WL")
    assert chair_goal.options == {"color": "mustard yellow", "option_1": "gift wrapped"}
    assert load_webshop(FIXTURE).goals == goals  # deterministic


def test_synthetic_goals_without_human_file(tmp_path):
    for name in ("items_shuffle_1000.json", "items_ins_v2_1000.json"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    catalogue = load_webshop(tmp_path)
    assert catalogue.goal_source == "synthetic"
    assert [g.asin for g in catalogue.goals] == ASINS[:4]  # the chair has no synthetic instruction
    assert [g.split for g in catalogue.goals] == ["test", "train", "train", "train"]
    tee_goal = catalogue.goals[1]
    assert tee_goal.options == {"color": "black", "size": "small"}
    assert tee_goal.attributes == ("loose fit", "short sleeve", "machine wash")
    assert tee_goal.instruction == (
        "Find me loose fit women's tops, tees & blouses with short sleeve, machine wash with color: black, "
        f"and size: small, and price lower than {tee_goal.price_upper:.2f} dollars"
    )
    assert catalogue.goals[3].instruction.startswith("Find me caffeine free, usda organic tea, and price lower")


def test_pricing_formats():
    assert parse_pricing("$12.99") == [12.99]
    assert parse_pricing("$10.00 - $15.00") == [10.0, 15.0]
    assert parse_pricing("$1,299.99") == [1299.99]
    assert parse_pricing(["$12.99"]) == [12.99]
    assert parse_pricing("") == [] and parse_pricing(None) == []
    with pytest.raises(ValueError):
        parse_pricing("$ - $")


def test_missing_files(tmp_path):
    missing = tmp_path / "no-such-folder"
    with pytest.raises(FileNotFoundError, match="no-such-folder") as err:
        load_webshop(missing)
    assert "setup.sh" in str(err.value)
    with pytest.raises(FileNotFoundError, match="items_shuffle_1000.json") as err:
        load_webshop(tmp_path)
    assert str(tmp_path) in str(err.value)


def test_env_buys_each_goal(catalogue):
    env = _make_env()
    base = env.unwrapped
    assert [p.asin for p in base.catalogue.products] == ASINS
    played = 0
    for index, goal in enumerate(base.catalogue.goals):
        if any(dim.startswith("option_") for dim in goal.options):
            continue  # an option the product does not offer cannot be clicked
        obs, info = env.reset(options={"goal": index})
        assert goal.instruction in obs and info["has_search_bar"]
        words = " ".join(goal.name.split()[:6])
        obs, reward, terminated, truncated, info = env.step(f"search[{words}]")
        assert info["valid"] and goal.asin.lower() in info["clickables"]
        obs, *_, info = env.step(f"click[{goal.asin.lower()}]")
        assert info["valid"] and info["page"] == "item"
        for value in goal.options.values():
            obs, *_, info = env.step(f"click[{value}]")
            assert info["valid"], value
        obs, reward, terminated, truncated, info = env.step("click[Buy Now]")
        assert terminated and reward == pytest.approx(1.0), (goal.instruction, info)
        assert info["success"] and info["asin"] == goal.asin
        played += 1
    assert played == 5
    env.close()
