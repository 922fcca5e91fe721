"""Scripted policies and secret lists per environment, for data generation and reference numbers."""

from __future__ import annotations

from archer_envs import ENVS

SCRIPTED = ("expert", "noisy", "random")


def has_scripted_policies(env_id: str) -> bool:
    return env_id in ("archer/Detective-v0", "archer/WebShop-v0") or env_id.startswith(
        ("archer/TwentyQuestions", "archer/GuessMyCity"))


def _game(env_id: str):
    if env_id not in ENVS:
        raise ValueError(f"unknown env {env_id!r}: expected one of {', '.join(ENVS)}")
    if env_id.startswith("archer/TwentyQuestions"):
        from archer_envs.twenty_questions.env import TwentyQuestionsGame
        from archer_envs.twenty_questions.words import PAPER_SUBSET

        return TwentyQuestionsGame(PAPER_SUBSET if ENVS[env_id][2].get("subset") else None)
    if env_id.startswith("archer/GuessMyCity"):
        from archer_envs.guess_my_city.env import GuessMyCityGame

        return GuessMyCityGame()
    raise ValueError(f"no scripted policies for {env_id!r} yet: they exist for "
                     f"{', '.join(e for e in ENVS if has_scripted_policies(e))}")


# Detective has a case per seed: its fixed evaluation list is the first cases of each seed range.
DETECTIVE_CASES_PER_SPLIT = 200


def split_secrets(env_id: str, split: str) -> list:
    """Every secret of a split, in the data file's order (Detective: the first 200 case seeds;
    WebShop: the goal indices of the default catalogue)."""
    if env_id == "archer/WebShop-v0":
        from archer_envs.webshop.env import shop

        return shop()[0].goal_indices(split)
    if env_id == "archer/Detective-v0":
        from archer_envs.detective.env import SPLITS

        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
        low = SPLITS[split][0]
        return list(range(low, low + DETECTIVE_CASES_PER_SPLIT))
    return list(_game(env_id).secrets(split))


def scripted_policy(env_id: str, name: str, seed: int | None = 0):
    """``expert``, ``noisy`` (behaviour data) or ``random`` for ``env_id``."""
    if name not in SCRIPTED:
        raise ValueError(f"unknown scripted policy {name!r}: expected one of {', '.join(SCRIPTED)}")
    if env_id in ("archer/Detective-v0", "archer/WebShop-v0"):
        module = "detective" if env_id == "archer/Detective-v0" else "webshop"
        policies = __import__(f"archer_envs.{module}.policies", fromlist=["POLICIES"]).POLICIES
        return policies[name](seed=seed)
    _game(env_id)
    if env_id.startswith("archer/GuessMyCity"):
        from archer_envs.guess_my_city.policies import POLICIES
    else:
        from archer_envs.twenty_questions.policies import POLICIES

        if name == "expert" and ENVS[env_id][2].get("subset"):  # the expert plays the game's own secret set
            from archer_envs.twenty_questions.words import PAPER_SUBSET

            return POLICIES[name](seed=seed, secrets=PAPER_SUBSET)
    return POLICIES[name](seed=seed)
