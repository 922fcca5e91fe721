"""Conformance checks any text env can run, ours or yours (in the spirit of PettingZoo's ``api_test``).

    from archer_envs.testing import check
    check("archer/TwentyQuestions-v0")                    # a registered id (made with render_mode="ansi")
    check(MyTextEnv(), seed=3, fuzz_actions=500)          # or an env instance

:func:`check` raises :class:`ConformanceError` naming the env and the first broken promise:

1. Gymnasium's ``check_env`` passes (spaces, seeding, reset/step signatures, ``render``).
2. Both spaces are ``gymnasium.spaces.Text``: agents send and receive strings.
3. The info keys the harness reads are there (:func:`required_info_keys`): an env whose episodes are
   forced by a reset option (``secret_option``: ``"word"``, ``"city"``, ...) is evaluated on secret
   lists by :func:`archer_envs.play.play_episodes`, which reads ``info["success"]`` (a bool) after
   every step and records ``info["answer"]`` or ``info["response"]`` (a str) when there is one; and
   that reset option works with the first test secret of a registered id.
4. Determinism: the same seed and the same actions give the same observations, rewards and ends, on
   the same env and on a freshly made one.
5. Fuzzing: random strings (empty, whitespace, very long, non-ASCII, control characters, bracketed
   commands) never crash ``step``, every observation stays in the observation space, every reward is a
   finite float, and every episode ends within ``max_episode_steps``.
6. For an id with a vector entry point: the batched env steps a batch of fuzz strings and its info
   holds ``answer`` and ``success`` per slot (what batched evaluation reads).

Randomness comes from ``random.Random(seed)``, so a failing check fails the same way again; property
tests may pass their own strings to :func:`check_action`. Torch-free; needs no hypothesis.
"""

from __future__ import annotations

import math
import random
from typing import Any, Iterable, Sequence

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

from archer_envs.play import secret_option

# Read from every step's info by archer_envs.play (and the leaderboard's online runs) for envs played on secrets.
SUCCESS_KEY = "success"
REPLY_KEYS = ("answer", "response")  # the env's reply to the action: either name
# Characters the fuzzer mixes in: controls (incl. NUL, DEL, separators), accents, other scripts, emoji,
# combining marks, zero-width and bidi marks, typographic quotes.
_ODD_CHARS = ("\x00\x01\x07\x08\t\n\x0b\x0c\r\x1b\x7f\x85\u2028\u2029" "éøßÆŒñ" "日本語中文" "Ελληνικάкириллица"
              "العربيةעברית" "हिन्दी" "😀🕵️🛒" "e\u0301\u0308" "\u200b\u200d\ufeff\u202e" "“”‘’–—…")


class ConformanceError(AssertionError):
    """An env breaks one of the promises :func:`check` tests; the message names the env and the promise."""


def _fail(name: str, message: str) -> None:
    raise ConformanceError(f"{name}: {message}")


def fuzz_strings(rng: random.Random, n: int) -> list[str]:
    """``n`` strings an agent might send, fixed by ``rng``: the edge cases first, then random mixes."""
    edge = ["", " ", "\n", "\x00", "\t\r\n", "?" * 3, "x" * 10_000, "Is it " + "é" * 2_000 + "?", "search[]",
            "click[]", "search[" + "\x00" * 10 + "]", "lone \ud800 surrogate", "click[Buy Now]", "accuse", "go to",
            "[[[]]]", _ODD_CHARS]
    pools = [_ODD_CHARS, "abcdefghijklmnopqrstuvwxyz ?", "[](){}<>'\"\\/|;:,.!@#$%^&*-_=+~`"]
    out = edge[:n]
    while len(out) < n:
        length = rng.choice((1, 5, 20, 80, 400, 5_000))
        text = "".join(rng.choice(rng.choice(pools)) for _ in range(length))
        out.append(rng.choice(("{}", "Is it {}?", "search[{}]", "click[{}]", "ask {}", "{}\n{}")).format(text, text))
    return out


def required_info_keys(env: gym.Env) -> tuple[str, ...]:
    """The info keys the harness reads after each step of ``env`` (see the module docstring, item 3)."""
    return (SUCCESS_KEY,) if secret_option(env) is not None else ()


def check_action(env: gym.Env, action: str, name: str = "env") -> tuple[Any, float, bool, bool, dict]:
    """Step ``env`` (reset, its episode not over) with ``action`` and check the result: the observation
    in the space, a finite float reward, bool ends, the info keys the harness reads."""
    try:
        obs, reward, terminated, truncated, info = env.step(action)
    except Exception as err:  # noqa: BLE001  (any crash on a string is the failure being checked)
        _fail(name, f"step({action[:80]!r}...) raised {type(err).__name__}: {err}")
    _check_step(env, name, action, obs, reward, terminated, truncated, info)
    return obs, float(reward), bool(terminated), bool(truncated), info


def _check_step(env, name, action, obs, reward, terminated, truncated, info) -> None:
    shown = repr(action[:80])
    if not env.observation_space.contains(obs):
        _fail(name, f"step({shown}) returned an observation outside the observation space: {str(obs)[:200]!r}")
    if not isinstance(reward, (int, float, np.floating, np.integer)) or not math.isfinite(float(reward)):
        _fail(name, f"step({shown}) returned reward {reward!r}; expected a finite float")
    if not isinstance(terminated, (bool, np.bool_)) or not isinstance(truncated, (bool, np.bool_)):
        _fail(name, f"step({shown}) returned terminated={terminated!r}, truncated={truncated!r}; expected bools")
    if not isinstance(info, dict):
        _fail(name, f"step({shown}) returned info of type {type(info).__name__}; expected a dict")
    missing = [k for k in required_info_keys(env) if k not in info]
    if missing:
        _fail(name, f"step({shown}) info lacks {missing} (has {sorted(info)}); archer_envs.play reads them")
    if SUCCESS_KEY in info and not isinstance(info[SUCCESS_KEY], (bool, np.bool_)):
        _fail(name, f"info[{SUCCESS_KEY!r}] is {info[SUCCESS_KEY]!r}; expected a bool")
    for key in REPLY_KEYS:  # optional (a transcript then records ""), but text when given
        if key in info and not isinstance(info[key], str):
            _fail(name, f"info[{key!r}] is {info[key]!r}; expected the reply as a str")


def _transcript(env: gym.Env, name: str, seed: int, actions: Sequence[str], options: dict | None) -> list:
    obs, _ = env.reset(seed=seed, options=options)
    out: list = [obs]
    for action in actions:
        obs, reward, terminated, truncated, _ = check_action(env, action, name)
        out.append((obs, float(reward), bool(terminated), bool(truncated)))
        if terminated or truncated:
            break
    return out


def _check_determinism(env: gym.Env, name: str, seed: int, actions: Sequence[str], remake=None,
                       options: dict | None = None) -> None:
    """Two plays of ``actions`` from ``reset(seed=seed)`` (the second also on a fresh env) are identical."""
    first = _transcript(env, name, seed, actions, options)
    if _transcript(env, name, seed, actions, options) != first:
        _fail(name, f"reset(seed={seed}) and the same {len(actions)} actions gave different transcripts")
    if remake is not None:
        fresh = remake()
        try:
            if _transcript(fresh, name, seed, actions, options) != first:
                _fail(name, f"a freshly made env with reset(seed={seed}) and the same actions gave a different "
                            "transcript (state shared between instances?)")
        finally:
            fresh.close()


def _fuzz(env: gym.Env, name: str, actions: Iterable[str]) -> None:
    """Step every action, starting a new episode whenever one ends."""
    env.reset()
    for action in actions:
        *_, terminated, truncated, _ = check_action(env, action, name)
        if terminated or truncated:
            env.reset()


def _expert_actions(env: gym.Env, agent, seed: int, limit: int) -> list[str]:
    """The actions a scripted agent plays in the episode ``reset(seed=seed)`` starts."""
    obs, _ = env.reset(seed=seed)
    actions: list[str] = []
    for _ in range(limit):
        actions.append(str(agent.act([obs])[0]))
        obs, _, terminated, truncated, _ = env.step(actions[-1])
        if terminated or truncated:
            break
    return actions


def _check_episode_ends(env: gym.Env, name: str, actions: Iterable[str], max_episode_steps: int) -> None:
    env.reset()
    for steps, action in enumerate(actions, start=1):
        *_, terminated, truncated, _ = check_action(env, action, name)
        if terminated or truncated:
            return
        if steps >= max_episode_steps:
            break
    _fail(name, f"an episode of fuzz actions did not end within {max_episode_steps} steps")


def _check_vector(env_id: str, env_kwargs: dict, rng: random.Random, options: dict | None) -> None:
    envs = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point", **env_kwargs)
    try:
        envs.reset(seed=0, options=options)
        for _ in range(3):
            obs, rewards, terminated, truncated, info = envs.step(fuzz_strings(rng, 3))
            for key in (SUCCESS_KEY, REPLY_KEYS[0]):
                if key not in info or len(info[key]) != 3:
                    _fail(env_id, f"the vector env's info lacks {key!r} per slot (has {sorted(info)})")
            if not all(envs.single_observation_space.contains(o) for o in obs):
                _fail(env_id, "the vector env returned an observation outside the single observation space")
            if (terminated | truncated).any():
                break
    finally:
        envs.close()


def check(
    env: str | gym.Env,
    *,
    env_kwargs: dict[str, Any] | None = None,
    seed: int = 0,
    fuzz_actions: int = 200,
    max_episode_steps: int = 1_000,
    skip_render_check: bool = False,
) -> None:
    """Run every conformance check on ``env`` (a registered id or an env instance); see the module docstring.

    Args:
        env: an env id (made here with ``render_mode="ansi"`` and ``env_kwargs``, so the fresh-instance
            determinism and vector checks also run) or an env (checked as it is; it is not closed).
        seed: seeds the episodes and the fuzz strings.
        fuzz_actions: how many random strings are stepped.
        max_episode_steps: the longest an episode of random strings may last.
        skip_render_check: passed to Gymnasium's ``check_env``.
    """
    env_kwargs = dict(env_kwargs or {})
    own = isinstance(env, str)
    env_id = env if own else None
    if own:
        def make():
            return gym.make(env_id, render_mode="ansi", **env_kwargs)

        instance = make()
    else:
        make, instance = None, env
    name = env_id or type(instance.unwrapped).__name__
    rng = random.Random(seed)
    try:
        try:
            check_env(instance.unwrapped, skip_render_check=skip_render_check)
        except Exception as err:  # noqa: BLE001  (report which env failed Gymnasium's checker)
            raise ConformanceError(f"{name}: gymnasium's check_env failed: {err}") from err
        for role, space in (("action", instance.action_space), ("observation", instance.observation_space)):
            if not isinstance(space, gym.spaces.Text):
                _fail(name, f"its {role} space is {space!r}; expected gymnasium.spaces.Text")
        options = _secret_options(instance, env_id, env_kwargs, name)
        _check_determinism(instance, name, seed, fuzz_strings(random.Random(seed), 30), make)
        agent = _scripted_expert(env_id, seed)
        if agent is not None:  # a winning episode too, so the terminal step is compared as well
            _check_determinism(instance, name, seed, _expert_actions(instance, agent, seed, max_episode_steps), make)
        _fuzz(instance, name, fuzz_strings(rng, fuzz_actions))
        _check_episode_ends(instance, name, _endless_fuzz(rng), max_episode_steps)
        if own and gym.spec(env_id).vector_entry_point is not None:
            _check_vector(env_id, env_kwargs, rng, {k: [v] * 3 for k, v in (options or {}).items()})
    finally:
        if own:
            instance.close()


def _endless_fuzz(rng: random.Random):
    while True:
        yield from fuzz_strings(rng, 16)[rng.randrange(16):]


def _scripted_expert(env_id: str | None, seed: int):
    from archer_envs import ENVS

    d = ENVS.get(env_id) if env_id is not None else None
    return d.scripted_policy("expert", seed) if d is not None and d.has_scripted_policies else None


def _secret_options(env: gym.Env, env_id: str | None, env_kwargs: dict, name: str) -> dict | None:
    """Reset options forcing the first test secret of a registered id (None: the env has no secret option)."""
    option = secret_option(env)
    if option is None or env_id is None:
        return None
    from archer_envs import ENVS

    if env_id not in ENVS or ENVS[env_id].secrets is None:
        return None
    secrets = ENVS[env_id].split_secrets("test", env_kwargs)
    if not secrets:
        _fail(name, "its test split has no secrets")
    try:
        obs, _ = env.reset(options={option: secrets[0]})
    except Exception as err:  # noqa: BLE001
        _fail(name, f"reset(options={{{option!r}: {secrets[0]!r}}}) raised {type(err).__name__}: {err}")
    if not env.observation_space.contains(obs):
        _fail(name, f"reset(options={{{option!r}: ...}}) returned an observation outside the observation space")
    return {option: secrets[0]}


__all__ = ["ConformanceError", "check", "check_action", "fuzz_strings", "required_info_keys", "secret_option"]
