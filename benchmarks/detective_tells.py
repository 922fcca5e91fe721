"""Detective: can the culprit be told from the suspects' answers alone? And does the expert still solve cases?

    python benchmarks/detective_tells.py [--cases N]

Interviews every suspect of N training cases and N test cases with the knowledge oracle
(``archer_envs.detective.tells.INTERVIEW`` plus "Where was <other> at nine?" about every other
suspect), fits each classifier of ``archer_envs.detective.tells`` on the training sheets and prints
its accuracy at naming the culprit of the test cases against chance (1 / number of suspects); also
"the issue's rule" (accuse the suspect whose answer to "where were you" ends with ", alone.").
Then the scripted expert on the first 200 test cases: solve rate, mean return and mean steps.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500, help="training and test cases each")
    parser.add_argument("--expert-cases", type=int, default=200)
    args = parser.parse_args(argv)
    import numpy as np

    from archer_envs.benchmark import summarize
    from archer_envs.detective import generate_case
    from archer_envs.detective.env import SPLITS
    from archer_envs.detective.policies import ExpertPolicy
    from archer_envs.detective.suspects import SuspectKnowledgeOracle
    from archer_envs.detective.tells import CLASSIFIERS, accuracy, chance, interview
    from archer_envs.play import play_episodes

    oracle = SuspectKnowledgeOracle()
    train = [interview(generate_case(s), oracle) for s in range(args.cases)]
    test_seeds = range(SPLITS["test"][0], SPLITS["test"][0] + args.cases)
    test = [interview(generate_case(s), oracle) for s in test_seeds]
    print("| classifier | test cases | accuracy | chance |\n|---|---:|---:|---:|")
    for name, classifier in CLASSIFIERS.items():
        print(f"| {name} | {len(test)} | {accuracy(classifier, train, test):.3f} | {chance(test):.3f} |")
    rng = np.random.default_rng(0)
    hits = 0
    for sheet in test:
        alone = [i for i, a in enumerate(sheet.answers) if a[0].endswith(", alone.")]
        hits += int(rng.choice(alone or range(len(sheet.answers)))) == sheet.culprit
    print(f"| the issue's rule (', alone.') | {len(test)} | {hits / len(test):.3f} | {chance(test):.3f} |")

    seeds = list(range(SPLITS["test"][0], SPLITS["test"][0] + args.expert_cases))
    s = summarize(play_episodes(ExpertPolicy(), "archer/Detective-v0", seeds))
    print(f"\nexpert on {s['episodes']} test cases: solved {s['success_rate']:.3f}, "
          f"mean return {s['mean_return']:.3f}, mean steps {s['mean_turns']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
