"""WebShop: the generated catalogue and goals, search, pages and actions, WebShop's reward, policies."""

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archer_envs  # noqa: F401
from archer_envs.benchmark import summarize
from archer_envs.play import play_episodes
from archer_envs.webshop.catalogue import generate_catalogue
from archer_envs.webshop.env import shop
from archer_envs.webshop.policies import ExpertPolicy, NoisyPolicy, RandomPolicy
from archer_envs.webshop.reward import score

ENV_ID = "archer/WebShop-v0"
CATALOGUE, ENGINE = shop()


@pytest.fixture(scope="module")
def env():
    e = gym.make(ENV_ID)
    yield e
    e.close()


def buy_target(env, goal_index, options=None):
    """Play the ideal episode for a goal: search its title, open it, choose options, buy."""
    env.reset(options={"goal": goal_index})
    goal = CATALOGUE.goals[goal_index]
    target = CATALOGUE.by_asin[goal.asin]
    env.step(f"search[{target.title}]")
    obs, *_ = env.step(f"click[{goal.asin}]")
    for value in (goal.options if options is None else options).values():
        env.step(f"click[{value}]")
    return env.step("click[Buy Now]")


# --- catalogue and goals -----------------------------------------------------------------------------
def test_catalogue_has_a_thousand_varied_listings():
    products = CATALOGUE.products
    assert len(products) == 1000 and len({p.asin for p in products}) == 1000
    assert len({p.category_path[0] for p in products}) >= 10
    for p in products[:200]:
        assert p.asin.startswith("B0") and len(p.asin) == 10 and p.price > 0
        assert p.title and p.description and p.features and p.attributes and p.options
        assert "{" not in p.description + " ".join(p.features)  # every placeholder was filled


def test_generation_is_deterministic_and_scales_by_argument():
    a, b = generate_catalogue(50, seed=3), generate_catalogue(50, seed=3)
    assert [p.title for p in a.products] == [p.title for p in b.products]
    assert [g.instruction for g in a.goals] == [g.instruction for g in b.goals]
    assert len(generate_catalogue(3000).products) == 3000
    with pytest.raises(ValueError, match="num_products"):
        generate_catalogue(5)


def test_goals_are_webshop_style_with_a_fixed_split():
    test = CATALOGUE.goal_indices("test")
    assert len(test) == 100 and not set(test) & set(CATALOGUE.goal_indices("train"))
    for goal in CATALOGUE.goals[:100]:
        product = CATALOGUE.by_asin[goal.asin]
        assert goal.price_upper > product.price
        assert goal.instruction.endswith(f"price lower than {goal.price_upper:.2f} dollars")
        assert set(goal.attributes) <= set(product.attributes)
        assert all(v in product.options[d] for d, v in goal.options.items())


def test_search_finds_the_target_by_its_title():
    hits = sum(p.asin in ENGINE.search(p.title)[:10] for p in CATALOGUE.products[:100])
    assert hits >= 95
    assert ENGINE.search("zzzz qqqq") == []


# --- reward -----------------------------------------------------------------------------------------------
def test_buying_the_target_with_the_right_options_scores_one(env):
    for goal_index in CATALOGUE.goal_indices("test")[:20]:
        _, reward, terminated, _, info = buy_target(env, goal_index)
        assert terminated and reward == pytest.approx(1.0) and info["success"]


def test_reward_formula_components():
    goal = CATALOGUE.goals[0]
    target = CATALOGUE.by_asin[goal.asin]
    full = score(target, goal, dict(goal.options))
    assert full.reward == pytest.approx(1.0) and full.r_type == 1.0
    n = len(goal.attributes) + len(goal.options) + 1
    none_chosen = score(target, goal, {})
    assert none_chosen.reward <= (len(goal.attributes) + 1) / n + 1e-9
    other_type = next(p for p in CATALOGUE.products
                      if p.query != target.query and p.category_path[0] != target.category_path[0])
    assert score(other_type, goal, {}).r_type < 1.0


def test_over_budget_loses_the_price_share(env):
    goal_index = next(i for i, g in enumerate(CATALOGUE.goals) if g.price_upper < 1e6)
    goal = CATALOGUE.goals[goal_index]
    target = CATALOGUE.by_asin[goal.asin]
    pricey = type(goal)(**{**goal.__dict__, "price_upper": target.price - 0.01})
    n = len(goal.attributes) + len(goal.options) + 1
    assert score(target, pricey, dict(goal.options)).reward == pytest.approx((n - 1) / n)


# --- pages and actions ----------------------------------------------------------------------------------
def test_pages_clickables_and_observation_format(env):
    obs, info = env.reset(options={"goal": 0})
    assert obs.startswith("WebShop [SEP] Instruction: [SEP] ") and obs.endswith(" [SEP] Search")
    assert info["page"] == "search" and info["has_search_bar"] and info["clickables"] == []
    obs, _, _, _, info = env.step("search[dark chocolate]")
    assert info["page"] == "results" and "back to search" in info["clickables"] and "Page 1 (Total results:" in obs
    assert "next >" in info["clickables"] and "< prev" not in info["clickables"]
    obs, _, _, _, info = env.step("click[Next >]")
    assert "Page 2" in obs and "< prev" in info["clickables"]
    asin = next(c for c in info["clickables"] if c.startswith("b0"))
    obs, _, _, _, info = env.step(f"click[{asin}]")
    assert info["page"] == "item" and "buy now" in info["clickables"] and "Price: $" in obs
    obs, _, _, _, info = env.step("click[Description]")
    assert info["page"] == "sub" and info["clickables"] == ["back to search", "< prev"]
    obs, _, _, _, info = env.step("click[< Prev]")
    assert info["page"] == "item"


@pytest.mark.parametrize("action", ["", "buy it", "click[nothing here]", "search[]", "click[Buy Now]",
                                    "search[ok] please"])
def test_invalid_actions_leave_the_page_and_say_so(env, action):
    obs0, _ = env.reset(options={"goal": 1})
    obs, reward, terminated, truncated, info = env.step(action)
    assert not info["valid"] and reward == 0.0 and not terminated
    assert obs.startswith("Invalid action: ") and obs.endswith(obs0)


def test_search_only_on_the_search_page(env):
    env.reset(options={"goal": 2})
    env.step("search[shoes]")
    obs, _, _, _, info = env.step("search[hats]")
    assert not info["valid"] and "search is only available" in obs


def test_truncation_and_max_steps_argument():
    env = gym.make(ENV_ID, max_steps=10)
    env.reset(options={"goal": 3})
    for _step in range(10):
        *_, terminated, truncated, _ = env.step("click[nowhere]")
    assert truncated and not terminated
    with pytest.raises(ValueError, match="max_steps"):
        gym.make(ENV_ID, max_steps=0)


@pytest.mark.parametrize("options, match", [({"goal": 10**9}, "goal must be an index"),
                                            ({"split": "dev"}, "unknown split"),
                                            ({"asin": "B0"}, "unknown reset option")])
def test_bad_reset_options(env, options, match):
    with pytest.raises(ValueError, match=match):
        env.reset(options=options)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.one_of(st.text(max_size=300), st.builds(lambda s: f"search[{s}]", st.text(max_size=60)),
                        st.builds(lambda s: f"click[{s}]", st.text(max_size=40))))
def test_fuzz_any_first_string_earns_nothing_and_ends_nothing(env, action):
    # That any string is an action in the observation space: test_env_conformance.py, for every env.
    env.reset(options={"goal": 5})
    obs, reward, terminated, truncated, info = env.step(action)
    assert reward == 0.0 and not terminated


# --- policies ---------------------------------------------------------------------------------------------
def test_expert_buys_the_right_thing_on_test_goals():
    summary = summarize(play_episodes(ExpertPolicy(), ENV_ID, CATALOGUE.goal_indices("test")))
    assert summary["success_rate"] >= 0.7 and summary["mean_return"] >= 0.9
    assert summary["mean_turns"] <= 8


def test_policies_are_ranked():
    goals = CATALOGUE.goal_indices("test")[:60]
    rand = summarize(play_episodes(RandomPolicy(seed=0), ENV_ID, goals))
    noisy = summarize(play_episodes(NoisyPolicy(seed=0), ENV_ID, goals))
    expert = summarize(play_episodes(ExpertPolicy(), ENV_ID, goals))
    assert rand["mean_return"] < noisy["mean_return"] < expert["mean_return"]
    assert rand["success_rate"] < noisy["success_rate"] < expert["success_rate"]
