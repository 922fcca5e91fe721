"""Guess My City rules that must hold for every secret city (issue 18): the resident answers direct
questions with the fact, ordinary phrases are never guesses, no disguise of a name reaches the agent
(single-agent or two-role), and the ``city`` reset option accepts exactly the documented names.

The direct questions here are a development set; ``benchmarks/gmc_probe.py`` measures held-out ones.
"""

import re
import unicodedata

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archer_envs  # noqa: F401
from archer_envs.guess_my_city import CityKnowledgeOracle, CityList, reveals
from archer_envs.guess_my_city.cities import name_key
from archer_envs.guess_my_city.env import GuessMyCityGame
from archer_envs.guess_my_city.knowledge import WRONG_GUESS
from archer_envs.multiagent import guess_my_city_v0
from archer_envs.multiagent.two_role import ANSWERER, ASKER
from archer_envs.oracles import Oracle
from archer_envs.text import sanitize, to_ascii

CITIES = CityList.default()
ALL = CITIES.names("all")
GAME = GuessMyCityGame()


def letters(text: str) -> str:
    return "".join(c for c in text.lower() if "a" <= c <= "z")


def fact(city, kind: str) -> str:
    """The fact sheet's value a direct question about ``kind`` asks for (as it should appear)."""
    return {
        "continent": city.continent,
        "language": re.sub(r"\s*\(.*?\)", "", next(lang for lang in city.languages
                                                  if not reveals(lang, *CITIES.forbidden(city.name)))),
        "currency": re.sub(r"\s*\(.*?\)", "", city.currency).split()[0],
        "climate": city.climate,
        "population": city.population_band,
    }[kind]


# --- fidelity: a resident names the continent, the language, the currency ... ----------------------------
DIRECT = {
    "continent": ["What continent are you on?", "Can you tell me which continent it's in?",
                  "From which continent do you write?"],
    "language": ["What do people speak there?", "What's the local language?"],
    "currency": ["What kind of money do they use?", "What currency is used?"],
    "climate": ["Describe the climate.", "How is the climate?"],
    "population": ["How many inhabitants?", "What's the population like?"],
}


@pytest.mark.parametrize("matcher", ["lexical", "auto"])
def test_direct_questions_are_answered_with_the_fact_for_every_city(matcher):
    oracle = CityKnowledgeOracle(matcher=matcher)
    missing = []
    for city in CITIES.cities:
        for kind, questions in DIRECT.items():
            expected = to_ascii(fact(city, kind)).lower()
            for question in questions:
                answer = oracle.answer([city.name], [question])[0]
                if expected not in answer.lower():
                    missing.append((city.name, question, answer))
    assert missing == []


def test_coast_questions_are_answered_for_every_city():
    oracle = CityKnowledgeOracle(matcher="lexical")
    for city in CITIES.cities:
        yes_no = oracle.answer([city.name] * 2, ["Is it on the sea?", "Is your city by the coast?"])
        assert yes_no == ["Yes." if city.coastal else "No."] * 2, city.name
        (either,) = oracle.answer([city.name], ["Is it by the sea or inland?"])
        assert either.startswith("It is on the coast." if city.coastal else "It is inland"), (city.name, either)


def test_a_question_word_after_a_preposition_opens_a_question_in_this_game_only():
    from archer_envs.questions import is_wh_question

    assert is_wh_question("in what language do they talk", after_preposition=True)
    assert not is_wh_question("in what language do they talk")  # Twenty Questions reads it as before
    assert not is_wh_question("in paris is it", after_preposition=True)


def test_yes_no_questions_on_a_citys_own_language_are_answered_yes():
    oracle = CityKnowledgeOracle(matcher="lexical")
    for city in CITIES.cities:
        for lang in city.languages:
            lang = re.sub(r"\s*\(.*?\)", "", lang)
            assert oracle.answer([city.name], [f"Do people speak {lang} there?"]) == ["Yes."], (city.name, lang)


# --- guesses: names count, nicknames and ordinary phrases do not ----------------------------------------
ORDINARY = ["Is it a {}?", "Would you call it a {}?"]


def test_every_name_and_alias_is_a_guess_of_its_city():
    for city in CITIES.cities:
        for name in city.names:
            if "?" in to_ascii(name):  # another script: questions are shown as ASCII, so it cannot be asked
                continue
            question = GAME.clean_question(f"Is it {name}?")
            assert GAME.is_correct_guess(city.name, question, ""), (city.name, name)


def test_no_nickname_is_a_guess_and_every_city_answers_it():
    oracle = CityKnowledgeOracle(matcher="lexical")
    nicknames = [n for c in CITIES.cities for n in c.nicknames]
    assert "Windy City" in nicknames and len(nicknames) >= 20
    for template in ORDINARY:
        questions = [GAME.clean_question(template.format(n.lower())) for n in nicknames]
        for city in ALL:
            answers = oracle.answer([city] * len(questions), questions)
            for question, answer in zip(questions, answers):
                assert not GAME.is_correct_guess(city, question, answer), (city, question)
                assert answer != WRONG_GUESS, (city, question)


# --- leaks: no disguise of a city's or country's name reaches the agent ----------------------------------
_ALPHABETS = [  # (capital A, small a) of alphabets that NFKD folds to ASCII, without holes
    (0xFF21, 0xFF41), (0x1D400, 0x1D41A), (0x1D5A0, 0x1D5BA), (0x1D5D4, 0x1D5EE), (0x1D670, 0x1D68A),
    (0x24B6, 0x24D0),  # fullwidth, bold, sans-serif, sans-serif bold, monospace, circled
]
_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"]
_SEPARATORS = ["-", ".", "_", "/", "*", "?", "\U0001f600", "\u00b7", "'"]
_SPELLED = [" ", ", ", " - ", ". ", "-", "."]


@st.composite
def disguised(draw, name: str) -> str:
    """``name`` as an LLM might disguise it: each letter in another alphabet, accented, with dotless i or
    o with stroke, invisible characters between letters, and either separators between some letters or
    the name spelled out letter by letter."""
    style = draw(st.sampled_from(["invisible", "separated", "spelled"]))
    sep = draw(st.sampled_from(_SPELLED if style == "spelled" else _SEPARATORS))
    out = []
    words = name.split(" ")
    for w, word in enumerate(words):
        for i, c in enumerate(word):
            if i and style == "separated" and draw(st.booleans()):
                out.append(sep)
            if i and style == "spelled" and c.isalnum():
                out.append(sep)
            if i and draw(st.booleans()):
                out.append(draw(st.sampled_from(_INVISIBLE)))
            form = draw(st.integers(0, len(_ALPHABETS) + 3))
            if c.isascii() and c.isalpha() and form < len(_ALPHABETS):
                upper, lower = _ALPHABETS[form]
                c = chr(upper + ord(c) - ord("A")) if c.isupper() else chr(lower + ord(c) - ord("a"))
            elif c == "i" and form == len(_ALPHABETS):
                c = "\u0131"
            elif c in "oO" and form == len(_ALPHABETS):
                c = "\u00f8" if c == "o" else "\u00d8"
            out.append(c)
            if draw(st.booleans()):
                out.append(chr(draw(st.sampled_from([*range(0x300, 0x370), 0x323]))))
        if w < len(words) - 1:
            out.append(" " if style != "spelled" else sep)
    return "".join(out)


def _names_to_hide(city: str) -> list[str]:
    city_names, country_names = CITIES.forbidden(city)
    return [n for n in (*city_names, *country_names) if "?" not in to_ascii(n)]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), city=st.sampled_from(ALL), template=st.sampled_from(["I live in {}.", "{} is home!"]))
def test_no_disguised_name_survives_the_filter(data, city, template):
    name = data.draw(st.sampled_from(_names_to_hide(city)))
    shown = GAME.shown_answer(city, template.format(data.draw(disguised(name))))
    assert not reveals(shown, *CITIES.forbidden(city)), shown
    assert letters(name) not in letters(shown), shown


def test_every_city_and_country_name_is_hidden_for_every_city():
    for city in ALL:
        for name in _names_to_hide(city):
            spelled = " ".join(c for c in to_ascii(name).upper() if c.isalnum())
            for reply in (f"I live in {name}.", f"I live in {spelled}.",
                          f"I live in {unicodedata.normalize('NFD', name.replace('o', 'ø'))}."):
                shown = GAME.shown_answer(city, reply)
                assert letters(name) not in letters(shown), (city, reply, shown)


class Blabbermouth(Oracle):
    """An LLM backend that answers with whatever ``reply`` holds."""

    reply = ""

    def _answer_batch(self, secrets, questions):
        return [self.reply] * len(questions)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), city=st.sampled_from(ALL))
def test_the_observation_never_shows_a_disguised_name(data, city):
    backend = Blabbermouth(cache=False)
    env = gym.make("archer/GuessMyCity-v0", oracle=backend)
    env.reset(options={"city": city})
    backend.reply = "I live in " + data.draw(disguised(data.draw(st.sampled_from(_names_to_hide(city))))) + "."
    obs, *_, info = env.step("Where do you live?")
    answer = obs.split("\n")[-2][len("Where do you live? "):]
    assert answer == info["answer"] and not reveals(answer, *CITIES.forbidden(city)) and "(hidden)" in answer


def test_the_asker_receives_nothing_its_observation_may_not_hold():
    env = guess_my_city_v0.parallel_env(oracle_kwargs={"matcher": "lexical"})
    for city in ALL:
        country = CITIES.by_name[city].country
        env.reset(options={"city": city})
        env.step({ASKER: "Where do you live?"})
        obs, rewards, _, _, infos = env.step({ANSWERER: f"I live in {city.upper()}, {country}! ({city})"})
        received = [obs[ASKER], *(v for v in infos[ASKER].values() if isinstance(v, str))]
        for text in received:
            assert not reveals(text, *CITIES.forbidden(city)), (city, text)
            assert letters(city) not in letters(text) and letters(country) not in letters(text), (city, text)
        assert rewards[ANSWERER] == -1.0  # the leak scores 0


# --- the city reset option --------------------------------------------------------------------------------
def test_every_name_and_alias_in_any_script_resets_to_its_city():
    for city in CITIES.cities:
        for name in city.names:
            assert CITIES.resolve(name) == city.name, name
            assert CITIES.resolve(name.upper()) == city.name, name


@pytest.mark.parametrize("bad", ["", " ", "???", "123", "-", "\u200b", "Windy City", "Atlantis", "Москваа", "東"])
def test_reset_refuses_anything_that_is_not_a_name(bad):
    env = gym.make("archer/GuessMyCity-v0", oracle=Blabbermouth())
    with pytest.raises(ValueError, match="unknown city"):
        env.reset(options={"city": bad})


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=30))
def test_reset_accepts_a_text_only_when_it_is_a_name(text):
    names = {name_key(n): c.name for c in CITIES.cities for n in c.names}
    try:
        resolved = CITIES.resolve(text)
    except ValueError:
        assert name_key(text) not in names
    else:
        assert names[name_key(text)] == resolved and name_key(text) != ""


def test_shown_text_is_what_the_filter_saw():
    # capping "... USAF" at the limit leaves "US..." (a name); the filter reads the capped text
    reply = "x" * (GAME.max_answer_chars - 6) + " USAF base"
    shown = GAME.shown_answer("Houston", reply)
    assert len(shown) <= GAME.max_answer_chars and sanitize(shown, GAME.max_answer_chars) == shown
    assert not reveals(shown, *CITIES.forbidden("Houston"))
