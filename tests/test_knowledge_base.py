"""The shipped knowledge base: complete, consistent, and answering like a thoughtful person."""

import pytest

from archer_envs.twenty_questions import KnowledgeBase, TwentyQuestionsKnowledgeOracle, WordList

KB = KnowledgeBase.default()
WORDS = list(KB.facts)


def holds(word, attribute):
    return KB.value(word, attribute)


def test_every_word_has_facts_and_there_are_at_least_100_attributes():
    assert len(WORDS) == 158 and set(WORDS) == set(WordList.default().by_name)
    assert len(KB.attributes) >= 100
    for attribute in KB.attributes.values():
        assert 5 <= len(attribute.phrasings) <= 12 and attribute.question in attribute.phrasings


IMPLICATIONS = [
    ("mammal", "animal"), ("animal", "alive"), ("fruit", "food"), ("vegetable", "food"), ("fruit", "plant"),
    ("vegetable", "plant"), ("vehicle", "man_made"), ("furniture", "man_made"), ("clothing", "worn"),
    ("jewelry", "worn"), ("worn_on_head", "worn"), ("worn_on_feet", "worn"), ("worn_on_hands", "worn"),
    ("worn_around_neck", "worn"), ("worn_on_finger", "worn_on_hands"), ("ball", "sports_equipment"),
    ("string_instrument", "musical_instrument"), ("wind_instrument", "musical_instrument"),
    ("percussion", "musical_instrument"), ("musical_instrument", "for_music"), ("four_legs", "has_legs"),
    ("has_blade", "sharp"), ("bigger_than_house", "bigger_than_person"),
    ("bigger_than_person", "bigger_than_breadbox"), ("electronic", "electric"), ("has_keys", "has_buttons"),
    ("body_of_water", "natural"), ("pet", "animal"), ("farm_animal", "animal"), ("power_tool", "tool"),
]


@pytest.mark.parametrize("premise, conclusion", IMPLICATIONS)
def test_implications(premise, conclusion):
    bad = [w for w in WORDS if holds(w, premise) and not holds(w, conclusion)]
    assert not bad, f"{premise} but not {conclusion}: {bad}"


EXCLUSIONS = [
    ("fruit", "vehicle"), ("animal", "man_made"), ("food", "man_made"), ("heavy", "light"), ("soft", "hard"),
    ("alive", "electronic"), ("fits_in_pocket", "bigger_than_breadbox"), ("animal", "plant"),
    ("clothing", "jewelry"), ("vehicle", "furniture"), ("musical_instrument", "vehicle"),
]


@pytest.mark.parametrize("a, b", EXCLUSIONS)
def test_exclusions(a, b):
    both = [w for w in WORDS if holds(w, a) and holds(w, b)]
    assert not both, f"both {a} and {b}: {both}"


def test_exactly_one_of_man_made_and_natural():
    assert all(holds(w, "man_made") != holds(w, "natural") for w in WORDS)


def test_sizes_and_weights_agree_with_the_size_attributes():
    for word, facts in KB.facts.items():
        if holds(word, "bigger_than_breadbox"):
            assert facts.size_cm > 25, word
        if facts.size_cm > 31:
            assert holds(word, "bigger_than_breadbox"), word
        if holds(word, "fits_in_pocket"):
            assert facts.size_cm <= 16, word
        if holds(word, "heavy"):
            assert facts.weight_kg >= 15, word
        if holds(word, "light"):
            assert facts.weight_kg <= 1.5, word


@pytest.mark.parametrize(
    "word, true_attributes, false_attributes",
    [
        ("Cat", ["alive", "animal", "mammal", "pet", "has_fur", "four_legs", "has_tail"],
         ["food", "man_made", "flies"]),
        ("Banana", ["fruit", "food", "yellow", "sweet", "has_peel", "hold_in_hand"], ["alive", "man_made", "red"]),
        ("Car", ["vehicle", "has_wheels", "has_engine", "man_made", "made_of_metal", "carries_people"],
         ["flies", "alive"]),
        ("Airplane", ["vehicle", "flies", "has_wheels", "bigger_than_house"], ["on_roads"]),
        ("Piano", ["musical_instrument", "has_keys", "heavy", "string_instrument"], ["portable", "wind_instrument"]),
        ("Scissors", ["sharp", "has_blade", "for_cutting", "comes_in_pairs", "made_of_metal"], ["electric"]),
        ("Computer", ["electronic", "electric", "has_screen", "connects_to_internet", "man_made"], ["alive"]),
        ("Ocean", ["body_of_water", "natural", "bigger_than_house", "blue"], ["man_made", "portable"]),
        ("Pen", ["for_writing", "fits_in_pocket", "long_and_thin", "office_item"], ["heavy", "electric"]),
        ("Shoes", ["worn", "worn_on_feet", "clothing", "comes_in_pairs"], ["worn_on_head", "jewelry"]),
        ("Chair", ["furniture", "has_legs", "sit_on"], ["electronic", "alive"]),
        ("Elephant", ["animal", "mammal", "heavy", "wild_animal", "bigger_than_person"], ["pet", "fits_in_pocket"]),
    ],
)
def test_typical_facts(word, true_attributes, false_attributes):
    assert [a for a in true_attributes if not holds(word, a)] == []
    assert [a for a in false_attributes if holds(word, a)] == []


def test_every_pair_of_words_is_told_apart_by_some_question():
    """The expert can always reach a single candidate: no two words share all attributes."""
    from itertools import combinations

    same = [(a, b) for a, b in combinations(WORDS, 2) if KB.facts[a].true == KB.facts[b].true]
    assert not same


@pytest.mark.parametrize("matcher", ["embedding", "lexical"])
def test_every_phrasing_maps_back_to_its_attribute(matcher):
    oracle = TwentyQuestionsKnowledgeOracle(matcher=matcher)
    bank = KB.phrasing_bank()
    parsed = oracle.interpret([p for p, _ in bank])
    wrong = [(p, label, a) for (p, label), (_, a) in zip(bank, parsed) if a != label]
    assert wrong == []


def test_no_phrasing_belongs_to_two_attributes():
    from collections import defaultdict

    from archer_envs.questions import normalize

    owners = defaultdict(set)
    for phrasing, attribute in KB.phrasing_bank():
        owners[normalize(phrasing)].add(attribute)
    assert {p: a for p, a in owners.items() if len(a) > 1} == {}
