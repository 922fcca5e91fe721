"""Twenty Questions: does the knowledge oracle keep a question's direction? Counts over every word.

    python benchmarks/twenty_questions_direction.py [--matcher embedding|lexical|both] [--show N]

The questions are the held-out set in ``tests/fixtures/twenty_questions_direction.json``
(comparatives against a reference that is not a game word — "Is it smaller than a breadbox?" — in
several frames, with and without negation, and negated or antonym attribute questions). Each is
asked about every one of the 158 words; an answer is *right* when it equals the knowledge base's
value (inverted where the question asks the opposite), *refused* when it is ``Invalid Question.``,
and *wrong* otherwise. Prints the counts per group and matcher, and the questions answered wrongly most often.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import json  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

HELD_OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "twenty_questions_direction.json"


def held_out_questions() -> dict[str, list[tuple[str, str, bool]]]:
    """{group: [(question, attribute, inverted)]}: the fixture's comparatives expanded."""
    data = json.loads(HELD_OUT.read_text())
    comp = data["comparatives"]
    comparatives = []
    for ref in comp["references"]:
        for word, sign in comp["words"][ref["dimension"]].items():
            for f in comp["frames"]:
                question = f["frame"].format(word=word, reference=ref["reference"])
                comparatives.append((question, ref["attribute"], (sign != ref["sign"]) != f["negated"]))
    comparatives += [(q["question"], q["attribute"], q["inverted"]) for q in comp["other"]]
    negations = [(q["question"], q["attribute"], q["inverted"]) for q in data["negations"]]
    return {"comparatives": comparatives, "negations": negations}


def score(oracle, questions: list[tuple[str, str, bool]]) -> tuple[Counter, Counter]:
    """(right/refused/wrong counts over questions x words, wrong answers per question)."""
    kb = oracle.kb
    words = list(kb.facts)
    tally, wrong = Counter(), Counter()
    for question, attribute, inverted in questions:
        answers = oracle.answer(words, [question] * len(words))
        for word, answer in zip(words, answers):
            truth = "Yes." if kb.value(word, attribute) != inverted else "No."
            outcome = "refused" if answer == "Invalid Question." else "right" if answer == truth else "wrong"
            tally[outcome] += 1
            wrong[question] += outcome == "wrong"
    return tally, wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matcher", default="both", choices=["embedding", "lexical", "both"])
    parser.add_argument("--show", type=int, default=5, help="questions with the most wrong answers to print per group")
    args = parser.parse_args(argv)
    from archer_envs.twenty_questions import TwentyQuestionsKnowledgeOracle

    groups = held_out_questions()
    matchers = ["embedding", "lexical"] if args.matcher == "both" else [args.matcher]
    print("| matcher | group | questions | answers | wrong | refused | right |")
    print("|---|---|---:|---:|---:|---:|---:|")
    shown = []
    for matcher in matchers:
        oracle = TwentyQuestionsKnowledgeOracle(matcher=matcher)
        for group, questions in groups.items():
            tally, wrong = score(oracle, questions)
            n = sum(tally.values())
            counts = " | ".join(str(tally[k]) for k in ("wrong", "refused", "right"))
            print(f"| {matcher} | {group} | {len(questions)} | {n} | {counts} |")
            shown += [f"[{matcher}/{group}] {n_wrong:3d} of {len(oracle.kb.facts)} wrong: {q!r}"
                      for q, n_wrong in wrong.most_common(args.show) if n_wrong]
    for line in shown:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
