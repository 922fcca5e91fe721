"""The knowledge oracle's reading of free-text questions: matchers, negation, guesses, caching."""

import pytest

from archer_envs.twenty_questions import TwentyQuestionsKnowledgeOracle
from archer_envs.twenty_questions.parse import QuestionParser
from archer_envs.twenty_questions.words import WordList


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
