"""Every registered env and every way to vectorize it: bad arguments are refused with an error that
names the argument and what it accepts, a refused call changes nothing, and every vectorization mode
either plays like the single env or refuses clearly (issue 18)."""

import types

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archer_envs
from archer_envs import jericho_detective

ENV_IDS = list(archer_envs.ENVS)
LEXICAL = {"oracle_kwargs": {"matcher": "lexical"}}  # the fast matcher: these tests are about arguments

# What each env accepts at reset: an example of each option (the env's documentation, as data).
VALID_OPTIONS = {
    "archer/TwentyQuestions-v0": {"split": "test", "word": "cat"},
    "archer/TwentyQuestionsSubset-v0": {"split": "test", "word": "dog"},
    "archer/GuessMyCity-v0": {"split": "test", "city": "Paris"},
    "archer/JerichoDetective-v0": {},
    "archer/Detective-v0": {"split": "test", "case": 7},
    "archer/WebShop-v0": {"split": "test", "goal": 3},
}
SECRET_KIND = {"word": str, "city": str, "case": int, "goal": int}


class FakeFrotz:
    """Just enough of ``jericho.FrotzEnv`` to run JerichoDetective-v0's own code without Jericho and
    the game file (neither ships with archer-gym): a one-room game that echoes commands."""

    def __init__(self, rom_path):
        self.moves = 0

    def get_max_score(self):
        return 10

    def reset(self):
        self.moves = 0
        return "You stand in a room.\n", {"score": 0, "moves": 0}

    def step(self, command):
        self.moves += 1
        return f"You {command}.\n", 0, False, {"score": 0, "moves": self.moves}

    def get_valid_actions(self, use_parallel=True):
        return ["wait", "look"]

    def get_dictionary(self):
        return []

    def victory(self):
        return False

    def get_state(self):
        return (self.moves,)  # Jericho's is a tuple too (memory, stack, registers, ...)

    def set_state(self, state):
        (self.moves,) = state

    def close(self):
        pass


@pytest.fixture(scope="module")
def env_kwargs(tmp_path_factory):
    rom = tmp_path_factory.mktemp("rom") / "detective.z5"
    rom.write_bytes(b"not a real game: FakeFrotz never reads it")
    with pytest.MonkeyPatch.context() as patch:  # forked AsyncVectorEnv workers inherit the patch
        patch.setattr(jericho_detective, "_import_jericho", lambda: types.SimpleNamespace(
            FrotzEnv=FakeFrotz, util=types.SimpleNamespace()))
        kwargs = {env_id: {} for env_id in ENV_IDS}
        for env_id in ENV_IDS:
            if env_id == "archer/JerichoDetective-v0":
                kwargs[env_id] = {"rom_path": str(rom)}
            elif env_id != "archer/WebShop-v0":
                kwargs[env_id] = dict(LEXICAL)
        yield kwargs


@pytest.fixture(scope="module")
def envs(env_kwargs):
    made = {env_id: gym.make(env_id, **env_kwargs[env_id]) for env_id in ENV_IDS}
    yield made
    for env in made.values():
        env.close()


def test_the_option_table_covers_every_registered_env_and_its_values_are_accepted(envs):
    assert set(VALID_OPTIONS) == set(ENV_IDS)
    for env_id, options in VALID_OPTIONS.items():
        envs[env_id].reset(seed=0, options=options)
        for key, value in options.items():  # numpy scalars (e.g. read from an array) are accepted too
            envs[env_id].reset(seed=0, options={key: np.array([value])[0]})


# --- malformed reset options, every env -----------------------------------------------------------
WRONG_TYPE = st.one_of(
    st.lists(st.text(max_size=4), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.floats(allow_nan=False), st.booleans(), st.binary(max_size=4), st.tuples(st.integers()),
)
NOT_A_WORD = st.text(alphabet="qxzjv", min_size=6, max_size=12)


@st.composite
def malformed_options(draw, env_id):
    """(options, the name the error must contain)."""
    accepted = VALID_OPTIONS[env_id]
    kinds = ["not_a_dict", "unknown_key"] + (["bad_value"] if accepted else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "not_a_dict":
        value = draw(st.one_of(st.text(max_size=8), st.lists(st.text(max_size=3), max_size=3), st.integers(),
                               st.floats(allow_nan=False), st.tuples(st.text(max_size=2), st.text(max_size=2))))
        return value, "options"
    if kind == "unknown_key":
        key = draw(st.one_of(st.text(max_size=8), st.integers()).filter(lambda k: k not in accepted))
        return {key: draw(st.text(max_size=4))}, repr(key)
    key = draw(st.sampled_from(sorted(accepted)))
    if key == "split":
        bad = draw(st.one_of(WRONG_TYPE, st.none(), st.integers(), st.text(max_size=8).filter(
            lambda s: s not in ("train", "test", "all"))))
    elif SECRET_KIND[key] is str:
        bad = draw(st.one_of(WRONG_TYPE, st.integers(), NOT_A_WORD))
    else:  # any case seed >= 0 is a case; a goal is an index into the catalogue's goals
        too_big = st.integers(min_value=10**7) if key == "goal" else st.nothing()
        bad = draw(st.one_of(WRONG_TYPE, st.text(max_size=4), st.integers(max_value=-1), too_big))
    return {key: bad}, key


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), env_id=st.sampled_from(ENV_IDS))
def test_malformed_reset_options_name_the_option_and_leave_the_env_usable(envs, data, env_id):
    env = envs[env_id]
    first, _ = env.reset(seed=1)
    options, named = data.draw(malformed_options(env_id))
    with pytest.raises((TypeError, ValueError)) as err:
        env.reset(seed=2, options=options)
    assert named in str(err.value), str(err.value)
    # The refused reset changed nothing: the episode goes on from its first turn, and a valid reset works.
    obs, _, _, _, info = env.step("look")
    assert env.observation_space.contains(obs) and info.get("turn", 1) == 1
    again, _ = env.reset(seed=1)
    assert again == first


# --- malformed arguments of the vector env ---------------------------------------------------------
N = 3
NOT_A_SEQUENCE = st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(),
                           st.dictionaries(st.text(max_size=2), st.text(max_size=2), max_size=2))


@st.composite
def malformed_vector_call(draw):
    """(argument name, call(venv))."""
    which = draw(st.sampled_from(["actions", "seed", "reset_mask", "options", "split"]))
    if which == "actions":
        bad = draw(st.one_of(
            st.text(max_size=N + 2), NOT_A_SEQUENCE,
            st.lists(st.text(max_size=5), max_size=N + 2).filter(lambda a: len(a) != N),
            st.just(np.full((N, 2), "x")),
        ))
        return "actions", lambda venv: venv.step(bad)
    if which == "seed":
        bad = draw(st.one_of(
            st.floats(allow_nan=False), st.text(max_size=3), st.integers(max_value=-1), st.booleans(),
            st.lists(st.integers(min_value=0), max_size=N + 2).filter(lambda s: len(s) != N),
            st.lists(st.floats(allow_nan=False), min_size=N, max_size=N),
        ))
        return "seed", lambda venv: venv.reset(seed=bad)
    if which == "reset_mask":
        bad = draw(st.one_of(
            st.lists(st.booleans(), max_size=N + 2).filter(lambda m: len(m) != N),
            st.lists(st.integers(), min_size=N, max_size=N), st.text(max_size=N), st.booleans(), st.integers(),
            st.just(np.ones((N, 1), dtype=bool)),
        ))
        return "reset_mask", lambda venv: venv.reset(options={"reset_mask": bad})
    if which == "options":
        bad = draw(st.one_of(st.text(max_size=5), st.lists(st.text(max_size=2), max_size=3), st.integers()))
        return "options", lambda venv: venv.reset(options=bad)
    bad = draw(st.one_of(
        st.lists(st.sampled_from(["train", "test"]), max_size=N + 2).filter(lambda s: len(s) != N),
        st.lists(st.sampled_from(["train", "dev", 3, None]), min_size=N, max_size=N).filter(
            lambda s: any(x not in ("train", "test") for x in s)),
    ))
    return "split", lambda venv: venv.reset(options={"split": bad})


@pytest.fixture(scope="module")
def venv():
    venv = gym.make_vec("archer/TwentyQuestions-v0", num_envs=N, vectorization_mode="vector_entry_point",
                        autoreset_mode="Disabled", render_mode="ansi", **LEXICAL)
    yield venv
    venv.close()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(call=malformed_vector_call())
def test_malformed_vector_arguments_name_the_argument_and_change_nothing(venv, call):
    name, bad_call = call
    venv.reset(seed=5, options={"word": ["cat", "piano", "banana"]})
    venv.step(["Is it alive?"] * N)
    before = venv.render()
    with pytest.raises((TypeError, ValueError)) as err:
        bad_call(venv)
    assert name in str(err.value), str(err.value)
    assert venv.render() == before  # nothing was reset or played
    obs, _, terminated, *_ = venv.step(["Is it a cat?", "Is it a piano?", "Is it yellow?"])
    assert [o[: len(b)] for o, b in zip(obs, before)] == list(before)  # each episode went on by one turn
    assert [o.count("\n") for o in obs] == [b.count("\n") + 1 for b in before]
    assert terminated.tolist() == [True, True, False]


def test_a_string_of_n_characters_is_not_n_actions(venv):
    venv.reset(seed=0)
    with pytest.raises(TypeError, match="actions must be a list of 3 strings.*got a single str 'abc'"):
        venv.step("abc")
    with pytest.raises(ValueError, match=r"reset_mask has 2 values for 3 envs"):
        venv.reset(options={"reset_mask": [True, False]})
    with pytest.raises(TypeError, match="seed must be None, a non-negative integer or a list of 3"):
        venv.reset(seed=1.5)
    with pytest.raises(TypeError, match="actions must be a list of 3 strings.*got NoneType None"):
        venv.step(None)


# --- every vectorization mode ----------------------------------------------------------------------
def _first_two_steps(venv, action):
    obs, _ = venv.reset(seed=10)
    stepped, *_ = venv.step([action] * venv.num_envs)
    return tuple(obs), tuple(stepped)


ACTION = {"archer/WebShop-v0": "search[shirt]", "archer/Detective-v0": "look",
          "archer/JerichoDetective-v0": "look"}


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_every_vectorization_mode_plays_like_single_envs_or_refuses_clearly(env_kwargs, env_id):
    kwargs, action = env_kwargs[env_id], ACTION.get(env_id, "Is it alive?")
    singles = [gym.make(env_id, **kwargs) for _ in range(2)]
    expected = (tuple(e.reset(seed=10 + i)[0] for i, e in enumerate(singles)),
                tuple(e.step(action)[0] for e in singles))
    for env in singles:
        env.close()

    modes = [("sync", {}), ("async", {"shared_memory": False})]
    if gym.spec(env_id).vector_entry_point is not None:
        modes.append(("vector_entry_point", {}))
    else:
        with pytest.raises(gym.error.Error, match="vector entry point"):
            gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point", **kwargs)
    for mode, vector_kwargs in modes:
        venv = gym.make_vec(env_id, num_envs=2, vectorization_mode=mode, vector_kwargs=vector_kwargs, **kwargs)
        try:
            assert _first_two_steps(venv, action) == expected, mode
            with pytest.raises(TypeError, match="actions must be a list of 2 strings"):
                venv.step("ab")  # Gymnasium's own vector envs check actions through the batched space too
            venv.step([action, action])  # still usable
        finally:
            venv.close()

    # Gymnasium's shared memory would show every text observation as '000...': refused, naming the fix.
    with pytest.raises(ValueError, match=r"shared_memory=True.*'shared_memory': False"):
        gym.make_vec(env_id, num_envs=2, vectorization_mode="async", **kwargs)


def test_the_action_space_holds_every_string_the_envs_accept(envs):
    # docs/environments.md: any string is a valid action (empty, 10,000 characters, binary junk, another language).
    long, junk = "Is it alive? " * 770, "\x00\x07 é 城市 \udcff"
    for env_id, env in envs.items():
        space = env.action_space
        assert all(space.contains(a) for a in ("", long, junk)), env_id
        assert not space.contains(b"bytes") and not space.contains(None), env_id
        assert all(space.contains(space.sample()) for _ in range(3)), env_id
        env.reset(seed=0)
        env.step(long)  # and the env takes it: one turn
        batched = gym.vector.utils.batch_space(space, 2)
        assert batched.contains((long, junk)), env_id
    two_role = pytest.importorskip("archer_envs.multiagent").TWO_ROLE["archer/TwentyQuestions-v0"].env()
    assert all(two_role.action_space(agent).contains(long) for agent in two_role.possible_agents)
