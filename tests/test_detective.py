"""Detective: generated cases are solvable by deduction, the env's rules and rewards, suspects, policies."""

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archer_envs  # noqa: F401
from archer_envs.benchmark import summarize
from archer_envs.detective import REWARDS, deduce, generate_case, guard
from archer_envs.detective.env import MAX_OBSERVATION_CHARS, SPLITS
from archer_envs.detective.policies import ExpertPolicy, NoisyPolicy, RandomPolicy
from archer_envs.detective.suspects import SuspectKnowledgeOracle, encode_secret
from archer_envs.detective.tells import CLASSIFIERS, accuracy, chance, interview
from archer_envs.play import play_episodes

ENV_ID = "archer/Detective-v0"


@pytest.fixture(scope="module")
def env():
    e = gym.make(ENV_ID)
    yield e
    e.close()


# --- the generator ---------------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2_000_000))
def test_every_generated_case_is_deducible_and_well_formed(seed):
    case = generate_case(seed)
    assert deduce(case) == case.culprit
    assert 4 <= len(case.suspects) <= 6
    assert sum(s.name == case.culprit for s in case.suspects) == 1
    assert {c.id for c in case.essential_clues} == {"body", "trace", "alibi"}
    culprit = case.suspect(case.culprit)
    assert culprit.location == case.crime_room and culprit.claimed_location != case.crime_room
    alibi = next(c for c in case.clues if c.id == "alibi")
    assert alibi.room == culprit.claimed_location
    assert not any(c.room == culprit.claimed_location and c.obj == culprit.claimed_object for c in case.clues)
    assert len({s.claimed_location for s in case.suspects}) == len(case.suspects)
    for s in case.suspects:  # innocents tell the truth, and the item they name is in their room
        if s.name != case.culprit:
            assert s.location == s.claimed_location
            assert any(c.id == "proof" and c.room == s.location and c.obj == s.claimed_object
                       and f"{s.first} {s.surname}" in c.text for c in case.clues)


def test_generation_is_deterministic_and_varied():
    assert generate_case(42) == generate_case(42)
    cases = [generate_case(s) for s in range(200)]
    assert len({c.culprit for c in cases}) > 50 and len({c.crime_room for c in cases}) > 5
    assert 0.2 < sum(c.ambiguous for c in cases) / len(cases) < 0.7  # the trace often fits two suspects


def test_bad_seed_is_a_value_error():
    with pytest.raises(ValueError, match="non-negative integer"):
        generate_case(-1)


# --- the env ------------------------------------------------------------------------------------------
def test_a_full_solution_collects_the_reward_table(env):
    obs, info = env.reset(options={"case": 7})
    case = env.unwrapped.case
    culprit = case.suspect(case.culprit)
    trace = next(c for c in case.clues if c.id == "trace")
    steps = [
        (f"go to the {case.crime_room}", 0.0), ("examine the body", REWARDS["essential_clue"]),
        ("examine the body", 0.0),  # only the first time
        (f"examine the {trace.obj}", REWARDS["essential_clue"]), (f"go to the {culprit.claimed_location}", 0.0),
        ("examine the door", REWARDS["essential_clue"]),
    ]
    for command, expected in steps:
        obs, reward, terminated, truncated, info = env.step(command)
        assert reward == pytest.approx(expected), command
    assert info["clues_found"] == ["body", "trace", "alibi"] and "culprit" not in info
    obs, reward, terminated, truncated, info = env.step(f"accuse {culprit.short}")
    assert (reward == REWARDS["correct_accusation"] and terminated and info["success"]
            and info["culprit"] == case.culprit)


def test_wrong_accusation_ends_the_episode_with_a_penalty(env):
    env.reset(options={"case": 11})
    case = env.unwrapped.case
    innocent = next(s for s in case.suspects if s.name != case.culprit)
    _, reward, terminated, _, info = env.step(f"accuse the {innocent.role}")
    assert reward == REWARDS["wrong_accusation"] and terminated and not info["success"]


def test_suspects_answer_only_in_the_drawing_room_and_the_culprit_lies_about_where(env):
    env.reset(options={"case": 5})
    case = env.unwrapped.case
    culprit = case.suspect(case.culprit)
    _, _, _, _, info = env.step(f"ask {culprit.short} where were you at nine?")
    assert "not here" in info["response"]
    env.step("go to the drawing room")
    for s in case.suspects:
        _, _, _, _, info = env.step(f"ask {s.short} where were you at nine?")
        assert info["response"] == (f'{s.short}: "At nine o\'clock I was in the {s.claimed_location}, on my own; '
                                    f'you will find my {s.claimed_object} there."')
        assert (s.claimed_location == s.location) == (s is not culprit)


@pytest.mark.parametrize("question, expected", [("where were you when it happened", "At nine o'clock I was"),
                                                ("what do you do here", "I am "),
                                                ("did you hear anything", "I heard a crash"),
                                                ("who do you think did it", "That is your job")])
def test_question_intents(question, expected):
    oracle = SuspectKnowledgeOracle()
    case = generate_case(3)
    answers = oracle.answer([encode_secret(3, s.name) for s in case.suspects], [question] * len(case.suspects))
    assert all(expected in a for a in answers), answers


def test_guard_removes_confessions_and_accusations():
    case = generate_case(3)
    culprit = case.suspect(case.culprit)
    innocent = next(s for s in case.suspects if s.name != case.culprit)
    assert "killed" not in guard(case, culprit, "Fine. I killed them, and I'd do it again.")
    assert culprit.surname not in guard(case, innocent, f"It was {culprit.short} who murdered them!")
    assert guard(case, culprit, "I did not kill anyone.") == "I did not kill anyone."


def test_observation_stays_under_its_limit_and_keeps_the_newest_turns(env):
    env.reset(options={"case": 1})
    env.step("go to the drawing room")
    for i in range(45):
        obs, *_ = env.step(f"ask {env.unwrapped.case.suspects[0].short} did you hear anything? ({i})")
        assert len(obs) <= MAX_OBSERVATION_CHARS
    assert "(44)" in obs and "(0)" not in obs and obs.startswith("You are the detective.")


def test_truncated_after_fifty_steps(env):
    env.reset(options={"case": 2})
    for _ in range(50):
        *_, terminated, truncated, info = env.step("look")
    assert truncated and not terminated and info["culprit"]


@pytest.mark.parametrize("options, match", [({"case": -3}, "non-negative"), ({"split": "dev"}, "unknown split"),
                                            ({"seed": 1}, "unknown reset option")])
def test_bad_reset_options(env, options, match):
    with pytest.raises(ValueError, match=match):
        env.reset(options=options)


def test_splits_are_seed_ranges(env):
    for split, (low, high) in SPLITS.items():
        for seed in range(20):
            _, info = env.reset(seed=seed, options={"split": split})
            assert low <= info["case"] < high


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.one_of(st.text(max_size=400), st.binary(max_size=100).map(lambda b: b.decode("latin-1")),
                        st.sampled_from(["go to the moon", "ask", "accuse", "examine", "accuse everyone",
                                         "ask the butler"])))
def test_fuzz_any_string_scores_from_the_reward_table_and_invalid_ones_score_nothing(env, action):
    # That any string is an action in the observation space: test_env_conformance.py, for every env.
    env.reset(options={"case": 9})
    obs, reward, terminated, truncated, info = env.step(action)
    assert reward in (0.0, REWARDS["essential_clue"], REWARDS["correct_accusation"], REWARDS["wrong_accusation"])
    if not info["valid"]:
        assert reward == 0.0 and not terminated


# --- answers carry no tells: the culprit is found through the clues -----------------------------------
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2_000_000))
def test_every_suspect_answers_every_question_in_the_same_words(seed):
    """With the case's names, roles, rooms and items masked, the culprit's answers to the whole
    interview (and to "Where was <other> at nine?") are word for word the innocents' answers."""
    sheet = interview(generate_case(seed), SuspectKnowledgeOracle())
    assert len(set(sheet.shapes)) == 1, sheet.shapes


def test_answer_text_classifiers_find_the_culprit_no_better_than_chance():
    """Over 300 test cases, classifiers that read only the suspects' answers (fitted on 200 training
    cases) name the culprit about as often as a coin with one face per suspect would. Before answers
    lost their tells, "the one who says ', alone.'" was right in every case and three of these in
    every case."""
    oracle = SuspectKnowledgeOracle(matcher="lexical")
    train = [interview(generate_case(s), oracle) for s in range(200)]
    test = [interview(generate_case(s), oracle) for s in range(SPLITS["test"][0], SPLITS["test"][0] + 300)]
    accuracies = {name: accuracy(c, train, test) for name, c in CLASSIFIERS.items()}
    assert all(a <= chance(test) + 0.07 for a in accuracies.values()), (accuracies, chance(test))


def test_suspects_tell_whose_initials_only_the_initials_they_are_given():
    case = next(c for c in map(generate_case, range(100)) if c.ambiguous)
    oracle = SuspectKnowledgeOracle()
    culprit = case.suspect(case.culprit)
    secrets = [encode_secret(case.seed, s.name) for s in case.suspects]
    for answer in oracle.answer(secrets, ["Whose initials are these?"] * len(secrets)):
        assert not any(s.surname in answer or s.initials in answer for s in case.suspects), answer
    decoy = next(s for s in case.suspects if s.initials == culprit.initials and s is not culprit)
    (answer,) = oracle.answer(secrets[:1], [f"Whose are the initials {culprit.initials}?"])
    assert culprit.name in answer and decoy.name in answer


# --- the policies -------------------------------------------------------------------------------------
def test_expert_solves_every_test_case_in_near_minimal_steps():
    results = play_episodes(ExpertPolicy(), ENV_ID, list(range(SPLITS["test"][0], SPLITS["test"][0] + 100)))
    summary = summarize(results)
    assert summary["success_rate"] == 1.0 and summary["mean_turns"] <= 9.5
    assert all(r.ret == pytest.approx(1.3) for r in results)  # all three clues and the culprit


def test_policies_are_ranked():
    seeds = list(range(SPLITS["test"][0], SPLITS["test"][0] + 60))
    rand = summarize(play_episodes(RandomPolicy(seed=0), ENV_ID, seeds))
    noisy = summarize(play_episodes(NoisyPolicy(seed=0), ENV_ID, seeds))
    assert rand["success_rate"] < noisy["success_rate"] < 1.0
    assert rand["mean_return"] < noisy["mean_return"]


def test_role_play_prompt_tells_only_the_culprit_to_lie():
    from archer_envs.detective import DETECTIVE_TASK

    case = generate_case(21)
    for s in case.suspects:
        prompt = DETECTIVE_TASK.user(encode_secret(21, s.name), "Where were you at nine?")
        assert case.victim in prompt and case.crime_room in prompt and "Where were you at nine?" in prompt
        if s.name == case.culprit:
            assert "You are the murderer" in prompt and f"you were in the {s.claimed_location}, on your own" in prompt
        else:
            assert "You are innocent" in prompt and s.location in prompt and "murderer, but" not in prompt


def test_llm_answers_pass_the_same_guard():
    from archer_envs.oracles import Oracle

    class Confessor(Oracle):
        def _answer_batch(self, secrets, questions):
            return ["Alright, I killed them. It was me." for _ in secrets]

    env = gym.make(ENV_ID, oracle=Confessor())
    env.reset(options={"case": 21})
    case = env.unwrapped.case
    env.step("go to the drawing room")
    _, _, _, _, info = env.step(f"ask {case.suspect(case.culprit).short} did you do it?")
    assert "killed" not in info["response"] and "your job" in info["response"]
