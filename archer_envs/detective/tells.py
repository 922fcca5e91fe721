"""Can the culprit be told from what the suspects say, without the clues? The audit behind the rule
"answers carry no tells" (property-tested in tests/test_detective.py, measured by
``benchmarks/detective_tells.py``).

An **answer sheet** is what every suspect of a case says in a fixed interview: one question per
intent of ``data/detective/questions.json`` and "Where was <other> at nine?" about every other
suspect. :func:`masked` replaces the case's people, roles, relations, motives, rooms, objects, victim
and weapon with placeholders, so that answers of different suspects and cases compare by wording.

Classifiers see answer sheets only, never clues, and name one suspect per case (ties broken at
random); chance is 1 / number of suspects:

- ``odd_one_out``: the suspect whose masked answers differ from every other suspect's on the most
  questions (no training);
- ``length``: logistic regression on the lengths of the answers, trained on other cases;
- ``bag_of_words``: logistic regression on the counts of masked words, trained on other cases;
- ``nearest_centroid``: masked word counts closer to the culprits' mean than to the innocents';
- ``shared_initials``: one of the suspects whose initials another suspect shares.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from archer_envs.detective.case import DRAWING_ROOM, HALL, Case, _object_name, world
from archer_envs.detective.suspects import TRACE_ITEMS, cached_case, encode_secret

INTERVIEW = (
    "Where were you at nine o'clock?",
    "Who were you with?",
    "Did you hear anything?",
    "How did you know the victim?",
    "What is your occupation?",
    "Did you have a motive?",
    "When did you last see the victim?",
    "What was the victim like?",
    "Who do you think did it?",
    "Whose initials are these?",
    "What do you know about the weapon?",
)


@dataclass(frozen=True)
class Sheet:
    """A case's interview: ``answers[i][j]`` is suspect i's answer to question j (the INTERVIEW, then
    "Where was <other> at nine?" about each other suspect in case order); ``culprit`` is an index."""

    case: Case
    answers: tuple[tuple[str, ...], ...]
    culprit: int

    @cached_property
    def shapes(self) -> list[tuple]:
        """Per suspect: the masked answer to each fixed question, then the masked answers about the
        others as one sorted tuple (each suspect is asked about different people)."""
        fixed = len(INTERVIEW)
        return [
            (*(masked(self.case, a) for a in answers[:fixed]),
             tuple(sorted(masked(self.case, a) for a in answers[fixed:])))
            for answers in self.answers
        ]

    @cached_property
    def words(self) -> list[list[str]]:
        """Per suspect: the masked words of each answer and pairs of neighbours, tagged with the question."""
        out = []
        for answers in self.answers:
            words = []
            for j, answer in enumerate(answers):
                tokens = re.findall(r"<\w+>|[a-z']+|[.,;:?!]", masked(self.case, answer).lower())
                tag = str(min(j, len(INTERVIEW)))
                words += [f"{tag}:{t}" for t in tokens] + [f"{tag}:{a}_{b}" for a, b in zip(tokens, tokens[1:])]
            out.append(words)
        return out


def interview(case: Case, oracle) -> Sheet:
    questions, secrets = [], []
    for me in case.suspects:
        asked = [*INTERVIEW, *(f"Where was {o.short} at nine?" for o in case.suspects if o is not me)]
        questions += asked
        secrets += [encode_secret(case.seed, me.name)] * len(asked)
    flat = oracle.answer(secrets, questions)
    per = len(INTERVIEW) + len(case.suspects) - 1
    answers = tuple(tuple(flat[i * per : (i + 1) * per]) for i in range(len(case.suspects)))
    return Sheet(case, answers, next(i for i, s in enumerate(case.suspects) if s.name == case.culprit))


def masked(case: Case, text: str) -> str:
    """``text`` with the case's particulars replaced by placeholders ("<person>", "<room>", ...).
    ``case`` is a generated case: the placeholders are cached by its seed."""
    pattern, forms = _mask(case.seed)
    return pattern.sub(lambda m: forms[m.group(0)], text)


@lru_cache(maxsize=1024)
def _mask(seed: int) -> tuple[re.Pattern, dict[str, str]]:
    case, w = cached_case(seed), world()
    forms: dict[str, str] = {}
    for s in case.suspects:
        for form in (s.name, f"{s.first} {s.surname}", s.short, s.first, s.surname, s.initials):
            forms[form] = "<person>"
        forms[s.role], forms[s.relation], forms[s.motive] = "<role>", "<relation>", "<motive>"
    for room in (*w["rooms"], HALL, DRAWING_ROOM):
        forms[room] = "<room>"
    for proof in w["alone_proofs"]:
        forms[_proof_object(proof)] = "<object>"
    for item in TRACE_ITEMS:
        forms[item] = "<object>"
    forms[case.victim], forms[case.weapon] = "<victim>", "<weapon>"
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"), forms


def _proof_object(proof: str) -> str:
    return _object_name(proof.split(",")[0])  # as the generator names it


# --- classifiers: fit(training sheets) -> predict(sheet, rng) -> suspect index -------------------------
Classifier = Callable[[Sequence[Sheet]], Callable[[Sheet, np.random.Generator], int]]


def _pick(scores: Sequence[float], rng: np.random.Generator) -> int:
    scores = np.asarray(scores, dtype=float)
    best = np.flatnonzero(np.isclose(scores, scores.max()))
    return int(rng.choice(best))


def odd_one_out(train: Sequence[Sheet]):
    def predict(sheet: Sheet, rng: np.random.Generator) -> int:
        shapes = sheet.shapes
        return _pick([sum(sum(o[j] == mine[j] for o in shapes) == 1 for j in range(len(mine))) for mine in shapes], rng)

    return predict


def _logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Standardised features, L2-regularised logistic regression by gradient descent: (weights, (mean, std))."""
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = (x - mean) / std
    wts = np.zeros(z.shape[1])
    bias = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ wts + bias)))
        wts -= 0.5 * (z.T @ (p - y) / len(y) + l2 * wts)
        bias -= 0.5 * float(np.mean(p - y))
    return wts, np.stack([mean, std])


def _fit_scorer(train: Sequence[Sheet], features: Callable[[Sheet], np.ndarray]):
    x = np.concatenate([features(s) for s in train])
    y = np.concatenate([np.eye(len(s.answers))[s.culprit] for s in train])
    wts, (mean, std) = _logistic(x, y)

    def predict(sheet: Sheet, rng: np.random.Generator) -> int:
        return _pick(((features(sheet) - mean) / std) @ wts, rng)

    return predict


def length(train: Sequence[Sheet]):
    def features(sheet: Sheet) -> np.ndarray:
        fixed = len(INTERVIEW)
        return np.array([[*map(len, a[:fixed]), sum(map(len, a[fixed:]))] for a in sheet.answers], dtype=float)

    return _fit_scorer(train, features)


def _vocabulary(train: Sequence[Sheet]) -> dict[str, int]:
    words = Counter(w for s in train for suspect in s.words for w in suspect)
    return {w: i for i, w in enumerate(sorted(w for w, c in words.items() if c >= 3))}


def _counts(sheet: Sheet, vocabulary: dict[str, int]) -> np.ndarray:
    x = np.zeros((len(sheet.answers), len(vocabulary) + 1))
    for i, words in enumerate(sheet.words):
        for w in words:
            x[i, vocabulary.get(w, len(vocabulary))] += 1
    return x


def bag_of_words(train: Sequence[Sheet]):
    vocabulary = _vocabulary(train)
    return _fit_scorer(train, lambda s: _counts(s, vocabulary))


def nearest_centroid(train: Sequence[Sheet]):
    vocabulary = _vocabulary(train)
    x = np.concatenate([_counts(s, vocabulary) for s in train])
    y = np.concatenate([np.eye(len(s.answers))[s.culprit] for s in train]).astype(bool)
    guilty, innocent = x[y].mean(0), x[~y].mean(0)

    def predict(sheet: Sheet, rng: np.random.Generator) -> int:
        c = _counts(sheet, vocabulary)
        return _pick(-np.linalg.norm(c - guilty, axis=1) + np.linalg.norm(c - innocent, axis=1), rng)

    return predict


_NAME = re.compile(r"\bI am \S+ (\S+) (\S+), the ")


def shared_initials(train: Sequence[Sheet]):
    def predict(sheet: Sheet, rng: np.random.Generator) -> int:
        initials = []
        for answers in sheet.answers:
            m = next((m for a in answers if (m := _NAME.search(a))), None)
            initials.append((m.group(1)[0], m.group(2)[0]) if m else None)
        counts = Counter(initials)
        return _pick([counts[i] > 1 and i is not None for i in initials], rng)

    return predict


CLASSIFIERS: dict[str, Classifier] = {
    "odd_one_out": odd_one_out,
    "length": length,
    "bag_of_words": bag_of_words,
    "nearest_centroid": nearest_centroid,
    "shared_initials": shared_initials,
}


def accuracy(classifier: Classifier, train: Sequence[Sheet], test: Sequence[Sheet], seed: int = 0) -> float:
    """Fraction of ``test`` cases in which the classifier, fitted on ``train``, names the culprit."""
    predict, rng = classifier(train), np.random.default_rng(seed)
    return float(np.mean([predict(s, rng) == s.culprit for s in test]))


def chance(test: Sequence[Sheet]) -> float:
    return float(np.mean([1 / len(s.answers) for s in test]))
