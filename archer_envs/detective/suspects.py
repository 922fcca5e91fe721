"""The suspects as an oracle: each answers questions from the case facts, in character.

The oracle's ``secret`` is ``"<case seed>|<suspect's full name>"``; the case is regenerated from the
seed (cached). Innocents tell the truth; the culprit lies about one thing only, where they were at
nine, which the alibi clue contradicts. Answers carry no tells: every answer is a function of the
question, the case's public facts and the speaker's own name, job and *claimed* whereabouts, which
the generator draws alike for the culprit and the innocents; no answer depends on who is guilty, and
none reveals a clue (asked about initials, a suspect names whoever has the initials the question
gives, and reveals none).

Knowledge backend: the question is matched to an intent of ``data/detective/questions.json`` (where,
companion, heard, relation, occupation, motive, last_seen, victim, opinion, object, weapon); a
question naming another suspect asks about that suspect. LLM backends get a role-play prompt built
from the same facts. Whatever the backend, :func:`guard` removes confessions and accusations from
answers, so no suspect ever states the solution.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from archer_envs.detective.case import TIME, Case, Suspect, generate_case, statement_where
from archer_envs.matching import make_matcher
from archer_envs.oracles import Oracle, OracleTask
from archer_envs.questions import NameIndex, normalize

NOT_UNDERSTOOD = "I'm sorry, Inspector, I don't follow the question."
NO_COMMENT = "I couldn't say who did it, Inspector. That is your job."
TRACE_ITEMS = ("cufflink", "handkerchief", "fountain pen", "button", "pocket watch", "initials")


def encode_secret(seed: int, suspect: str) -> str:
    return f"{seed}|{suspect}"


@lru_cache(maxsize=256)
def cached_case(seed: int) -> Case:
    return generate_case(seed)


def decode_secret(secret: str) -> tuple[Case, Suspect]:
    try:
        seed, name = secret.split("|", 1)
        case = cached_case(int(seed))
        return case, case.suspect(name)
    except (ValueError, StopIteration) as err:
        raise ValueError(f"bad detective secret {secret!r}: expected '<case seed>|<suspect full name>'") from err


def suspect_aliases(case: Case) -> dict[str, str]:
    """Every way a player may name a suspect -> full name ("Mrs Hale", "Hale", "the cook", ...)."""
    aliases = {}
    for s in case.suspects:
        for form in (s.name, s.short, s.surname, f"{s.first} {s.surname}", f"the {s.role}", s.role):
            aliases[form] = s.name
    return aliases


@lru_cache(maxsize=256)
def suspect_index(seed: int) -> NameIndex:
    return NameIndex(suspect_aliases(cached_case(seed)))


def answer_initials(case: Case, initials: tuple[str, str] | None) -> str:
    """Who has the initials the question gives (public: the names are in the briefing). Without initials
    in the question, nothing: telling the trace's initials would solve the trace clue unexamined."""
    if initials is None:
        return "Which initials, Inspector? Tell me the letters and I will tell you whose they are."
    owners = [s.name for s in case.suspects if (s.first[0], s.surname[0]) == initials]
    letters = f"{initials[0]}.{initials[1]}."
    if not owners:
        return f"Initials {letters}? Nobody in this house has those initials."
    return f"Initials {letters}? That would be {' or '.join(owners)}."


def initials_in(question: str) -> tuple[str, str] | None:
    """("E", "H") from "Whose are the initials E.H.?", "... E. H. ..." or "initials EH"; None without such a pair."""
    m = re.search(r"\b([A-Za-z])\.\s?([A-Za-z])\.", question) or re.search(
        r"\binitials\s+([A-Za-z])\s?([A-Za-z])\b", question, re.I
    )
    return (m.group(1).upper(), m.group(2).upper()) if m else None


def answer_intent(
    case: Case, me: Suspect, intent: str | None, others: tuple[str, ...], initials: tuple[str, str] | None = None
) -> str:
    """The knowledge answer of suspect ``me`` (``initials``: those the question names, for "object")."""
    victim = case.victim
    if intent in ("where", "companion") and others:
        return f"I didn't see {case.suspect(others[0]).short} around nine o'clock."
    if intent in ("where", "companion"):
        return statement_where(me)
    if intent == "heard":
        return f"Just before {TIME} I heard a crash from the direction of the {case.crime_room}."
    if intent == "relation":
        return f"I am the {me.role}; I {me.relation}."
    if intent == "occupation":
        return f"I am {me.name}, the {me.role}."
    if intent == "motive":
        return f"I won't pretend all was well: I {me.motive}. But I did not kill {victim}."
    if intent == "last_seen":
        return f"At dinner, about eight o'clock. {victim} left the table early."
    if intent == "victim":
        return f"{victim} could be generous, but made enemies easily."
    if intent == "opinion":
        return NO_COMMENT
    if intent == "object":
        return answer_initials(case, initials)
    if intent == "weapon":
        return f"The {case.weapon}? It was always lying about the house. I never touched it."
    return NOT_UNDERSTOOD


_KILL_WORDS = re.compile(r"\b(kill|killed|killer|murder|murdered|murderer|did it|guilty|culprit|done it)\b", re.I)


def guard(case: Case, speaker: Suspect, answer: str) -> str:
    """Drop every sentence that names the culprit next to words of killing, and confessions."""
    culprit = case.suspect(case.culprit)
    names = [n for n, full in suspect_aliases(case).items() if full == culprit.name and len(n) > 3]
    kept = []
    for sentence in re.split(r"(?<=[.!?])\s+", answer.strip()):
        accuses = _KILL_WORDS.search(sentence) and any(n.lower() in sentence.lower() for n in names)
        confesses = speaker.name == case.culprit and re.search(
            r"\bI\b[^.!?]*\b(killed|murdered|did it|done it|am the (murderer|killer|culprit))\b", sentence, re.I
        ) and not re.search(r"\b(not|never|n't)\b", sentence, re.I)
        kept.append(NO_COMMENT if accuses or confesses else sentence)
    return " ".join(dict.fromkeys(kept)) or NOT_UNDERSTOOD


@lru_cache(maxsize=1)
def intent_bank() -> list[tuple[str, str]]:
    data = json.loads(resources.files("archer_envs").joinpath("data/detective/questions.json").read_text())
    return [(normalize(p), label) for label, phrasings in data["labels"].items() for p in phrasings]


@lru_cache(maxsize=8)
def shared_matcher(kind: str = "auto", threshold: float | None = None):
    return make_matcher(kind, intent_bank(), threshold)


class SuspectKnowledgeOracle(Oracle):
    """Deterministic offline suspects. Args: matcher ("auto", "embedding", "lexical"), threshold, cache."""

    def __init__(self, matcher: str = "auto", threshold: float | None = None, cache: bool = True) -> None:
        super().__init__(cache=cache)
        self.matcher = shared_matcher(matcher, threshold)
        self._intents: dict[str, str | None] = {}

    def _intent(self, texts: list[str]) -> None:
        new = [t for t in dict.fromkeys(texts) if t not in self._intents]
        if new:
            if len(self._intents) + len(new) > self.max_cache_entries:
                self._intents.clear()
            self._intents.update(zip(new, (label for label, _ in self.matcher.match(new))))

    def _answer_batch(self, secrets: list[str], questions: list[str]) -> list[str]:
        decoded = [decode_secret(s) for s in secrets]
        plans = []
        for (case, me), question in zip(decoded, questions):
            text = normalize(question)
            index = suspect_index(case.seed)
            mentions = index.mentions(text)
            others = tuple(dict.fromkeys(n for *_, n in mentions if n != me.name))
            # the matcher sees the question with names replaced by a pronoun-like placeholder
            plain = text
            for start, end, _ in reversed(mentions):
                plain = plain[:start] + "them" + plain[end:]
            is_object = any(item in text for item in TRACE_ITEMS) or re.search(r"\b[a-z] [a-z]\b", text)
            plans.append((case, me, plain, others, bool(is_object), initials_in(question)))
        self._intent([p for _, _, p, _, obj, _ in plans if not obj and p])
        answers = []
        for case, me, plain, others, is_object, initials in plans:
            intent = "object" if is_object else self._intents.get(plain) if plain else None
            answers.append(answer_intent(case, me, intent, others, initials))
        return answers


# --- the prompt for LLM backends ---------------------------------------------------------------------
def role_play_prompt(case: Case, me: Suspect) -> str:
    others = "; ".join(f"{s.name}, the {s.role}" for s in case.suspects if s is not me)
    lines = [
        f"You are {me.name}, the {me.role}, a suspect in a murder mystery. {case.victim} was found dead in "
        f"the {case.crime_room} at {TIME} tonight, killed with a {case.weapon}. The other suspects: {others}.",
        f"About you: you {me.relation}; you {me.motive}.",
    ]
    if me.name == case.culprit:
        lines.append(
            f"You are the murderer, but you must never admit it. You lie about one thing only: you claim "
            f"you were in the {me.claimed_location}, on your own, at {TIME}, and that you left your "
            f"{me.claimed_object} there. Everything else you say is true."
        )
    else:
        lines.append(statement_where(me).replace("At nine o'clock I was", f"At {TIME} you were")
                     .replace("you will find my", "you left your"))
        lines.append("You are innocent and tell the truth.")
    lines.append(f"Just before {TIME} everyone heard a crash from the {case.crime_room}. Answer in one or two "
                 "sentences, in character. Never say who the murderer is.")
    return "\n".join(lines)


def _user(secret: str, question: str) -> str:
    case, me = decode_secret(secret)
    return f"{role_play_prompt(case, me)}\n\nThe detective asks you: {question}"


DETECTIVE_TASK = OracleTask(
    name="detective-v0",
    system="You role-play a suspect questioned by a detective in a country-house murder mystery.",
    user=_user,
    normalize=lambda reply: " ".join(reply.strip().split("\n\n")[0].split()) or NOT_UNDERSTOOD,
)
