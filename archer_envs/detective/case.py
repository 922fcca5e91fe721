"""Murder mysteries generated from a seed, each proved solvable by deduction before it is used.

A case: a victim found dead in one room of a house at nine o'clock; 4–6 suspects (name, occupation,
relation to the victim, motive, where they really were and with whom, and what they *claim*); rooms
with furniture; clues. Exactly one suspect is guilty. The design of the deduction:

- **body** (crime room, essential): the victim and the murder weapon.
- **trace** (crime room, essential): a personal item with initials. Usually they identify one suspect;
  in about half the cases a second, innocent suspect (the *decoy*) has the same initials.
- **alibi** (the room the culprit claims to have been in, essential): proof that nobody was there.
- The culprit lies about one thing only: where they were (they claim that room, alone). Innocents
  tell the truth: they were in pairs (each confirms the other, and the decoy is always in a pair) or
  alone with a physical proof in their room (a signed letter, a logged call).
- Red herrings: a threatening letter naming an innocent, a timetable, …

:func:`deduce` solves a case from what a player can observe (the clue texts and the suspects'
statements), never reading ``case.culprit``; :func:`generate_case` keeps only cases where it finds
exactly the culprit (tested over many seeds).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

HALL, DRAWING_ROOM = "hall", "drawing room"
TIME = "nine o'clock"


@lru_cache(maxsize=1)
def world() -> dict:
    return json.loads(resources.files("archer_envs").joinpath("data/detective/world.json").read_text())


@dataclass(frozen=True)
class Suspect:
    title: str
    first: str
    surname: str
    role: str
    relation: str
    motive: str
    location: str  # where they really were at nine
    companion: str | None  # who really was with them (a full name)
    claimed_location: str
    claimed_companion: str | None

    @property
    def name(self) -> str:
        return f"{self.title} {self.first} {self.surname}"

    @property
    def short(self) -> str:
        return f"{self.title} {self.surname}"

    @property
    def initials(self) -> str:
        return f"{self.first[0]}.{self.surname[0]}."


@dataclass(frozen=True)
class Clue:
    id: str  # "body", "trace", "alibi", "proof", "herring"
    room: str
    obj: str  # what to examine
    text: str
    essential: bool


@dataclass(frozen=True)
class Case:
    seed: int
    victim: str
    crime_room: str
    weapon: str
    rooms: tuple[str, ...]
    furniture: dict[str, tuple[str, ...]]
    suspects: tuple[Suspect, ...]
    culprit: str  # full name
    clues: tuple[Clue, ...]
    ambiguous: bool  # the trace fits two suspects

    def suspect(self, name: str) -> Suspect:
        return next(s for s in self.suspects if s.name == name)

    @property
    def essential_clues(self) -> tuple[Clue, ...]:
        return tuple(c for c in self.clues if c.essential)

    def objects(self, room: str) -> tuple[str, ...]:
        """What a player sees in a room (and can examine)."""
        return tuple(dict.fromkeys((*self.furniture[room], "door", *(c.obj for c in self.clues if c.room == room))))


class CaseGenerationError(RuntimeError):
    pass


def _names(rng: random.Random, n: int, ambiguous: bool) -> list[tuple[str, str, str]] | None:
    """n (gender, first, surname), all first names and surnames different and all initials distinct,
    except that with ``ambiguous`` the first two share their initials. None if the pools can't."""
    w = world()
    firsts = [(f, g) for g in ("male", "female") for f in w["first_names"][g]]

    def person(first: str, gender: str, surname: str) -> tuple[str, str, str]:
        return (gender, first, surname)

    first, gender = rng.choice(firsts)
    people = [person(first, gender, rng.choice(w["surnames"]))]
    if ambiguous:
        _, f0, s0 = people[0]
        same_first = [(f, g) for f, g in firsts if f[0] == f0[0] and f != f0]
        same_surname = [s for s in w["surnames"] if s[0] == s0[0] and s != s0]
        if not same_first or not same_surname:
            return None
        f, g = rng.choice(same_first)
        people.append(person(f, g, rng.choice(same_surname)))
    for _ in range(500):
        if len(people) == n:
            return people
        (f, g), surname = rng.choice(firsts), rng.choice(w["surnames"])
        if f in {p[1] for p in people} or surname in {p[2] for p in people}:
            continue
        if (f[0], surname[0]) not in {(p[1][0], p[2][0]) for p in people}:
            people.append(person(f, g, surname))
    return None


def _jobs(rng: random.Random, genders: list[str]) -> list[dict] | None:
    """A distinct occupation for each person, respecting the gendered ones (nephew, niece, maid, ...)."""
    pool = list(world()["occupations"])
    rng.shuffle(pool)
    jobs = []
    for g in genders:
        job = next((o for o in pool if o["gender"] in ("any", g)), None)
        if job is None:
            return None
        pool.remove(job)
        jobs.append(job)
    return jobs


def generate_case(seed: int) -> Case:
    """The case for ``seed`` (deterministic). Candidates failing :func:`deduce` are redrawn."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"case seed must be a non-negative integer, got {seed!r}")
    rng = random.Random(seed)
    for _ in range(20):
        case = _draw_case(seed, rng)
        if case is not None and deduce(case) == case.culprit:
            return case
    raise CaseGenerationError(f"no solvable case for seed {seed}")


def _draw_case(seed: int, rng: random.Random) -> Case | None:
    w = world()
    n = rng.randint(4, 6)
    ambiguous = rng.random() < 0.5
    names = _names(rng, n, ambiguous)
    if names is None:
        return None
    jobs = _jobs(rng, [p[0] for p in names])
    if jobs is None:
        return None
    names = [(rng.choice(w["staff_titles" if job["staff"] else "titles"][g]), f, s) for (g, f, s), job in zip(names, jobs)]
    chosen = rng.sample(sorted(w["rooms"]), 5)
    crime_room, claimed_room, *free_rooms = chosen
    # the culprit is names[0]; with ``ambiguous`` the decoy (same initials) is names[1]
    culprit = names[0]
    innocents = names[1:]
    rng.shuffle(innocents)
    if ambiguous:  # the decoy must be in a pair, never alone
        decoy = names[1]
        innocents.remove(decoy)
        innocents.insert(0, decoy)
    where: dict[tuple, tuple[str, tuple | None]] = {}
    clues: list[Clue] = []
    rooms_left = list(free_rooms)
    i = 0
    while i < len(innocents):
        room = rooms_left.pop(0)
        if i + 1 < len(innocents):
            a, b = innocents[i], innocents[i + 1]
            where[a], where[b] = (room, b), (room, a)
            i += 2
        else:
            a = innocents[i]
            where[a] = (room, None)
            proof = rng.choice(w["alone_proofs"]).format(name=f"{a[1]} {a[2]}")
            item = proof.split(",")[0].removeprefix("a ").removeprefix("an ")
            clues.append(Clue("proof", room, _object_name(item), proof[0].upper() + proof[1:] + ".", False))
            i += 1
    full = {p: f"{p[0]} {p[1]} {p[2]}" for p in names}
    suspects = []
    for person, job in zip(names, jobs):
        if person == culprit:
            loc, comp, claim, claim_comp = crime_room, None, claimed_room, None
        else:
            loc, partner = where[person]
            comp = full[partner] if partner else None
            claim, claim_comp = loc, comp
        suspects.append(Suspect(*person, job["role"], job["relation"], job["motive"], loc, comp, claim, claim_comp))
    culprit_s = suspects[0]
    victim = rng.choice(w["victims"])
    weapon = rng.choice(w["weapons"])
    trace = rng.choice(w["traces"])
    clues += [
        Clue("body", crime_room, "body", f"The body of {victim} lies on the floor, a bloodied {weapon} beside it: "
             f"the murder weapon.", True),
        Clue("trace", crime_room, trace["item"], "Near the body: " + trace["text"].format(initials=culprit_s.initials) + ".", True),
        Clue("alibi", claimed_room, "door", f"Nobody was in the {claimed_room} at nine. " + rng.choice(w["empty_room_proofs"]), True),
    ]
    herring_room = rng.choice([r for r in (HALL, *free_rooms) if r != claimed_room])
    innocent = suspects[rng.randrange(1, len(suspects))]
    herring = rng.choice(w["red_herrings"]).format(first=innocent.first)
    clues.append(Clue("herring", herring_room, _object_name(herring.split(":")[0].split(",")[0]), herring[0].upper() + herring[1:] + ".", False))
    rooms = (HALL, DRAWING_ROOM, *sorted(chosen))
    furniture = {r: tuple(w["rooms"].get(r, ())) for r in rooms}
    furniture[HALL] = ("coat stand", "grandfather clock", "staircase")
    furniture[DRAWING_ROOM] = ("armchairs", "mantelpiece", "gramophone")
    order = list(suspects)
    rng.shuffle(order)
    return Case(seed, victim, crime_room, weapon, rooms, furniture, tuple(order), culprit_s.name, tuple(clues), ambiguous)


def _object_name(phrase: str) -> str:
    """'a torn letter' -> 'torn letter'; 'a railway timetable with ...' -> 'railway timetable'."""
    phrase = re.sub(r"^(a|an|the)\s+", "", phrase.strip().lower())
    return " ".join(re.split(r"\s+(?:with|and|from|in|on|signed|still|of)\s+", phrase)[0].split()[:3])


# --- what a player can observe, and the deduction from it ----------------------------------------------
def statement_where(case: Case, suspect: Suspect) -> str:
    """What a suspect says when asked where they were at nine (the culprit lies here, and only here)."""
    if suspect.claimed_companion:
        return f"At nine o'clock I was in the {suspect.claimed_location} with {suspect.claimed_companion}."
    if suspect.name == case.culprit:
        return f"At nine o'clock I was in the {suspect.claimed_location}, alone."
    proof = next(c for c in case.clues if c.id == "proof" and c.room == suspect.claimed_location)
    return (f"At nine o'clock I was in the {suspect.claimed_location}, on my own; you will find my "
            f"{proof.obj} there.")


_WHERE_RE = re.compile(r"I was in the (.+?)(?: with (.+?)\.|, alone\.|, on my own)")
_INITIALS_RE = re.compile(r"'([A-Z])\.([A-Z])\.'")


def deduce(case: Case) -> str | None:
    """The culprit, from observable facts only: the trace's initials, every suspect's statement of
    where they were, and the clue texts. None unless exactly one suspect is left."""
    clue_text = {c.id: c for c in case.clues}
    m = _INITIALS_RE.search(clue_text["trace"].text)
    candidates = [s for s in case.suspects if m and (s.first[0], s.surname[0]) == m.groups()]
    claims = {}
    for s in case.suspects:
        found = _WHERE_RE.search(statement_where(case, s))
        claims[s.name] = (found.group(1), found.group(2)) if found else (None, None)
    empty_rooms = {c.room for c in case.clues if c.id == "alibi"}
    proofs = [c for c in case.clues if c.id == "proof"]

    def confirmed(s: Suspect) -> bool:
        room, partner = claims[s.name]
        if room in empty_rooms:
            return False
        if partner:
            return claims.get(partner) == (room, s.name)
        return any(c.room == room and f"{s.first} {s.surname}" in c.text for c in proofs)

    left = [s.name for s in candidates if not confirmed(s)]
    return left[0] if len(left) == 1 else None
