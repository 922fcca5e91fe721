"""Murder mysteries generated from a seed, each proved solvable by deduction before it is used.

A case: a victim found dead in one room of a house at nine o'clock; 4–6 suspects (name, occupation,
relation to the victim, motive, where they really were, and where they *claim* to have been); rooms
with furniture; clues. Exactly one suspect is guilty. The design of the deduction:

- **body** (crime room, essential): the victim and the murder weapon.
- **trace** (crime room, essential): a personal item with initials. Every case has exactly one pair
  of suspects sharing their initials, drawn without regard to guilt, so the trace fits the culprit
  alone or, when the culprit is one of the pair (about 40% of cases), the culprit and an innocent
  *decoy*.
- **alibi** (the room the culprit claims to have been in, essential): proof that nobody was there.
- Everyone says the same thing in the same words: "At nine o'clock I was in the <room>, on my own;
  you will find my <item> there." Innocents tell the truth: the item is in their room and names them
  (a signed letter, a logged call). The culprit lies about one thing only, where they were: their
  room and item are drawn like an innocent's, but the room is empty of both (the alibi clue).
  Nothing in what the suspects say tells the culprit from the innocents (``detective/tells.py``
  audits it); only the clues do.
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
    claimed_location: str
    claimed_object: str  # the item they say is in that room ("letter"): there for innocents only

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


def _names(rng: random.Random, n: int) -> list[tuple[str, str, str]] | None:
    """n (gender, first, surname), all first names and surnames different and all initials distinct
    except the first two's, which are the same. None if the pools can't."""
    w = world()
    firsts = [(f, g) for g in ("male", "female") for f in w["first_names"][g]]

    def person(first: str, gender: str, surname: str) -> tuple[str, str, str]:
        return (gender, first, surname)

    first, gender = rng.choice(firsts)
    people = [person(first, gender, rng.choice(w["surnames"]))]
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
    names = _names(rng, n)
    if names is None:
        return None
    jobs = _jobs(rng, [p[0] for p in names])
    if jobs is None:
        return None
    names = [(rng.choice(w["staff_titles" if job["staff"] else "titles"][g]), f, s)
             for (g, f, s), job in zip(names, jobs)]
    # The culprit is drawn uniformly, independently of names, jobs and rooms, so that nothing the
    # suspects say about themselves is more typical of the culprit than of an innocent. names[0] and
    # names[1] share their initials: the trace is ambiguous when the culprit is one of them.
    culprit_index = rng.randrange(n)
    crime_room, *claimed_rooms = rng.sample(sorted(w["rooms"]), n + 1)
    items = [rng.choice(w["alone_proofs"]) for _ in range(n)]
    clues: list[Clue] = []
    suspects = []
    for i, (person, job, room, proof) in enumerate(zip(names, jobs, claimed_rooms, items)):
        item = _object_name(proof.split(",")[0])
        if i != culprit_index:  # the truth, and the item that proves it, in their room
            text = proof.format(name=f"{person[1]} {person[2]}")
            clues.append(Clue("proof", room, item, text[0].upper() + text[1:] + ".", False))
        location = crime_room if i == culprit_index else room
        suspects.append(Suspect(*person, job["role"], job["relation"], job["motive"], location, room, item))
    culprit_s = suspects[culprit_index]
    victim = rng.choice(w["victims"])
    weapon = rng.choice(w["weapons"])
    trace = rng.choice(w["traces"])
    claimed_room = culprit_s.claimed_location
    clues += [
        Clue("body", crime_room, "body", f"The body of {victim} lies on the floor, a bloodied {weapon} beside it: "
             f"the murder weapon.", True),
        Clue("trace", crime_room, trace["item"],
             "Near the body: " + trace["text"].format(initials=culprit_s.initials) + ".", True),
        Clue("alibi", claimed_room, "door",
             f"Nobody was in the {claimed_room} at nine. " + rng.choice(w["empty_room_proofs"]), True),
    ]
    herring_room = rng.choice([HALL, *claimed_rooms])
    innocent = suspects[rng.choice([i for i in range(n) if i != culprit_index])]
    herring = rng.choice(w["red_herrings"]).format(first=innocent.first)
    clues.append(Clue("herring", herring_room, _object_name(herring.split(":")[0].split(",")[0]),
                      herring[0].upper() + herring[1:] + ".", False))
    rooms = (HALL, DRAWING_ROOM, *sorted([crime_room, *claimed_rooms]))
    furniture = {r: tuple(w["rooms"].get(r, ())) for r in rooms}
    furniture[HALL] = ("coat stand", "grandfather clock", "staircase")
    furniture[DRAWING_ROOM] = ("armchairs", "mantelpiece", "gramophone")
    order = list(suspects)
    rng.shuffle(order)
    ambiguous = culprit_index in (0, 1)
    return Case(seed, victim, crime_room, weapon, rooms, furniture, tuple(order), culprit_s.name, tuple(clues),
                ambiguous)


def _object_name(phrase: str) -> str:
    """'a torn letter' -> 'torn letter'; 'a railway timetable with ...' -> 'railway timetable'."""
    phrase = re.sub(r"^(a|an|the)\s+", "", phrase.strip().lower())
    return " ".join(re.split(r"\s+(?:with|and|from|in|on|signed|still|of)\s+", phrase)[0].split()[:3])


# --- what a player can observe, and the deduction from it ----------------------------------------------
def statement_where(suspect: Suspect) -> str:
    """What a suspect says when asked where they were at nine: the same words for everyone, the culprit
    lying about the room and the item (the only lie in the game)."""
    return (f"At nine o'clock I was in the {suspect.claimed_location}, on my own; you will find my "
            f"{suspect.claimed_object} there.")


_WHERE_RE = re.compile(r"I was in the (.+?), on my own; you will find my (.+?) there\.")
_INITIALS_RE = re.compile(r"'([A-Z])\.([A-Z])\.'")


def deduce(case: Case) -> str | None:
    """The culprit, from observable facts only: the trace's initials, every suspect's statement of
    where they were, and the clue texts. None unless exactly one suspect is left."""
    clue_text = {c.id: c for c in case.clues}
    m = _INITIALS_RE.search(clue_text["trace"].text)
    candidates = [s for s in case.suspects if m and (s.first[0], s.surname[0]) == m.groups()]
    empty_rooms = {c.room for c in case.clues if c.id == "alibi"}
    proofs = [c for c in case.clues if c.id == "proof"]

    def confirmed(s: Suspect) -> bool:
        found = _WHERE_RE.search(statement_where(s))
        if not found or found.group(1) in empty_rooms:
            return False
        room, item = found.groups()
        return any(c.room == room and c.obj == item and f"{s.first} {s.surname}" in c.text for c in proofs)

    left = [s.name for s in candidates if not confirmed(s)]
    return left[0] if len(left) == 1 else None
