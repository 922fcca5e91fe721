"""Guess My City's offline oracle: a resident who answers from the city's fact sheet, never naming it.

Reading a question (all on the normalised, negation-stripped text, cached per question):

1. no letters → the polite non-answer (``valid`` is False);
2. names of the game's cities (names and aliases, never nicknames) → a **guess** (one city) or a
   **choice** (several, or any "or" list);
3. a yes/no question naming a value of a fact → answered ``Yes.``/``No.`` against the facts:
   continent ("Is it in Asia?"), sub-region ("… in Southeast Asia?"), hemisphere, part of the
   country ("Is it in the north?"), country ("Is it in Peru?"), language ("Do they speak Spanish?"),
   religion, currency ("Do they pay in euros?"), climate ("Is the climate tropical?"), population
   ("Does it have more than 5 million people?");
4. a topic keyword (``keywords`` in ``data/guess_my_city/phrasings.json``): an open question
   ("Which continent…?", "Tell me what language…", "Is it coastal or inland?") that names a topic
   gets that topic's answer; a yes/no question about the sea gets the coast check;
5. otherwise the matcher maps the question onto the phrasing bank (same file): a yes/no check
   (coastal, capital, snow, hot, rainy season, big, river) → ``Yes.``/``No.``; a topic slot
   (weather, food, landmarks, …) → that topic's answer;
6. nothing close enough → the polite non-answer.

A topic's answer is the fact sheet's sentence, led by the fact a resident would simply say when the
sentence does not already say it: the continent (location), the languages, the currency, the climate
type, the largest religion, the population band, on the coast or inland (water). Open questions are
questions that start with a question word (also after a preposition: "In what language…?"),
requests ("Tell me…", "Can you describe…") and questions offering alternatives ("… coastal or
inland?"), which Yes/No cannot answer.

Every answer, from any backend, is then shown through the leak filter
(:mod:`archer_envs.guess_my_city.leak_filter`), which hides the city's and the country's names
however they are disguised, as ArCHer had to add after agents tricked the oracle into naming the
city. Language names and demonyms are not names of the country ("Japanese", "Koreans").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from archer_envs.guess_my_city.cities import POPULATION_BANDS, City, CityList
from archer_envs.guess_my_city.leak_filter import censor, reveals
from archer_envs.matching import embedder_available, make_matcher
from archer_envs.oracles import Oracle, OracleTask
from archer_envs.questions import AUXILIARIES, NameIndex, is_wh_question, normalize, strip_negation

YES, NO = "Yes.", "No."
NON_ANSWER = "Sorry, I can't answer that. Ask me something else about my city."
CORRECT_GUESS = "Yes! That's my city, you found it."
WRONG_GUESS = "No, I don't live there."
CHOICE_YES = "One of those is my city, but I won't say which."
CHOICE_NO = "No, none of those is my city."
MAX_ANSWER_CHARS = 400  # what the transcript shows of one answer

# --- value vocabularies for yes/no questions ------------------------------------------------------
_CONTINENTS = {
    "africa": "Africa", "african": "Africa", "asia": "Asia", "asian": "Asia", "europe": "Europe",
    "european": "Europe", "north america": "North America", "north american": "North America",
    "south america": "South America", "south american": "South America", "oceania": "Oceania",
}
_REGIONS = {
    "east asia": "Eastern Asia", "eastern asia": "Eastern Asia", "far east": "Eastern Asia",
    "southeast asia": "South-eastern Asia", "south east asia": "South-eastern Asia",
    "south eastern asia": "South-eastern Asia", "southeastern asia": "South-eastern Asia",
    "south asia": "Southern Asia", "southern asia": "Southern Asia", "indian subcontinent": "Southern Asia",
    "central asia": "Central Asia", "middle east": "Western Asia", "western asia": "Western Asia",
    "west asia": "Western Asia", "eastern europe": "Eastern Europe", "east europe": "Eastern Europe",
    "northern europe": "Northern Europe", "north europe": "Northern Europe",
    "southern europe": "Southern Europe", "south europe": "Southern Europe",
    "western europe": "Western Europe", "west europe": "Western Europe",
    "north africa": "Northern Africa", "northern africa": "Northern Africa",
    "west africa": "Western Africa", "western africa": "Western Africa",
    "east africa": "Eastern Africa", "eastern africa": "Eastern Africa",
    "central africa": "Middle Africa", "middle africa": "Middle Africa",
    "central america": "Central America", "caribbean": "Caribbean", "the caribbean": "Caribbean",
}
_HEMISPHERES = {
    "northern hemisphere": ("ns", "north"), "north of the equator": ("ns", "north"),
    "southern hemisphere": ("ns", "south"), "south of the equator": ("ns", "south"),
    "eastern hemisphere": ("ew", "east"), "western hemisphere": ("ew", "west"),
}
_DIRECTIONS = {
    "north": {"north", "northeast", "northwest"}, "northern": {"north", "northeast", "northwest"},
    "south": {"south", "southeast", "southwest"}, "southern": {"south", "southeast", "southwest"},
    "east": {"east", "northeast", "southeast"}, "eastern": {"east", "northeast", "southeast"},
    "west": {"west", "northwest", "southwest"}, "western": {"west", "northwest", "southwest"},
    "northeast": {"northeast"}, "north east": {"northeast"}, "northeastern": {"northeast"},
    "northwest": {"northwest"}, "north west": {"northwest"}, "northwestern": {"northwest"},
    "southeast": {"southeast"}, "south east": {"southeast"}, "southeastern": {"southeast"},
    "southwest": {"southwest"}, "south west": {"southwest"}, "southwestern": {"southwest"},
    "central": {"central"}, "centre": {"central"}, "center": {"central"}, "middle": {"central"},
}
_CLIMATES = {
    "tropical": {"tropical"}, "desert": {"arid"}, "arid": {"arid"}, "dry climate": {"arid", "semi-arid"},
    "semi arid": {"semi-arid"}, "semiarid": {"semi-arid"}, "steppe": {"semi-arid"},
    "subtropical": {"subtropical"}, "mediterranean climate": {"mediterranean"},
    "oceanic": {"temperate oceanic"}, "maritime": {"temperate oceanic"},
    "continental": {"humid continental"}, "subarctic": {"subarctic"}, "highland": {"highland"},
    "alpine": {"highland"}, "temperate": {"temperate oceanic", "humid continental", "mediterranean"},
}
_RELIGIONS = {
    "islam": "islam", "muslim": "islam", "muslims": "islam", "islamic": "islam", "sunni": "islam", "shia": "islam",
    "christianity": "christianity", "christian": "christianity", "christians": "christianity",
    "catholic": "christianity", "catholics": "christianity", "catholicism": "christianity",
    "protestant": "christianity", "protestants": "christianity", "orthodox": "christianity",
    "buddhism": "buddhism", "buddhist": "buddhism", "buddhists": "buddhism",
    "hinduism": "hinduism", "hindu": "hinduism", "hindus": "hinduism",
    "judaism": "judaism", "jewish": "judaism", "jews": "judaism", "sikhism": "sikhism", "sikh": "sikhism",
    "sikhs": "sikhism", "shinto": "shinto", "shintoism": "shinto", "taoism": "taoism", "taoist": "taoism",
}
_RELIGION_KEYWORDS = {
    "islam": ("islam", "muslim", "sunni", "shia"),
    "christianity": ("christ", "catholic", "protestant", "orthodox", "evangelical", "pentecostal"),
    "buddhism": ("buddh",), "hinduism": ("hindu",), "judaism": ("juda", "jewish"), "sikhism": ("sikh",),
    "shinto": ("shinto",), "taoism": ("tao",),
}
_CURRENCIES = {
    "euro": "euro", "euros": "euro", "dollar": "dollar", "dollars": "dollar", "peso": "peso", "pesos": "peso",
    "rupee": "rupee", "rupees": "rupee", "yuan": "yuan", "renminbi": "yuan", "rmb": "yuan", "yen": "yen",
    "won": "won", "real": "real", "reais": "real", "pound": "pound", "pounds": "pound", "sterling": "pound",
    "lira": "lira", "rial": "rial", "dinar": "dinar", "baht": "baht", "rupiah": "rupiah", "ruble": "ruble",
    "rubles": "ruble", "rouble": "ruble", "roubles": "ruble", "hryvnia": "hryvnia", "dong": "dong",
    "taka": "taka", "franc": "franc", "francs": "franc", "birr": "birr", "dirham": "dirham", "sol": "sol",
    "bolivar": "bolivar", "leu": "leu", "lei": "leu", "forint": "forint", "som": "som", "sum": "som",
    "kyat": "kyat", "naira": "naira",
}
_CURRENCY_CONTEXT = frozenset("currency money pay paid pays cash coins coin banknotes notes use used uses".split())
_LANGUAGE_SYNONYMS = {"farsi": "persian", "tagalog": "filipino", "castilian": "spanish", "mandarin": "mandarin"}
_EXTRA_LANGUAGES = (
    "english spanish french portuguese arabic chinese mandarin cantonese hindi urdu bengali bangla japanese "
    "korean russian turkish persian farsi indonesian javanese sundanese thai vietnamese german italian tamil "
    "telugu kannada marathi gujarati punjabi amharic swahili lingala romanian hungarian ukrainian uzbek "
    "burmese filipino tagalog dutch greek polish hebrew malay kurdish"
).split()
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30,
}
_POPULATION_RE = re.compile(
    r"\b(more|over|above|bigger|larger|greater|at least|less|fewer|under|below|smaller)\s+(?:than\s+)?"
    r"(\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS) + r")\s*(million|m|thousand)\b"
)
_BAND_RANGES = {  # millions, [low, high)
    "under 2 million": (0.0, 2.0), "2 to 5 million": (2.0, 5.0), "5 to 10 million": (5.0, 10.0),
    "over 10 million": (10.0, float("inf")),
}


def _religion_families(city: City) -> set[str]:
    return {fam for r in city.religions for fam, keys in _RELIGION_KEYWORDS.items()
            if any(k in r.lower() for k in keys)}


def _language_phrases(city: City) -> set[str]:
    phrases = set()
    for lang in (*city.languages, *city.official_languages):
        words = normalize(lang).split()
        phrases.update(" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1))
    return phrases


_REQUEST_VERBS = frozenset("tell describe name list explain give share".split())


def is_request(normalized: str) -> bool:
    """An open request rather than a yes/no question: "Tell me …", "Name the …", "Can you describe …"."""
    tokens = normalized.split()
    if tokens and tokens[0] in _REQUEST_VERBS:
        return True
    return len(tokens) > 2 and tokens[0] in AUXILIARIES and tokens[1] == "you" and tokens[2] in _REQUEST_VERBS


@dataclass(frozen=True)
class CityQuestion:
    """What a question asks; ``kind`` is invalid, guess, choice, value, population, label or unknown."""

    kind: str
    text: str = ""
    cities: tuple[str, ...] = ()
    negated: bool = False
    value: tuple[str, object] | None = None  # (type, value) for kind == "value"
    threshold: tuple[int, float] | None = None  # (+1 more than / −1 less than, millions)
    label: str | None = None  # matcher label for kind == "label"
    yes_no: bool = True


class CityQuestionParser:
    def __init__(self, cities: CityList) -> None:
        self.cities = cities
        self.city_names = NameIndex(cities.alias_to_name)
        values: dict[str, tuple[str, object]] = {}
        for form, v in _CONTINENTS.items():
            values[form] = ("continent", v)
        for form, v in _REGIONS.items():
            values[form] = ("region", v)
        for form, v in _HEMISPHERES.items():
            values[form] = ("hemisphere", v)
        for form, v in _DIRECTIONS.items():
            values[form] = ("direction", frozenset(v))
        for form, v in _CLIMATES.items():
            values[form] = ("climate", frozenset(v))
        for form, v in _RELIGIONS.items():
            values[form] = ("religion", v)
        for form, v in _CURRENCIES.items():
            values[form] = ("currency", v)
        languages = set(_EXTRA_LANGUAGES)
        for c in cities.cities:
            for lang in (*c.languages, *c.official_languages):  # "Berber (Tamazight)": also each name alone
                languages.update(normalize(form) for form in (lang, *re.split(r"[()]", lang)) if form.strip())
        for form in languages:
            values[form] = ("language", _LANGUAGE_SYNONYMS.get(form, form))
        for c in cities.cities:
            for form in cities.country_names(c):  # a language name is never taken for a country's
                values.setdefault(normalize(form), ("country", normalize(form)))
        values.pop("", None)
        self.value_types = {normalize(k): v for k, v in values.items()}
        self.values = NameIndex({k: k for k in self.value_types})
        keywords = topic_keywords()
        self.open_topics = NameIndex({form: label for label, forms in keywords["open"].items() for form in forms})
        self.yes_no_topics = [(label, NameIndex({form: label for form in forms}))
                              for label, forms in keywords["yes_no"].items()]

    def parse(self, question: str) -> CityQuestion:
        text = normalize(question)
        if not re.search(r"[a-z]", text):
            return CityQuestion("invalid", text)
        yes_no = not (is_wh_question(text, after_preposition=True) or is_request(text))
        text, negated = strip_negation(text)
        mentions = self.city_names.mentions(text)
        alternatives = re.search(r"\bor\b", text) is not None
        if mentions:
            named = tuple(dict.fromkeys(name for *_, name in mentions))
            listed = len(mentions) > 1 or alternatives
            return CityQuestion("choice" if listed else "guess", text, named, negated, yes_no=yes_no)
        yes_no = yes_no and not alternatives  # "Is it coastal or inland?" wants one of them, not Yes/No
        topic = self.topic(text, yes_no)
        if yes_no:
            m = _POPULATION_RE.search(text)
            if m:
                number = float(_NUMBER_WORDS.get(m.group(2), m.group(2) if m.group(2)[0].isdigit() else 0))
                millions = number / 1000 if m.group(3) == "thousand" else number
                sign = 1 if m.group(1) in ("more", "over", "above", "bigger", "larger", "greater", "at least") else -1
                return CityQuestion("population", text, negated=negated, threshold=(sign, millions))
            for _start, _end, form in self.values.mentions(text):
                kind, value = self.value_types[form]
                if kind == "currency" and not (_CURRENCY_CONTEXT & set(text.split())):
                    continue
                return CityQuestion("value", text, negated=negated, value=(kind, value))
        if topic is not None:
            return CityQuestion("label", text, negated=negated, label=topic, yes_no=yes_no)
        return CityQuestion("unknown", text, negated=negated, yes_no=yes_no)

    def topic(self, text: str, yes_no: bool) -> str | None:
        """The label a topic keyword gives: for an open question the topic named first; for a yes/no
        question the first label of ``yes_no`` (in file order) whose keyword it contains."""
        if not yes_no:
            mentions = self.open_topics.mentions(text)
            return mentions[0][2] if mentions else None
        return next((label for label, index in self.yes_no_topics if index.mentions(text)), None)


def answer_value(city: City, kind: str, value) -> bool:
    if kind == "continent":
        return city.continent == value
    if kind == "region":
        return city.region == value
    if kind == "hemisphere":
        axis, side = value
        return (city.hemisphere_ns if axis == "ns" else city.hemisphere_ew) == side
    if kind == "direction":
        return city.part_of_country in value
    if kind == "climate":
        return city.climate in value
    if kind == "religion":
        return value in _religion_families(city)
    if kind == "currency":
        return value in normalize(city.currency).split() or value in normalize(city.currency)
    if kind == "language":
        return value in _language_phrases(city)
    if kind == "country":
        return value in {normalize(n) for n in CityList.default().country_names(city)}
    raise ValueError(f"unknown value kind {kind!r}")


def answer_check(city: City, check: str) -> bool:
    band = POPULATION_BANDS.index(city.population_band)
    return {
        "coastal": city.coastal,
        "inland": not city.coastal,
        "snow": city.snow,
        "hot": city.hot,
        "rainy_season": city.rainy_season,
        "big": band >= 2,
        "megacity": band == 3,
        "river": bool(city.water) and "river" in city.water.lower(),
        "capital": city.capital,
    }[check]


def answer_question(city: City, q: CityQuestion) -> str:
    if q.kind == "invalid":
        return NON_ANSWER
    if q.kind == "guess":
        right = city.name in q.cities
        if q.negated:  # "Is it not Seoul?"
            return NO if right else YES
        return CORRECT_GUESS if right else WRONG_GUESS
    if q.kind == "choice":
        return CHOICE_YES if city.name in q.cities else CHOICE_NO
    if q.kind == "population":
        low, high = _BAND_RANGES[city.population_band]
        sign, millions = q.threshold
        if (sign > 0 and millions <= low) or (sign < 0 and millions >= high):
            value = True
        elif (sign > 0 and millions >= high) or (sign < 0 and millions <= low):
            value = False
        else:
            return f"Roughly {city.population_band} people live in the metropolitan area."
        return YES if value != q.negated else NO
    if q.kind == "value":
        return YES if answer_value(city, *q.value) != q.negated else NO
    if q.kind == "label" and q.label is not None:
        kind, name = q.label.split(":", 1)
        if kind == "check":
            if q.yes_no:
                return YES if answer_check(city, name) != q.negated else NO
            name = {"coastal": "water", "inland": "water", "river": "water", "snow": "weather", "hot": "weather",
                    "rainy_season": "weather", "big": "population", "megacity": "population"}.get(name, name)
        return topic_answer(city, name)
    return NON_ANSWER


_CLIMATE_NAMES = {"arid": "arid (a desert climate)", "mediterranean": "Mediterranean"}


def _says(sentence: str, *words: str, whole: bool = False) -> bool:
    """Whether the sentence has one of the words (as a whole word, or else as the start of one: "euros")."""
    folded, end = normalize(sentence), r"\b" if whole else ""
    return any(re.search(rf"\b{re.escape(normalize(w))}{end}", folded) for w in words)


def _joined(items) -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _lead(city: City, slot: str) -> str:
    """The fact a resident would simply say, when the topic's sentence does not already say it."""
    sentence = city.sentences[slot]
    if slot == "location" and not _says(sentence, city.continent, whole=True):  # "East Asian" is not "Asia"
        return f"It is in {city.continent}."
    if slot == "language":  # leaving out a language named after the city (Shanghainese)
        forbidden = CityList.default().forbidden(city.name)
        spoken = [re.sub(r"\s*\(.*?\)", "", lang) for lang in city.languages]
        official = [re.sub(r"\s*\(.*?\)", "", lang) for lang in city.official_languages]
        spoken, official = ([lang for lang in langs if not reveals(lang, *forbidden)] for langs in (spoken, official))
        lead = f"People here speak {_joined(spoken)}."
        extra = [lang for lang in official if lang not in spoken]
        return lead + (f" {_joined(extra)} {'is' if len(extra) == 1 else 'are'} official too." if extra else "")
    if slot == "currency":
        name = re.sub(r"\s*\(.*?\)", "", city.currency)
        return "" if _says(sentence, *name.split()) else f"We pay with the {name}."
    if slot == "climate":
        return f"The climate is {_CLIMATE_NAMES.get(city.climate, city.climate)}."
    if slot == "religion":
        organised = [r for r in city.religions if r in _RELIGION_FAMILIES]
        if organised and not _says(sentence, *_RELIGION_KEYWORDS[_RELIGION_FAMILIES[organised[0]]]):
            return f"The largest religion is {organised[0]}."
        return ""
    if slot == "population":
        return f"The metropolitan area has {city.population_band} people."
    if slot == "water":
        return "It is on the coast." if city.coastal else "It is inland, not on the coast."
    return ""


_RELIGION_FAMILIES = {"Christianity": "christianity", "Islam": "islam", "Buddhism": "buddhism", "Hinduism": "hinduism",
                      "Judaism": "judaism", "Sikhism": "sikhism", "Shinto": "shinto", "Taoism": "taoism"}


def topic_answer(city: City, slot: str) -> str:
    """A topic's answer: the fact sheet's sentence, led by the plain fact (see the module docstring)."""
    sentence = city.sentences[slot]
    lead = _lead(city, slot)
    if lead and len(lead) + 1 + len(sentence) > MAX_ANSWER_CHARS:
        answer = lead
    else:
        answer = f"{lead} {sentence}" if lead else sentence
    return censor(answer, *CityList.default().forbidden(city.name))


class CityKnowledgeOracle(Oracle):
    """Deterministic offline resident of the secret city (see the module docstring for the rules).

    Args: matcher ("auto", "embedding", "lexical"), threshold (similarity below which a question is
    not understood), cache (per (secret, question) answers; parses are cached per question).
    """

    def __init__(self, matcher: str = "auto", threshold: float | None = None, cache: bool = True) -> None:
        super().__init__(cache=cache)
        self.cities = CityList.default()
        self.parser = shared_parser()
        self.matcher = shared_matcher(matcher, threshold)
        self._parses: dict[str, CityQuestion] = {}

    def interpret(self, questions: list[str]) -> list[CityQuestion]:
        new = [q for q in dict.fromkeys(questions) if q not in self._parses]
        if new:
            if len(self._parses) + len(new) > self.max_cache_entries:
                self._parses.clear()
            parsed = [self.parser.parse(q) for q in new]
            ask = [i for i, p in enumerate(parsed) if p.kind == "unknown"]
            for i, (label, _) in zip(ask, self.matcher.match([parsed[i].text for i in ask])):
                p = parsed[i]
                parsed[i] = CityQuestion("label" if label else "invalid", p.text, negated=p.negated, label=label,
                                         yes_no=p.yes_no)
            self._parses.update(zip(new, parsed))
        return [self._parses[q] for q in questions]

    def _answer_batch(self, secrets: list[str], questions: list[str]) -> list[str]:
        for s in set(secrets):
            if s not in self.cities.by_name:
                raise ValueError(f"unknown secret city {s!r} for the knowledge oracle")
        return [answer_question(self.cities.by_name[s], q) for s, q in zip(secrets, self.interpret(questions))]


@lru_cache(maxsize=1)
def _phrasings() -> dict:
    return json.loads(resources.files("archer_envs").joinpath("data/guess_my_city/phrasings.json").read_text())


@lru_cache(maxsize=1)
def phrasing_bank() -> list[tuple[str, str]]:
    return [(p, label) for label, phrasings in _phrasings()["labels"].items() for p in phrasings]


def topic_keywords() -> dict[str, dict[str, list[str]]]:
    """``{"open": {label: keywords}, "yes_no": {label: keywords}}`` from the phrasing file."""
    return _phrasings()["keywords"]


@lru_cache(maxsize=1)
def shared_parser() -> CityQuestionParser:
    return CityQuestionParser(CityList.default())


# Free-text questions about a city are broader than Twenty Questions' attribute questions, and every
# topic has a sentence to offer, so the embedding threshold is lower (junk scores below ~0.45).
EMBEDDING_THRESHOLD = 0.6


@lru_cache(maxsize=8)
def shared_matcher(kind: str = "auto", threshold: float | None = None):
    bank = [(strip_negation(normalize(p))[0], label) for p, label in phrasing_bank()]
    if threshold is None and kind != "lexical" and (kind == "embedding" or embedder_available()):
        threshold = EMBEDDING_THRESHOLD
    return make_matcher(kind, bank, threshold)


# --- the prompt for LLM backends (in the spirit of LMRL-Gym's Guess My City oracle) --------------------
def _user(secret: str, question: str) -> str:
    city = CityList.default().by_name.get(secret)
    where = f"{secret}, {city.country}" if city else secret
    return (
        f"You live in {where}. A player is trying to guess your city and asks:\n{question}\n"
        "Answer truthfully in one or two short sentences, as a resident would: name the continent, the "
        "languages, the currency and other facts when asked. You cannot reveal the name of the city or "
        "the name of the country, in any spelling, unless the question correctly guesses the city; "
        "languages and nationalities (such as Japanese or Korean) are not names and may be said."
    )


def normalize_reply(reply: str) -> str:
    """First paragraph of the reply, whitespace collapsed (the game censors names afterwards)."""
    first = reply.strip().split("\n\n")[0]
    return " ".join(first.split()) or NON_ANSWER


GUESS_MY_CITY_TASK = OracleTask(
    name="guess_my_city-v1",  # v1: names languages and continents, leak rules of the leak filter
    system=(
        "You are playing the game guess my city. You are a resident of a secret city and answer the "
        "player's questions about it helpfully and truthfully, but you never say the name of the city "
        "or of its country."
    ),
    user=_user,
    normalize=normalize_reply,
)
