"""Twenty Questions benchmark: env speed on one CPU core and reference scores of the scripted policies.

    python benchmarks/twenty_questions.py           # full run (under a minute on one core)
    python benchmarks/twenty_questions.py --quick   # smoke run, seconds

It prints figures and never asserts on time. Sections:

1. Steps per second with the knowledge oracle (default matcher), pinned to one core:
   - cold: every step asks a question this process has never seen (so the parse and the matcher
     run: one sentence embedding per new question; the vector env embeds its 32 questions in one batch);
   - warm: the same (secret, question) stream again, so every answer comes from the oracle's cache.
2. The same for an ``hf`` oracle with flan-t5-small's architecture (random weights, a BPE tokenizer
   trained on the game's text): the speed of an LLM oracle on CPU, for reference.
3. Mean return (± 95% CI), success rate and mean turns of the random, noisy and expert policies,
   and the expert against the information-theoretic floor log2(158) and the exact optimum.

A Markdown table with every figure comes last, ready for docs/figures.md.
"""

from __future__ import annotations

import os

# One core, set before numpy / torch / tokenizers start any thread pools.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import itertools  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

from measure import cpu_model, fmt_rate, pin_one_core, run_single, run_vector  # noqa: E402

ENV_ID = "archer/TwentyQuestions-v0"
WARM_GOAL = 10_000  # steps/s, knowledge oracle, answers cached
ROUNDS = 5  # warm figures are the median of this many rounds (the cold ones cannot be repeated)


# --------------------------------------------------------------------------------------------
# a stream of distinct, natural yes/no questions that are not bank phrasings
# --------------------------------------------------------------------------------------------
ADJECTIVES = """shiny colourful fluffy noisy quiet smelly sticky slippery bumpy smooth rough squishy
spiky fuzzy furry wet dry cold warm hot bright dark heavy light tiny huge enormous small big tall
short wide narrow thick thin hollow solid bendy flexible stiff rigid fragile sturdy durable cheap
pricey expensive valuable rare common popular modern ancient old-fashioned new antique handmade
homemade edible tasty spicy salty sour bitter crunchy chewy creamy sweet juicy ripe fresh frozen
dangerous safe poisonous friendly cuddly scary loud musical electric mechanical digital automatic
portable foldable waterproof washable reusable disposable recyclable wooden metallic plastic
rubbery glassy papery leathery woolly silky transparent reflective magnetic striped spotted
patterned square rectangular triangular cylindrical oval curved pointy sharp blunt flat round
symmetrical alive wild tame domesticated nocturnal""".split()

NOUNS = [n.strip() for n in """wheels, legs, arms, eyes, a tail, feathers, scales, fins, wings, horns, a beak,
claws, teeth, fur, whiskers, hooves, a shell, a handle, a lid, a cap, a cord, a plug, a battery, a motor,
an engine, buttons, a screen, a display, a switch, a dial, a knob, a lever, a hinge, a zipper, pockets,
a strap, a buckle, laces, a sole, a heel, a collar, sleeves, a hood, a brim, a blade, a point, a tip,
bristles, a nozzle, a spout, a trigger, a lens, a speaker, a microphone, an antenna, a cable,
a remote control, a charger, a case, a cover, a frame, a stand, a base, a cushion, springs, a mirror,
a light, a bell, a whistle, a string, a chain, a hook, a magnet, a sticker, a label, a logo, a price tag,
a warranty, a manual, seeds, a stem, a peel, a pit, a core, roots, thorns, petals, bark, a trunk,
branches""".split(",")]

ADJ_TEMPLATES = (
    "Is it {}?",
    "Would you say it is {}?",
    "Is it usually {}?",
    "Is it generally considered {}?",
    "Could it be described as {}?",
    "Is the object {}?",
    "Would most people call it {}?",
)
NOUN_TEMPLATES = (
    "Does it usually have {}?",
    "Does it have {}?",
    "Would it normally come with {}?",
    "Can you find {} on it?",
    "Is there usually {} on it?",
)
PREFIXES = ("", "So, ", "Okay, ", "Hmm, ", "Next question: ", "Alright, ", "Let me think. ")


def question_stream(n: int, seed: int = 1234) -> list[str]:
    """``n`` distinct natural questions that the knowledge oracle must interpret with its matcher:
    all parse as attribute questions and none is a phrasing of the bank after normalisation (those
    match exactly, without a model call). Numbered variants extend the stream when it runs out."""
    from archer_envs.questions import normalize
    from archer_envs.twenty_questions.knowledge import shared_matcher, shared_parser
    from archer_envs.twenty_questions.words import WordList

    aliases = set(WordList.default().alias_to_name)
    parser = shared_parser()
    exact = shared_matcher("auto").exact  # the normalised bank phrasings

    def ok_word(w: str) -> bool:  # never name a secret word: "Is it paper?" would be a guess
        return not any(t in aliases for t in normalize(w).split()) and normalize(w) not in aliases

    adjs = [a for a in dict.fromkeys(ADJECTIVES) if ok_word(a)]
    nouns = [x for x in dict.fromkeys(NOUNS) if ok_word(x)]
    base = [t.format(a) for t in ADJ_TEMPLATES for a in adjs] + [t.format(x) for t in NOUN_TEMPLATES for x in nouns]
    rng = random.Random(seed)
    rng.shuffle(base)
    out: list[str] = []
    seen: set[str] = set()
    candidates = itertools.chain(
        (p + (q[0].lower() + q[1:] if p and not p.endswith(". ") else q) for p in PREFIXES for q in base),
        (f"{q[:-1]}, question {k}?" for k in itertools.count(2) for q in base),
    )
    for q in candidates:
        if len(out) >= n:
            break
        key = normalize(q)
        if key in seen or key in exact:
            continue
        parsed = parser.parse(q)
        if parsed.kind != "attribute" or parsed.text in exact:
            continue
        seen.add(key)
        out.append(q)
    return out


class Questions:
    """Hands out slices of one stream, so no two measurements ever share a question."""

    def __init__(self, n: int) -> None:
        self.items = question_stream(n)
        self.pos = 0

    def take(self, k: int) -> list[str]:
        if self.pos + k > len(self.items):
            raise RuntimeError("question stream exhausted (raise the stream size)")
        chunk = self.items[self.pos : self.pos + k]
        self.pos += k
        return chunk


# --------------------------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------------------------
def answer_mix(c: Counter) -> str:
    n = sum(c.values()) or 1
    return ", ".join(f"{k} {100 * v / n:.0f}%" for k, v in sorted(c.items(), key=lambda kv: -kv[1]))


# --------------------------------------------------------------------------------------------
# the speed measurements of one oracle
# --------------------------------------------------------------------------------------------
def count_model_calls(matcher) -> dict | None:
    """Count the embedding model's encode calls (and texts) of a matcher, if it has one."""
    embedder = getattr(matcher, "embedder", None)
    if embedder is None:
        return None
    counts = {"calls": 0, "texts": 0}
    encode = embedder.encode

    def counted(texts):
        counts["calls"] += 1
        counts["texts"] += len(texts)
        return encode(texts)

    embedder.encode = counted
    return counts


def _model_note(counts: dict | None, before: dict | None) -> str:
    if counts is None or before is None:
        return ""
    return f", {counts['calls'] - before['calls']} embedding calls for {counts['texts'] - before['texts']} questions"


def measure_speed(label: str, make_oracle, qs: Questions, n: dict, seed: int, rows: list, warmup_single: int,
                  warmup_vector: int, goal: bool, model_calls: dict | None = None) -> None:
    import gymnasium as gym

    from archer_envs.twenty_questions.env import parse_question

    num_envs = n["num_envs"]

    # ---- single env, cold ----
    oracle = make_oracle()
    env = gym.make(ENV_ID, oracle=oracle)
    env.reset(seed=seed + 999)  # warm the model (first-call overheads), on throwaway questions
    for q in qs.take(warmup_single):
        env.step(q)
    oracle.clear_cache()
    parse_question.cache_clear()
    cold = qs.take(n["cold_single"])
    calls0, queries0 = oracle.backend_calls, oracle.backend_queries
    model0 = dict(model_calls) if model_calls else None
    steps, dt, answers = run_single(env, cold, seed)
    cold_rate = steps / dt
    print(f"  single env, cache cold : {fmt_rate(cold_rate):>9} steps/s  ({1e3 * dt / steps:.2f} ms/step, "
          f"{steps} steps, {oracle.backend_calls - calls0} oracle backend calls for "
          f"{oracle.backend_queries - queries0} pairs{_model_note(model_calls, model0)}; "
          f"answers: {answer_mix(answers)})")
    rows.append((label, "single env, cache cold", cold_rate, f"{steps} new questions"))

    # ---- single env, warm: the same (secret, question) pairs again ----
    repeats = max(1, math.ceil(n["warm"] / (ROUNDS * len(cold))))
    calls0 = oracle.backend_calls
    for name, target in (("raw env (env.unwrapped)", env.unwrapped), ("gym.make env (wrappers)", env)):
        rates, steps = [], 0
        for _ in range(ROUNDS):
            k, dt, _ = run_single(target, cold, seed, repeats, count=False)
            rates.append(k / dt)
            steps += k
        rate = statistics.median(rates)
        goal_txt = f"   [goal >= {WARM_GOAL:,} steps/s: {'met' if rate >= WARM_GOAL else 'NOT met'}]" if goal else ""
        print(f"  single {name:<24} warm: {fmt_rate(rate):>9} steps/s  ({1e6 / rate:.1f} us/step; median of "
              f"{ROUNDS} rounds, {fmt_rate(min(rates))}-{fmt_rate(max(rates))}; {steps} steps){goal_txt}")
        note = f"{steps} steps, median of {ROUNDS} rounds" + (f"; goal >= {WARM_GOAL:,}" if goal else "")
        rows.append((label, f"single {name}, cache warm", rate, note))
    if oracle.backend_calls != calls0:
        print(f"  (note: {oracle.backend_calls - calls0} backend calls during the warm runs: cache not warm)")
    env.close()

    # ---- vector env, cold ----
    oracle = make_oracle()
    venv = gym.make_vec(ENV_ID, num_envs=num_envs, vectorization_mode="vector_entry_point", oracle=oracle,
                        autoreset_mode="SameStep")
    venv.reset(seed=seed + 999)
    for _ in range(warmup_vector):
        venv.step(qs.take(num_envs))
    oracle.clear_cache()
    parse_question.cache_clear()
    batches = [qs.take(num_envs) for _ in range(n["cold_vector"])]
    calls0 = oracle.backend_calls
    model0 = dict(model_calls) if model_calls else None
    vsteps, substeps, dt, answers = run_vector(venv, batches, seed)
    rate = substeps / dt
    print(f"  vector env x{num_envs}, cache cold: {fmt_rate(rate):>9} sub-env steps/s  ({fmt_rate(vsteps / dt)} vector "
          f"steps/s, {1e3 * dt / vsteps:.1f} ms per batched step, {vsteps}x{num_envs} steps, "
          f"{oracle.backend_calls - calls0} backend calls{_model_note(model_calls, model0)}; "
          f"answers: {answer_mix(answers)})")
    rows.append((label, f"vector env x{num_envs}, cache cold", rate,
                 f"{vsteps}x{num_envs} new questions, one batch per step"))

    # ---- vector env, warm ----
    repeats = max(1, math.ceil(n["warm"] / (ROUNDS * len(batches) * num_envs)))
    calls0 = oracle.backend_calls
    rates, substeps = [], 0
    for _ in range(ROUNDS):
        _, k, dt, _ = run_vector(venv, batches, seed, repeats)
        rates.append(k / dt)
        substeps += k
    rate = statistics.median(rates)
    goal_txt = f"   [goal >= {WARM_GOAL:,} steps/s: {'met' if rate >= WARM_GOAL else 'NOT met'}]" if goal else ""
    print(f"  vector env x{num_envs}, cache warm: {fmt_rate(rate):>9} sub-env steps/s  ({fmt_rate(rate / num_envs)} "
          f"vector steps/s; median of {ROUNDS} rounds, {fmt_rate(min(rates))}-{fmt_rate(max(rates))}; "
          f"{substeps} sub-env steps){goal_txt}")
    rows.append((label, f"vector env x{num_envs}, cache warm (per sub-env step)", rate,
                 f"{substeps} steps, median of {ROUNDS} rounds" + (f"; goal >= {WARM_GOAL:,}" if goal else "")))
    if oracle.backend_calls != calls0:
        print(f"  (note: {oracle.backend_calls - calls0} backend calls during the warm run: cache not warm)")
    venv.close()


# --------------------------------------------------------------------------------------------
# the hf oracle: flan-t5-small's architecture, random weights, a tokenizer trained on game text
# --------------------------------------------------------------------------------------------
def game_texts() -> list[str]:
    from archer_envs.twenty_questions.knowledge import TWENTY_QUESTIONS_TASK as task
    from archer_envs.twenty_questions.knowledge import KnowledgeBase

    kb = KnowledgeBase.default()
    rng = random.Random(0)
    phrasings = [p for p, _ in kb.phrasing_bank()]
    texts = [task.system]
    for w in kb.words.words:
        for _ in range(3):
            texts.append(f"{task.system}\n\n{task.user(w.name, rng.choice(phrasings))}")
        texts.extend(w.names)
        texts.append(w.guess_question)
    texts.extend(phrasings)
    texts.extend(a.definition for a in kb.attributes.values())
    texts.extend(["Yes.", "No.", "Invalid Question."] * 50)
    return texts


@contextlib.contextmanager
def quiet_fds():
    """Silence file descriptors 1 and 2 (output written by native code, too)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def build_hf_reference(vocab_size: int):
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    from archer_envs.oracles.hf import train_tokenizer

    t0 = time.perf_counter()
    with quiet_fds():  # the Rust trainer draws progress bars
        tokenizer = train_tokenizer(game_texts(), vocab_size=vocab_size)
    t_tok = time.perf_counter() - t0
    torch.manual_seed(0)
    config = T5Config(
        d_model=512, d_ff=1024, d_kv=64, num_layers=8, num_decoder_layers=8, num_heads=6,
        feed_forward_proj="gated-gelu", vocab_size=32128, tie_word_embeddings=False,
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
    )
    t0 = time.perf_counter()
    model = T5ForConditionalGeneration(config).eval()
    t_model = time.perf_counter() - t0
    return tokenizer, model, t_tok, t_model


# --------------------------------------------------------------------------------------------
# scripted policies
# --------------------------------------------------------------------------------------------
def policy_scores(reps: int, rows: list) -> dict:
    from archer_envs.benchmark import summarize
    from archer_envs.play import play_episodes
    from archer_envs.scripted import scripted_policy, split_secrets

    test = split_secrets(ENV_ID, "test")
    every = split_secrets(ENV_ID, "all")
    print(f"  test words: {len(test)}, all words: {len(every)}")
    out = {}
    for name, words, split, r in (
        ("random", test, "test", reps),
        ("noisy", test, "test", reps),
        ("expert", test, "test", 1),
        ("expert", every, "all", 1),
    ):
        agent = scripted_policy(ENV_ID, name, seed=0)
        t0 = time.perf_counter()
        results = play_episodes(agent, ENV_ID, list(words) * r, batch_size=32)
        dt = time.perf_counter() - t0
        s = summarize(results)
        desc = f"{split} ({len(words)} words" + (f" x {r})" if r > 1 else ")")
        print(f"  {name:<6} on {desc:<22} return {s['mean_return']:7.2f} ± {s['return_ci95']:.2f}   success "
              f"{s['success_rate']:.3f}   mean turns {s['mean_turns']:5.2f}   ({s['episodes']} episodes, {dt:.1f} s)")
        rows.append((name, desc, s))
        out[(name, split)] = s
    return out


def optimal_paid_questions(n: int) -> float:
    """The least expected number of paid questions to win against ``n`` equally likely words when any
    yes/no split can be asked and a guess (a 1 vs n-1 split whose "yes" ends the game at no cost)
    is a question too: cost(1) = 0; cost(n) = min(guess: (n-1)/n (1 + cost(n-1)),
    split k: 1 + k/n cost(k) + (n-k)/n cost(n-k))."""
    cost = [0.0, 0.0]
    for m in range(2, n + 1):
        best = (m - 1) / m * (1 + cost[m - 1])
        for k in range(1, m // 2 + 1):
            best = min(best, 1 + (k * cost[k] + (m - k) * cost[m - k]) / m)
        cost.append(best)
    return cost[n]


# --------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with far fewer steps")
    parser.add_argument("--seed", type=int, default=0, help="seed of the episode streams (default 0)")
    parser.add_argument("--cpu", type=int, default=None,
                        help="the CPU to pin to (default: the first one this process may use)")
    parser.add_argument("--skip-hf", action="store_true", help="skip the hf (flan-t5-small architecture) oracle")
    args = parser.parse_args(argv)

    where = pin_one_core(args.cpu)

    import gymnasium as gym
    import torch
    import transformers

    import archer_envs  # noqa: F401  (registers the env ids)
    from archer_envs.cache import default_cache_dir
    from archer_envs.matching import embedder_available
    from archer_envs.oracles.hf import HFOracle
    from archer_envs.twenty_questions.knowledge import TWENTY_QUESTIONS_TASK, TwentyQuestionsKnowledgeOracle

    if args.quick:
        kn = {"cold_single": 30, "cold_vector": 3, "warm": 2_000, "num_envs": 32}
        hf = {"cold_single": 5, "cold_vector": 1, "warm": 500, "num_envs": 32}
        reps = 2
    else:
        kn = {"cold_single": 300, "cold_vector": 30, "warm": 20_000, "num_envs": 32}
        hf = {"cold_single": 50, "cold_vector": 5, "warm": 2_000, "num_envs": 32}
        reps = 10

    machine = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "gymnasium": gym.__version__,
        "cpu": cpu_model(),
        "cores": f"1 of {os.cpu_count()} ({where}; torch threads {torch.get_num_threads()})",
    }
    print("# Twenty Questions benchmark" + (" (--quick)" if args.quick else ""))
    print(f"machine: Python {machine['python']}, torch {machine['torch']}, transformers {machine['transformers']}, "
          f"gymnasium {machine['gymnasium']}; {machine['cpu']}; cores used: {machine['cores']}")
    t_start = time.perf_counter()
    speed_rows: list = []

    # ---- 1. knowledge oracle ----
    print("\n## 1. Env steps/s on one core, knowledge oracle (default matcher)")
    bank_cached = any(default_cache_dir().glob("bank-embeddings-*.npy"))
    t0 = time.perf_counter()
    first = TwentyQuestionsKnowledgeOracle()
    t_build = time.perf_counter() - t0
    matcher = first.matcher.name
    t0 = time.perf_counter()
    TwentyQuestionsKnowledgeOracle()
    t_build2 = time.perf_counter() - t0
    print(f"  matcher: {matcher} (embedder installed: {embedder_available()})")
    print(f"  oracle construction: first {t_build:.2f} s (loads the matcher; bank embeddings "
          f"{'read from' if bank_cached else 'computed and written to'} {default_cache_dir()}), "
          f"later instances {1e3 * t_build2:.2f} ms (matcher shared per process); not part of the per-step figures")
    n_questions = (
        kn["cold_single"] + kn["num_envs"] * kn["cold_vector"] + 5 + kn["num_envs"]
        + hf["cold_single"] + hf["num_envs"] * hf["cold_vector"] + 2 + hf["num_envs"]
    )
    t0 = time.perf_counter()
    qs = Questions(n_questions)
    print(f"  question stream: {n_questions} distinct attribute questions, none a bank phrasing "
          f"({time.perf_counter() - t0:.2f} s to build), e.g. {qs.items[0]!r}, {qs.items[1]!r}, {qs.items[2]!r}")
    measure_speed(f"knowledge ({matcher})", TwentyQuestionsKnowledgeOracle, qs, kn, args.seed, speed_rows,
                  warmup_single=5, warmup_vector=1, goal=True, model_calls=count_model_calls(first.matcher))

    # ---- 2. hf oracle ----
    hf_info = None
    if not args.skip_hf:
        print("\n## 2. Env steps/s on one core, hf oracle: flan-t5-small architecture (random weights), CPU")
        tokenizer, model, t_tok, t_model = build_hf_reference(8000)
        n_params = sum(p.numel() for p in model.parameters())
        t0 = time.perf_counter()
        probe = HFOracle(TWENTY_QUESTIONS_TASK, model=model, tokenizer=tokenizer, device="cpu", max_new_tokens=4)
        t_oracle = time.perf_counter() - t0
        prompt_tokens = [len(tokenizer(probe._prompt(s, q))["input_ids"])
                         for s, q in zip(["Dog", "Lawn mower", "Scissors"], qs.items[:3])]
        hf_info = (len(tokenizer), sum(prompt_tokens) / len(prompt_tokens), n_params)
        print(f"  tokenizer: byte-level BPE trained on the game's text in {t_tok:.1f} s, vocab {len(tokenizer):,} "
              f"(asked 8,000; the corpus runs out of merges first); a prompt is about {hf_info[1]:.0f} tokens")
        print(f"  model: T5 d_model 512, 8+8 layers, 6 heads, gated-gelu, {n_params / 1e6:.1f} M parameters, built in "
              f"{t_model:.1f} s; HFOracle(max_new_tokens=4) construction {1e3 * t_oracle:.0f} ms; "
              "random weights answer junk (speed only)")

        def make_hf():
            return HFOracle(TWENTY_QUESTIONS_TASK, model=model, tokenizer=tokenizer, device="cpu", max_new_tokens=4)

        measure_speed("hf (flan-t5-small arch.)", make_hf, qs, hf, args.seed, speed_rows,
                      warmup_single=2, warmup_vector=1, goal=False)

    # ---- 3. scripted policies ----
    print("\n## 3. Scripted policies (knowledge oracle)")
    policy_rows: list = []
    scores = policy_scores(reps, policy_rows)
    from archer_envs.scripted import split_secrets
    n_words = len(split_secrets(ENV_ID, "all"))
    floor = math.log2(n_words)
    optimum = optimal_paid_questions(n_words)
    expert_all = scores[("expert", "all")]
    expert_test = scores[("expert", "test")]
    paid_all = -expert_all["mean_return"]
    paid_test = -expert_test["mean_return"]
    print(f"  information-theoretic floor: log2({n_words}) = {floor:.2f} questions")
    print(f"  expert: mean turns {expert_all['mean_turns']:.2f} - 1 free guess = {paid_all:.2f} paid questions "
          f"over all {n_words} words ({paid_test:.2f} on the test words): {paid_all - floor:+.2f} vs log2({n_words}), "
          f"{paid_all - optimum:+.2f} vs the exact optimum {optimum:.2f}")
    print(f"  meaning: the correct final guess costs 0 reward, so identifying the word by perfect binary search "
          f"and then guessing it pays log2({n_words}) = {floor:.1f} questions (return about -{floor:.1f}); "
          f"a guess is itself a yes/no question, though, so guessing early (the expert guesses when 2 words remain) "
          f"pays less: the best possible average is {optimum:.2f} (exact, equal priors, any splits; Kraft bound "
          f"log2({n_words}) - 1 = {floor - 1:.2f})")

    total = time.perf_counter() - t_start

    # ---- Markdown ----
    print("\n## Markdown table\n")
    print(f"Twenty Questions (`{ENV_ID}`), one CPU core: {machine['cpu']}; Python {machine['python']}, "
          f"torch {machine['torch']}, transformers {machine['transformers']}, gymnasium {machine['gymnasium']}; "
          f"cores used: {machine['cores']}.\n")
    print("| Oracle | Measurement | Steps/s | Notes |")
    print("|---|---|---:|---|")
    print(f"| knowledge ({matcher}) | oracle construction | – | first {t_build:.2f} s "
          f"(bank embeddings {'cached' if bank_cached else 'computed'}), then {1e3 * t_build2:.1f} ms |")
    for oracle, what, rate, note in speed_rows:
        print(f"| {oracle} | {what} | {fmt_rate(rate)} | {note} |")
    if hf_info:
        print(f"| hf (flan-t5-small arch.) | model | – | {hf_info[2] / 1e6:.1f} M params, random weights, "
              f"BPE vocab {hf_info[0]:,}, ~{hf_info[1]:.0f} prompt tokens, max_new_tokens=4 |")
    print()
    print("| Policy | Words | Episodes | Mean return ± 95% CI | Success | Mean turns |")
    print("|---|---|---:|---:|---:|---:|")
    for name, desc, s in policy_rows:
        print(f"| {name} | {desc} | {s['episodes']} | {s['mean_return']:.2f} ± {s['return_ci95']:.2f} | "
              f"{s['success_rate']:.3f} | {s['mean_turns']:.2f} |")
    print(f"| floor: binary search, then guess | log2({n_words}) | – | -{floor:.2f} | 1.000 | {floor + 1:.2f} |")
    print(f"| floor: optimal (guesses are questions too) | all ({n_words} words) | – | -{optimum:.2f} | 1.000 | "
          f"{optimum + 1:.2f} |")
    print(f"\nExpert (all {n_words} words): {paid_all:.2f} paid questions (mean turns - 1) vs log2({n_words}) = "
          f"{floor:.2f} ({paid_all - floor:+.2f}) and vs the exact optimum {optimum:.2f} ({paid_all - optimum:+.2f}). "
          f"Benchmark wall time: {total:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
