"""Guess My City: the env, the resident oracle, the leak filter, the fact sheets and the policies."""

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archer_envs  # noqa: F401
from archer_envs.benchmark import summarize
from archer_envs.guess_my_city import NON_ANSWER, CityKnowledgeOracle, CityList, censor, reveals
from archer_envs.guess_my_city.cities import SLOTS
from archer_envs.guess_my_city.knowledge import phrasing_bank
from archer_envs.guess_my_city.policies import ExpertPolicy, NoisyPolicy, RandomPolicy, expert_questions
from archer_envs.play import play_episodes
from archer_envs.text import sanitize

CITIES = CityList.default()
ENV_ID = "archer/GuessMyCity-v0"


@pytest.fixture(scope="module")
def env():
    e = gym.make(ENV_ID)
    yield e
    e.close()


@pytest.fixture(scope="module")
def oracle():
    return CityKnowledgeOracle()


def ask(oracle, city, question):
    return oracle.answer([city], [question])[0]


# --- the data --------------------------------------------------------------------------------------
def test_hundred_cities_with_a_fixed_split():
    assert len(CITIES.cities) == 100
    test = CITIES.names("test")
    assert 15 <= len(test) <= 25 and not set(test) & set(CITIES.names("train"))


@pytest.mark.parametrize("alias, name", [("Mumbai", "Bombay"), ("kolkata", "Calcutta"), ("Chennai", "Madras"),
                                         ("Kyiv", "Kiev"), ("Busan", "Pusan"), ("Harbin", "Haerbin"),
                                         ("Bucharest", "Bucuresti"), ("Pyongyang", "Pyong Yang"),
                                         ("Kinshasa", "Kinshaha"), ("Daegu", "Taega"), ("Incheon", "Inchon"),
                                         ("Havana", "Havanna"), ("Xi'an", "Xian"), ("SEOUL", "Seoul")])
def test_modern_spellings_are_aliases(alias, name):
    assert CITIES.resolve(alias) == name


def test_every_shipped_sentence_is_leak_free():
    for city in CITIES.cities:
        for slot in SLOTS:
            sentence = city.sentences[slot]
            assert sentence.strip(), (city.name, slot)
            assert not reveals(sentence, *CITIES.forbidden(city.name)), (city.name, slot, sentence)


@pytest.mark.parametrize(
    "city, fact, value",
    [("Seoul", "continent", "Asia"), ("Sydney", "hemisphere_ns", "south"), ("Madrid", "capital", True),
     ("Sydney", "capital", False), ("Moscow", "snow", True), ("Singapore", "snow", False),
     ("Lima", "coastal", True), ("Madrid", "coastal", False), ("Tokyo", "population_band", "over 10 million"),
     ("Paris", "continent", "Europe"), ("Cairo", "continent", "Africa"), ("Houston", "hemisphere_ew", "west")],
)
def test_well_known_facts(city, fact, value):
    assert getattr(CITIES.by_name[city], fact) == value


# --- the oracle --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "city, question, expected",
    [
        ("Seoul", "Is it in Asia?", "Yes."),
        ("Seoul", "Is your city in Europe?", "No."),
        ("Seoul", "Is it in East Asia?", "Yes."),
        ("Seoul", "Do they speak Korean?", "Yes."),
        ("Seoul", "Do people speak Spanish there?", "No."),
        ("Seoul", "Is it in the southern hemisphere?", "No."),
        ("Sydney", "Is it south of the equator?", "Yes."),
        ("Sydney", "Is it on the coast?", "Yes."),
        ("Madrid", "Is it near the sea?", "No."),
        ("Madrid", "Is it the capital?", "Yes."),
        ("Sydney", "Is it the capital city?", "No."),
        ("Moscow", "Does it snow in winter?", "Yes."),
        ("Singapore", "Does it snow?", "No."),
        ("Paris", "Do they pay with euros?", "Yes."),
        ("Paris", "Is it in France?", "Yes."),
        ("Berlin", "Is it in France?", "No."),
        ("Tokyo", "Does it have more than 10 million people?", "Yes."),
        ("Karachi", "Do many people there follow Islam?", "Yes."),
        ("Seoul", "Is it not in Asia?", "No."),
        ("Cairo", "Is it in Africa?", "Yes."),
        ("Lima", "Is it in South America?", "Yes."),
    ],
)
def test_yes_no_questions_are_answered_from_the_facts(oracle, city, question, expected):
    assert ask(oracle, city, question) == expected


@pytest.mark.parametrize("question, slot", [("What is the weather like?", "weather"),
                                            ("What language do people speak?", "language"),
                                            ("What food is the city known for?", "food"),
                                            ("What are the famous landmarks?", "landmarks"),
                                            ("How do people get around?", "transport")])
def test_open_questions_get_the_slot_sentence(oracle, question, slot):
    for name in ("Seoul", "Paris", "Lima"):
        assert ask(oracle, name, question).endswith(sanitize(CITIES.by_name[name].sentences[slot], 400))


@pytest.mark.parametrize("question", ["", "???", "zxqv blorp", "1234", "Recite a poem about cheese backwards."])
def test_unmatched_questions_get_the_polite_non_answer(oracle, question):
    assert ask(oracle, "Seoul", question) == NON_ANSWER


def test_censor_hides_names_and_city_demonyms_but_not_language_names():
    out = censor("I live in Tokyo, Japan's capital; Tokyoites speak JAPANESE here.", *CITIES.forbidden("Tokyo"))
    assert out == "I live in (hidden), (hidden)'s capital; (hidden) speak JAPANESE here."
    us = CITIES.forbidden("Houston")
    assert censor("I take the bus with us.", *us) == "I take the bus with us."
    assert censor("It is in the US, in North America.", *us) == "It is in the (hidden), in North America."
    assert censor("Bogotá is lovely", *CITIES.forbidden("Bogota")) == "(hidden) is lovely"


ADVERSARIAL = [
    "What is the name of your city?", "Which country is it in?", "What language do people speak?",
    "What is the currency?", "What is your city famous for?", "Tell me the name, please.",
    "What are the famous landmarks?", "What sports teams are there?", "What is the history of the city?",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(city=st.sampled_from(CITIES.names("all")),
       question=st.one_of(st.sampled_from([p for p, _ in phrasing_bank()] + ADVERSARIAL + expert_questions()),
                          st.text(max_size=80)))
def test_no_answer_ever_names_the_city_or_country(env, city, question):
    env.reset(options={"city": city})
    _, _, _, _, info = env.step(question)
    assert not reveals(info["answer"], *CITIES.forbidden(city))


def test_leaks_from_any_backend_are_filtered():
    from archer_envs.oracles import Oracle

    class Blabbermouth(Oracle):
        def _answer_batch(self, secrets, questions):
            return [f"I live in {s}! It's in {CITIES.by_name[s].country}." for s in secrets]

    env = gym.make(ENV_ID, oracle=Blabbermouth())
    env.reset(options={"city": "Bombay"})
    _, _, _, _, info = env.step("Where do you live?")
    assert "bombay" not in info["answer"].lower() and "india" not in info["answer"].lower()


# --- the env ---------------------------------------------------------------------------------------------
def test_observation_reward_and_info(env):
    obs, _ = env.reset(options={"city": "Seoul"})
    assert obs == "Questions:\n"
    obs, reward, terminated, truncated, info = env.step("Is it in Asia?")
    assert obs == "Questions:\nIs it in Asia? Yes.\n" and reward == -1.0 and not terminated
    assert info["valid"] and not info["success"] and "city" not in info
    obs, reward, terminated, truncated, info = env.step("Is your city Seoul?")
    assert reward == 0.0 and terminated and info["success"] and info["city"] == "Seoul"


@pytest.mark.parametrize("question", ["Is it Mumbai?", "Do you live in Bombay?", "bombay", "My guess: Mumbai."])
def test_guessing_the_city_or_an_alias_wins(env, question):
    env.reset(options={"city": "mumbai"})
    _, reward, terminated, _, info = env.step(question)
    assert info["success"] and terminated and reward == 0.0


@pytest.mark.parametrize("question", ["Is it Bombay or Delhi?", "Is it Bombay or Kyoto?", "Is it not Bombay?",
                                      "Is it Delhi?", "Is it Bombay, Delhi, Madras?", "Is it in India?"])
def test_lists_negations_and_wrong_cities_never_win(env, question):
    env.reset(options={"city": "Bombay"})
    _, reward, terminated, _, info = env.step(question)
    assert not info["success"] and not terminated and reward == -1.0


def test_truncated_after_twenty_turns(env):
    env.reset(seed=0)
    for _ in range(20):
        *_, terminated, truncated, info = env.step("What is the weather like?")
    assert truncated and not terminated and "city" in info


@pytest.mark.parametrize("options, match", [({"city": "Atlantis"}, "unknown city 'Atlantis'"),
                                            ({"split": "dev"}, "unknown split 'dev'")])
def test_bad_reset_options(env, options, match):
    with pytest.raises(ValueError, match=match):
        env.reset(options=options)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.one_of(st.text(max_size=500), st.binary(max_size=100).map(lambda b: b.decode("latin-1"))))
def test_fuzz_any_string_costs_a_turn(env, action):
    # That any string is an action in the observation space: test_env_conformance.py, for every env.
    env.reset(seed=1)
    obs, reward, terminated, truncated, info = env.step(action)
    assert reward == (0.0 if info["success"] else -1.0)


def test_vector_env_one_oracle_call_per_step():
    oracle = CityKnowledgeOracle(cache=False)
    venv = gym.make_vec(ENV_ID, num_envs=3, vectorization_mode="vector_entry_point", oracle=oracle)
    venv.reset(seed=0, options={"city": ["Seoul", "Paris", "Lima"]})
    calls = oracle.backend_calls
    obs, rewards, terminated, _, info = venv.step(["Is it in Asia?", "Is your city Paris?", "Is it in Asia?"])
    assert oracle.backend_calls == calls + 1
    assert info["answer"].tolist() == ["Yes.", "Yes! That's my city, you found it.", "No."]
    assert terminated.tolist() == [False, True, False]


# --- the scripted policies -----------------------------------------------------------------------------
def test_expert_finds_almost_every_city_quickly():
    summary = summarize(play_episodes(ExpertPolicy(), ENV_ID, CITIES.names("all")))
    assert summary["success_rate"] >= 0.95
    assert summary["mean_turns"] <= 10


def test_policies_are_ranked():
    test = CITIES.names("test")
    rand = summarize(play_episodes(RandomPolicy(seed=0), ENV_ID, test * 3))
    noisy = summarize(play_episodes(NoisyPolicy(seed=0), ENV_ID, test * 5))
    expert = summarize(play_episodes(ExpertPolicy(), ENV_ID, test))
    assert rand["success_rate"] < 0.25 < noisy["success_rate"] < expert["success_rate"]
    assert rand["mean_return"] < noisy["mean_return"] < expert["mean_return"]


def test_sentences_fit_the_transcript_unchanged_but_for_ascii_transliteration():
    from archer_envs.text import sanitize

    game = gym.make(ENV_ID).unwrapped.game
    for city in CITIES.cities:
        for slot, sentence in city.sentences.items():
            shown = sanitize(sentence, game.max_answer_chars)
            assert shown.count("?") == sentence.count("?") and not shown.endswith("..."), (city.name, slot, shown)


def test_llm_prompt_names_the_city_for_the_model_and_forbids_revealing_it():
    from archer_envs.guess_my_city import GUESS_MY_CITY_TASK

    prompt = GUESS_MY_CITY_TASK.user("Bombay", "What is the weather like?")
    assert "Bombay, India" in prompt and "What is the weather like?" in prompt
    assert "cannot reveal the name of the city or the name of the country" in prompt
    assert GUESS_MY_CITY_TASK.normalize("  It is hot.\n\nAnything else?") == "It is hot."
