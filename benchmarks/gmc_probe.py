"""Guess My City probe (issue 18): fidelity, false wins, leaks and bad reset options, over every city.

    python benchmarks/gmc_probe.py              # counts with the default matcher
    python benchmarks/gmc_probe.py --matcher lexical
    python benchmarks/gmc_probe.py --show 5     # also print up to 5 failures of each kind

Prints counts; never asserts. What it measures:

(a) fidelity: each city is asked the held-out direct questions below (continent, language, currency,
    climate, coast, population, religion, landmarks, food); an answer counts when it contains the
    fact asked for, read from the city's fact sheet by the checks in this file (see ``FACT_CHECKS``).
    These paraphrases are a test set: they are used for nothing else (not in the phrasing bank, not
    in the tests), so do not tune the oracle to them.
(a') yes/no questions that name the city's own primary language or continent ("Do people there speak
    Korean?"), which must be answered "Yes.".
(b) false wins: ordinary descriptive questions that end the episode as a correct guess, and, for the
    cities they do not win for, how many get "No, I don't live there." instead of an answer.
(c) leaks: a scripted LLM backend replies "I live in <X>." where X is the city's or the country's
    name disguised (combining accents, fullwidth, mathematical letters, dotless i, o with stroke,
    zero-width characters, spelled out); a leak is an observation whose answer still spells the
    name once everything but letters is removed. (c') the two-role game: a blabbing answerer's
    reply, anywhere in what the asker receives (observation, info).
(d) bad ``city`` reset options: non-Latin aliases that start an episode in another city, and
    letterless inputs that start an episode at all.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import unicodedata  # noqa: E402
from collections import Counter, defaultdict  # noqa: E402
from importlib import resources  # noqa: E402

# --- (a) the held-out direct questions: a test set, used for nothing else -------------------------------
HELD_OUT = {
    "continent": [
        "Which continent is your city located on?", "On what continent would I find your city?",
        "Tell me the continent your city is in.", "What continent do you live on?",
        "Which of the continents is home to your city?", "Name the continent where your city lies.",
    ],
    "language": [
        "Which language do most locals speak?", "What's the main language spoken in your city?",
        "What tongue do people use in everyday life there?", "In what language do people talk to each other there?",
        "What language would a visitor need to get by?", "Which languages do residents speak at home?",
    ],
    "currency": [
        "What currency would I need to bring?", "Which money do shops accept there?",
        "What do people pay with in your city?", "What's the name of the local currency?",
        "In what currency are prices shown?", "What currency do you use for shopping?",
    ],
    "climate": [
        "How would you describe your city's climate?", "What type of climate does your city have?",
        "Which climate zone does your city belong to?", "What's the climate there?",
        "Can you describe the climate where you live?", "What sort of climate do you have?",
    ],
    "coast": [
        "Does your city lie on the sea?", "Is your city located by the ocean?", "Is your city on a coastline?",
        "Does your city have a seafront?", "Is the sea right next to your city?", "Is your city coastal or inland?",
    ],
    "population": [
        "How many inhabitants does your city have?", "What's the population of your city?",
        "Roughly how many people live in your city?", "How many residents are there?",
        "How populated is your city?", "What is the size of the population there?",
    ],
    "religion": [
        "What is the most common religion there?", "Which faith do most people follow?",
        "What religion are most residents?", "What's the dominant religion in your city?",
        "Which religion do people practise there?", "What do most people there believe in religiously?",
    ],
    "landmarks": [
        "What famous sights can I visit in your city?", "Which landmarks is your city famous for?",
        "What are the best-known monuments there?", "What landmarks should I see?",
        "What are the most famous buildings in your city?", "Which places do tourists photograph most?",
    ],
    "food": [
        "What dishes is your city famous for?", "What's the typical local food?",
        "What is a famous dish from your city?", "What do locals like to eat?",
        "What food should I try in your city?", "What is the traditional cuisine there?",
    ],
}

# --- (b) ordinary descriptive questions (none names a city of the game) -------------------------------
ORDINARY = [
    "Is it a windy city?", "Is it the second city of its country?", "Is it a city of big shoulders?",
    "Is it a harbour city?", "Is it a space city?", "Is it a bayou city?", "Is it a lion city?",
    "Is it an eternal city?", "Is it a marvelous city?", "Is it a city of kings?", "Is it a city of heroes?",
    "Is it a city of angels?", "Is it as dark as Gotham?", "Is there a big apple on a sign?",
    "Is there a pest problem?", "Is it near York?", "Is it one of the six biggest cities?",
    "Was it important in the Edo period?", "Is it in a canton?", "Is Alex a common name there?",
    "Is it a federal capital?", "Is there a rio nearby?", "Do people live in a casa?",
    "Is it the capital of the world?", "Is it a lovely city?", "Is it a city of big dreams?",
    "Is it a port city?", "Is it a garden city?", "Is it a river city?", "Is it a capital city?",
]

# --- (c) disguises an LLM backend might use ------------------------------------------------------------
ZWSP, ZWJ, SOFT_HYPHEN, WORD_JOINER = "\u200b", "\u200d", "\u00ad", "\u2060"


def _map_letters(text: str, upper: int, lower: int) -> str:
    out = []
    for c in text:
        if "A" <= c <= "Z":
            out.append(chr(upper + ord(c) - ord("A")))
        elif "a" <= c <= "z":
            out.append(chr(lower + ord(c) - ord("a")))
        else:
            out.append(c)
    return "".join(out)


def _inside(text: str, mark: str) -> str:
    """``mark`` after the first letter of every word ("Se\u200boul")."""
    return " ".join(w[0] + mark + w[1:] if len(w) > 1 else w for w in text.split(" "))


DISGUISES = {
    "plain": lambda s: s,
    "combining acute": lambda s: "".join(c + "\u0301" if c.lower() in "aeiou" else c for c in s),
    "combining under the first letter": lambda s: _inside(s, "\u0323"),
    "fullwidth": lambda s: _map_letters(s, 0xFF21, 0xFF41),
    "mathematical bold": lambda s: _map_letters(s, 0x1D400, 0x1D41A),
    "mathematical script": lambda s: _map_letters(s, 0x1D4D0, 0x1D4EA),
    "dotless i": lambda s: s.replace("i", "\u0131"),
    "o with stroke": lambda s: s.replace("o", "\u00f8").replace("O", "\u00d8"),
    "zero-width space": lambda s: _inside(s, ZWSP),
    "zero-width joiner": lambda s: _inside(s, ZWJ),
    "soft hyphen": lambda s: _inside(s, SOFT_HYPHEN),
    "word joiner": lambda s: _inside(s, WORD_JOINER),
    "spelled S-E-O-U-L": lambda s: "-".join(c for c in s.upper() if c.isalpha()),
    "spelled S E O U L": lambda s: " ".join(c for c in s.upper() if c.isalpha()),
    "spelled S.E.O.U.L.": lambda s: "".join(c + "." for c in s.upper() if c.isalpha()),
    "spelled s, e, o, u, l": lambda s: ", ".join(c for c in s.lower() if c.isalpha()),
    "hyphen inside": lambda s: _inside(s, "-"),
    "emoji inside": lambda s: _inside(s, "\U0001f600"),
}


def letters(text: str) -> str:
    return "".join(c for c in text.lower() if "a" <= c <= "z")


# --- (a) the fact checks ---------------------------------------------------------------------------------
def ascii_lower(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def has_word(answer: str, phrase: str) -> bool:
    return re.search(r"(?<![a-z])" + re.escape(ascii_lower(phrase)) + r"(?![a-z])", ascii_lower(answer)) is not None


def shown(sentence: str) -> str:
    """A fact-sheet sentence as the transcript shows it (ASCII, typography replaced), lower-cased."""
    from archer_envs.text import to_ascii

    return " ".join(to_ascii(sentence).lower().split())


_RELIGION_WORDS = {
    "christianity": ("christian", "catholic", "protestant", "orthodox"), "islam": ("islam", "muslim"),
    "buddhism": ("buddhis",), "hinduism": ("hindu",), "shinto": ("shinto",), "judaism": ("jewish", "judaism"),
    "taoism": ("tao",),
}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30}
_BANDS = {"under 2 million": (0, 2), "2 to 5 million": (2, 5), "5 to 10 million": (5, 10), "over 10 million": (10, 1e9)}


def _first_religion(city: dict) -> str:
    """The most followed organised religion (the fact sheets list religions by following; "no religion"
    and folk religion are skipped)."""
    return next(r for r in city["religions"] if r.lower() in _RELIGION_WORDS)


def check_population(city: dict, answer: str) -> bool:
    text = ascii_lower(answer)
    if city["population_band"] in text:
        return True
    low, high = _BANDS[city["population_band"]]
    nums = [float(_NUMBERS.get(n, n.replace(",", "") if n[0].isdigit() else 0))
            for n in re.findall(r"(\d+(?:\.\d+)?|" + "|".join(_NUMBERS) + r")\s+million", text)]
    return any(low <= n < high for n in nums) or (high == 1e9 and any(n >= 10 for n in nums))


def check_coast(city: dict, question: str, answer: str) -> bool:
    text = ascii_lower(answer)
    if " or " in question:  # the open form
        return has_word(text, "inland") != city["coastal"] and (not city["coastal"] or has_word(text, "coast"))
    return text.startswith("yes") == city["coastal"] and text.startswith(("yes", "no"))


FACT_CHECKS = {
    "continent": lambda c, q, a: has_word(a, c["continent"]),
    "language": lambda c, q, a: any(has_word(a, re.sub(r"\s*\(.*?\)", "", lang))
                                    for lang in (*c["languages"], *c["official_languages"])),
    "currency": lambda c, q, a: any(re.search(r"(?<![a-z])" + re.escape(ascii_lower(w)), ascii_lower(a))
                                    for w in re.sub(r"\(.*?\)", "", c["currency"]).split() if len(w) >= 3),
    "climate": lambda c, q, a: has_word(a, c["climate"]),
    "coast": lambda c, q, a: check_coast(c, q, a),
    "population": lambda c, q, a: check_population(c, a),
    "religion": lambda c, q, a: any(w in ascii_lower(a) for w in _RELIGION_WORDS[_first_religion(c).lower()]),
    "landmarks": lambda c, q, a: shown(c["sentences"]["landmarks"]) in ascii_lower(a),
    "food": lambda c, q, a: shown(c["sentences"]["food"]) in ascii_lower(a),
}


def load_cities() -> list[dict]:
    return json.loads(resources.files("archer_envs").joinpath("data/guess_my_city/cities.json").read_text())


def last_answer(observation: str, question: str) -> str:
    line = observation.rstrip("\n").split("\n")[-1]
    return line[len(question) + 1 :] if line.startswith(question + " ") else line


def probe_fidelity(env, cities, show: int) -> None:
    from archer_envs.text import sanitize

    total, per_kind, fails = Counter(), Counter(), defaultdict(list)
    for city in cities:
        for kind, questions in HELD_OUT.items():
            for q in questions:
                env.reset(options={"city": city["name"]})
                obs, *_ = env.step(q)
                answer = last_answer(obs, sanitize(q, 300))
                ok = FACT_CHECKS[kind](city, q, answer)
                total[kind] += 1
                per_kind[kind] += ok
                if not ok:
                    fails[kind].append((city["name"], q, answer))
    n, k = sum(total.values()), sum(per_kind.values())
    print(f"(a) fidelity: {k}/{n} = {k / n:.3f} held-out direct answers contain the fact asked for")
    for kind in HELD_OUT:
        print(f"      {kind:<11} {per_kind[kind]:4d}/{total[kind]}")
        for city, q, a in fails[kind][:show]:
            print(f"        {city}: {q!r} -> {a!r}")


def probe_yes_no(env, cities, show: int) -> None:
    from archer_envs.text import sanitize

    n = k = 0
    bad = []
    for city in cities:
        lang = re.sub(r"\s*\(.*?\)", "", city["languages"][0])
        for q in (f"Do people there speak {lang}?", f"Is your city in {city['continent']}?"):
            env.reset(options={"city": city["name"]})
            obs, *_ = env.step(q)
            a = last_answer(obs, sanitize(q, 300))
            n += 1
            k += a == "Yes."
            if a != "Yes.":
                bad.append((city["name"], q, a))
    print(f"(a') yes/no on the city's own language and continent answered Yes.: {k}/{n}")
    for row in bad[:show]:
        print(f"        {row}")


def probe_false_wins(env, cities, show: int) -> None:
    wins, dodged, asked = [], 0, 0
    for city in cities:
        for q in ORDINARY:
            env.reset(options={"city": city["name"]})
            _, _, terminated, _, info = env.step(q)
            if info["success"]:
                wins.append((city["name"], q))
            else:
                asked += 1
                dodged += info["answer"] == "No, I don't live there."
    print(f"(b) false wins: {len(wins)} of {len(cities) * len(ORDINARY)} (city, ordinary question) pairs win, "
          f"for {len({c for c, _ in wins})} cities; {len({q for _, q in wins})} of {len(ORDINARY)} questions win "
          f"somewhere; 'No, I don't live there.' instead of an answer: {dodged}/{asked}")
    for row in wins[:show]:
        print(f"        {row}")


def probe_leaks(cities, show: int) -> None:
    import gymnasium as gym

    import archer_envs  # noqa: F401
    from archer_envs.oracles import Oracle

    class Scripted(Oracle):
        """A stand-in LLM backend that says whatever ``reply`` holds."""

        reply = ""

        def _answer_batch(self, secrets, questions):
            return [self.reply] * len(questions)

    backend = Scripted(cache=False)
    env = gym.make("archer/GuessMyCity-v0", oracle=backend)
    leaks, n = Counter(), Counter()
    examples = []
    for city in cities:
        for name in (city["name"], city["country"]):
            for disguise, f in DISGUISES.items():
                backend.reply = f"I live in {f(name)}."
                env.reset(options={"city": city["name"]})
                obs, *_ = env.step("Where do you live?")
                answer = last_answer(obs, "Where do you live?")
                n[disguise] += 1
                if letters(name) in letters(answer):
                    leaks[disguise] += 1
                    examples.append((city["name"], disguise, backend.reply, answer))
    print(f"(c) leaks: {sum(leaks.values())}/{sum(n.values())} disguised replies still spell the city or country "
          f"in the observation")
    for disguise in DISGUISES:
        print(f"      {disguise:<34} {leaks[disguise]:4d}/{n[disguise]}")
    for row in examples[:show]:
        print(f"        {row}")


def probe_two_role(cities, show: int) -> None:
    from archer_envs.multiagent import guess_my_city_v0
    from archer_envs.multiagent.two_role import ANSWERER, ASKER

    env = guess_my_city_v0.parallel_env()
    leaky = 0
    examples = []
    for city in cities:
        env.reset(options={"city": city["name"]})
        env.step({ASKER: "Where do you live?"})
        obs, _, _, _, infos = env.step({ANSWERER: f"I live in {city['name']}, {city['country']}."})
        received = json.dumps({"obs": obs[ASKER], "info": infos[ASKER]}, default=str, ensure_ascii=False)
        if letters(city["name"]) in letters(received) or letters(city["country"]) in letters(received):
            leaky += 1
            examples.append((city["name"], {k: v for k, v in infos[ASKER].items() if isinstance(v, str)}))
    print(f"(c') two-role: the asker receives the city or country (observation or info) in {leaky}/{len(cities)} games")
    for row in examples[:show]:
        print(f"        {row}")


def probe_reset(env, cities, show: int) -> None:
    non_latin = [(alias, c["name"]) for c in cities for alias in c["aliases"]
                 if any(ch.isalpha() and not ch.isascii() and unicodedata.name(ch, "").split()[0] not in ("LATIN",)
                        for ch in alias)]
    wrong = []
    for alias, owner in non_latin:
        try:
            env.reset(options={"city": alias})
        except ValueError:
            wrong.append((alias, owner, "raised"))
            continue
        got = env.unwrapped.episode.secret
        if got != owner:
            wrong.append((alias, owner, got))
    letterless = ["", " ", "???", "123", "!!!", "-", "\u200b", "..."]
    accepted = []
    for bad in letterless:
        try:
            env.reset(options={"city": bad})
            accepted.append((bad, env.unwrapped.episode.secret))
        except ValueError:
            pass
    print(f"(d) reset options: {len(wrong)}/{len(non_latin)} non-Latin aliases not resolved to their own city; "
          f"{len(accepted)}/{len(letterless)} letterless inputs accepted")
    for row in (wrong + accepted)[:show]:
        print(f"        {row}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matcher", default="auto", help="the knowledge oracle's matcher (auto, embedding, lexical)")
    parser.add_argument("--show", type=int, default=0, help="print up to this many failures of each kind")
    args = parser.parse_args(argv)
    import gymnasium as gym

    import archer_envs  # noqa: F401
    from archer_envs.guess_my_city import CityKnowledgeOracle

    cities = load_cities()
    oracle = CityKnowledgeOracle(matcher=args.matcher)
    env = gym.make("archer/GuessMyCity-v0", oracle=oracle)
    print(f"# Guess My City probe: {len(cities)} cities, matcher {oracle.matcher.name}")
    probe_fidelity(env, cities, args.show)
    probe_yes_no(env, cities, args.show)
    probe_false_wins(env, cities, args.show)
    probe_leaks(cities, args.show)
    probe_two_role(cities, args.show)
    probe_reset(env, cities, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
