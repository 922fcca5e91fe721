"""Twenty Questions as a Gymnasium env: registration, spaces, rules, rewards, info, bad input."""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archer_envs  # noqa: F401
from archer_envs.twenty_questions import PAPER_SUBSET, WordList


@pytest.fixture(scope="module")
def env():
    e = gym.make("archer/TwentyQuestions-v0")
    yield e
    e.close()


def test_make_with_module_prefix_works_without_import():
    code = (
        "import gymnasium as gym, sys\n"
        "assert 'archer_envs' not in sys.modules\n"
        "env = gym.make('archer_envs:archer/TwentyQuestions-v0', oracle_kwargs={'matcher': 'lexical'})\n"
        "obs, info = env.reset(seed=0)\n"
        "print(obs.strip())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Questions:"


def test_spaces_are_printable_text_with_min_length_zero(env):
    for space in (env.observation_space, env.action_space):
        assert isinstance(space, gym.spaces.Text)
        assert space.min_length == 0
        assert " " in space.character_set and "\n" in space.character_set


def test_observation_format_reward_and_info(env):
    obs, info = env.reset(seed=1, options={"word": "dog"})
    assert obs == "Questions:\n"
    obs, reward, terminated, truncated, info = env.step("Is it an animal?")
    assert obs == "Questions:\nIs it an animal? Yes.\n"
    assert (reward, terminated, truncated) == (-1.0, False, False)
    assert info["answer"] == "Yes." and info["valid"] and not info["success"]
    assert "word" not in info  # the secret stays hidden during the episode
    obs, reward, terminated, truncated, info = env.step("What is it?")
    assert info["answer"] == "Invalid Question." and not info["valid"] and reward == -1.0
    obs, reward, terminated, truncated, info = env.step("Is it a dog?")
    assert (reward, terminated, truncated) == (0.0, True, False)
    assert info["success"] and info["word"] == "Dog"
    assert obs.endswith("Is it a dog? Yes.\n")


def test_truncated_after_twenty_turns_with_return_minus_twenty(env):
    env.reset(seed=0, options={"word": "piano"})
    total = 0.0
    for turn in range(1, 21):
        _, reward, terminated, truncated, info = env.step("Is it alive?")
        total += reward
        assert not terminated
        assert truncated == (turn == 20)
    assert total == -20.0 and info["word"] == "Piano"
    with pytest.raises(RuntimeError, match="reset"):
        env.step("Is it a piano?")


@pytest.mark.parametrize(
    "word, question",
    [
        ("Soccer ball", "Is it a soccer ball?"),
        ("Lawn mower", "Is the object a lawn mower?"),
        ("Scissors", "Is it a pair of scissors?"),
        ("Scissors", "scissors?"),
        ("Television", "Is it a TV?"),
        ("Airplane", "Could it be a plane?"),
        ("Pants", "Is it a pair of pants?"),
        ("Headphone", "Are they headphones?"),
        ("Couch", "Is it a sofa?"),
        ("Orange", "Is it an orange?"),
        ("Apple", "My guess is an apple."),
        ("Stuffed animal", "Is it a stuffed animal?"),
    ],
)
def test_guessing_the_word_or_a_variant_wins(env, word, question):
    env.reset(options={"word": word})
    _, reward, terminated, _, info = env.step(question)
    assert info["success"] and terminated and reward == 0.0


@pytest.mark.parametrize(
    "word, question",
    [
        ("Cat", "Is it a cat, a dog or a cow?"),
        ("Cat", "Is it a dog or a cat?"),
        ("Cat", "Is it a cat or a mouse?"),
        ("Cat", "Is it a cat-like animal?"),
        ("Cat", "Is it bigger than a cat?"),
        ("Cat", "Is it not a cat?"),
        ("Cat", "Does a cat like it?"),
        ("Orange", "Is it orange?"),  # a colour question, not a guess
        ("Bear", "Is it a teddy bear?"),
        ("Soccer ball", "Is it a ball?"),
        ("Soccer ball", "Is it a football?"),  # ours is the American football
        ("Pen", "Is it a pendant?"),
    ],
)
def test_questions_that_are_not_exact_guesses_never_win(env, word, question):
    env.reset(options={"word": word})
    _, reward, terminated, _, info = env.step(question)
    assert not info["success"] and not terminated and reward == -1.0


def test_choice_questions_are_answered_truthfully(env):
    env.reset(options={"word": "cat"})
    assert env.step("Is it a cat, a dog or a cow?")[4]["answer"] == "Yes."
    assert env.step("Is it a horse or a sheep?")[4]["answer"] == "No."


def test_splits_are_fixed_disjoint_and_stratified():
    words = WordList.default()
    train, test = set(words.names("train")), set(words.names("test"))
    assert not train & test and len(train | test) == 158
    assert 0.15 <= len(test) / 158 <= 0.25
    for category in {w.category for w in words.words}:
        assert any(w.category == category and w.split == "test" for w in words.words)


@pytest.mark.parametrize("split", ["train", "test"])
def test_reset_draws_secrets_from_the_requested_split(env, split):
    pool = set(WordList.default().names(split))
    seen = set()
    for seed in range(60):
        env.reset(seed=seed, options={"split": split})
        seen.add(env.unwrapped.episode.secret)
    assert seen <= pool and len(seen) > 10


def test_same_seed_same_secret(env):
    secrets = []
    for _ in range(2):
        env.reset(seed=123)
        secrets.append(env.unwrapped.episode.secret)
    assert secrets[0] == secrets[1]


def test_subset_env_uses_the_papers_ten_words():
    env = gym.make("archer/TwentyQuestionsSubset-v0")
    seen = set()
    for seed in range(100):
        env.reset(seed=seed, options={"split": "test"})
        seen.add(env.unwrapped.episode.secret)
    assert seen == set(PAPER_SUBSET)
    with pytest.raises(ValueError, match="unknown word .cat.*Football, Dog"):
        env.reset(options={"word": "cat"})  # not in the subset: the error lists the allowed words


def test_the_subset_expert_plays_the_subsets_ten_words():
    from archer_envs.benchmark import summarize
    from archer_envs.play import play_episodes
    from archer_envs.scripted import scripted_policy
    from archer_envs.twenty_questions.policies import ExpertPolicy

    expert = scripted_policy("archer/TwentyQuestionsSubset-v0", "expert")
    assert sorted(expert.state.secrets) == sorted(PAPER_SUBSET)
    summary = summarize(play_episodes(expert, "archer/TwentyQuestionsSubset-v0", list(PAPER_SUBSET)))
    # 10 words: about log2(10) = 3.3 questions, the final guess free; with all 158 words it paid about 6.7
    assert summary["success_rate"] == 1.0 and summary["mean_return"] >= -3.5
    with pytest.raises(ValueError, match="Unicorn"):
        ExpertPolicy(secrets=["Dog", "Unicorn"])


@pytest.mark.parametrize(
    "kwargs, options, match",
    [
        ({"oracle": "gpt5"}, None, "unknown oracle 'gpt5'.*knowledge, openai, hf"),
        ({}, {"word": "unicorn"}, "unknown word 'unicorn'"),
        ({}, {"split": "validation"}, "unknown split 'validation'.*train, test, all"),
        ({}, {"secret_word": "cat"}, "unknown reset option"),
        ({"oracle_kwargs": {"matcher": "regex"}}, None, "unknown matcher 'regex'"),
        ({"render_mode": "human"}, None, "render_mode"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_value(kwargs, options, match):
    with pytest.raises(ValueError, match=match):
        env = gym.make("archer/TwentyQuestions-v0", **kwargs)
        env.reset(options=options)


def test_render_ansi_is_the_transcript():
    env = gym.make("archer/TwentyQuestions-v0", render_mode="ansi")
    env.reset(options={"word": "banana"})
    env.step("Is it a fruit?")
    assert env.render() == "Questions:\nIs it a fruit? Yes.\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.one_of(st.text(max_size=400), st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
                        st.text(alphabet=st.characters(), min_size=5000, max_size=10000)),
       word=st.sampled_from(WordList.default().names("all")))
def test_fuzz_any_string_costs_a_turn_unless_it_guesses_the_word(env, action, word):
    # That any string is a valid action in the observation space: test_env_conformance.py, for every env.
    obs, _ = env.reset(options={"word": word})
    obs, reward, terminated, truncated, info = env.step(action)
    assert info["answer"] in ("Yes.", "No.", "Invalid Question.")
    if info["success"]:  # only a real guess of the secret can win
        assert reward == 0.0 and terminated
    else:
        assert reward == -1.0 and not terminated
    assert obs.count("\n") == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(st.text(max_size=600), min_size=20, max_size=20))
def test_fuzz_full_episodes_end_within_twenty_turns_with_a_return_in_range(env, actions):
    env.reset(seed=0)
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        assert env.observation_space.contains(obs)
        if terminated:
            break
    assert terminated or truncated
    assert -20.0 <= -len(env.unwrapped.episode.turns) + (1 if terminated else 0) <= 0


def test_random_garbage_never_wins():
    env = gym.make("archer/TwentyQuestions-v0")
    rng = np.random.default_rng(0)
    env.action_space.seed(0)
    for _ in range(5):
        env.reset(seed=int(rng.integers(1 << 30)))
        for _ in range(20):
            *_, terminated, truncated, info = env.step(env.action_space.sample())
            assert not info["success"]
            if terminated or truncated:
                break


def test_unicode_questions_are_transliterated_not_dropped(env):
    env.reset(options={"word": "cat"})
    obs, *_ = env.step("Is it an “animal” – a mammal?")
    assert obs == 'Questions:\nIs it an "animal" - a mammal? Yes.\n'
