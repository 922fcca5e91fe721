"""Scripted Detective players. They read only the observation (no access to the case).

- :class:`ExpertPolicy`: goes to the crime room, examines the body and the trace, reads the initials;
  asks each suspect with those initials where they were (their answers cannot tell the liar: everyone
  says the same words); goes to the room each named, in turn, and examines its door until one shows
  the room was empty at nine (the alibi clue); accuses whoever claimed that room. All three essential
  clues in about 8–10 steps.
- :class:`NoisyPolicy`: the expert's command with probability ``expert_prob``, otherwise a random
  plausible command (move, examine, question, or rarely a random accusation): behaviour data.
- :class:`RandomPolicy`: random plausible commands only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from archer_envs.detective.case import DRAWING_ROOM

_BRIEF = re.compile(r"found dead in the (.+?) at nine o'clock tonight\. "
                    r"The suspects wait in the drawing room: (.+?)\. Rooms: (.+?)\.\n")
_HERE = re.compile(r"You are in the (.+?)\. You see: (.+?)\.(?: The suspects|$)", re.M)
_INITIALS = re.compile(r"'([A-Z])\.([A-Z])\.'")
_CLAIM = re.compile(r'^(\w+ \w+): "At nine o\'clock I was in the (.+?), on my own; you will find my (.+?) there\.')
TRACE_ITEMS = ("cufflink", "handkerchief", "fountain pen", "button", "pocket watch")
QUESTIONS = ("where were you at nine?", "who were you with?", "did you hear anything?", "what is your occupation?",
             "how did you know the victim?", "did you have a motive?", "who do you think did it?")


class Reading:
    """What the transcript says so far."""

    def __init__(self, observation: str) -> None:
        m = _BRIEF.search(observation)
        self.crime_room = m.group(1) if m else None
        self.suspects = [re.sub(r" \(the .*?\)$", "", s) for s in m.group(2).split("; ")] if m else []
        self.rooms = m.group(3).split(", ") if m else []
        here = list(_HERE.finditer(observation))
        self.location, self.objects = (here[-1].group(1), here[-1].group(2).split(", ")) if here else (None, [])
        self.commands = re.findall(r"^> (.*)$", observation, re.M)
        self.initials = None
        self.claims: dict[str, tuple[str, str]] = {}  # short name -> (room, item)
        self.empty_rooms: set[str] = set()  # doors examined: nobody was there at nine
        self.used_rooms: set[str] = set()  # doors examined: the room was used this evening
        lines = observation.splitlines()
        for line in lines:
            if line.startswith("> "):
                continue
            if (m := _INITIALS.search(line)) and line.startswith("Near the body"):
                self.initials = m.groups()
            if m := _CLAIM.match(line):
                self.claims[m.group(1)] = (m.group(2), m.group(3))
            if line.startswith("Nobody was in the "):
                self.empty_rooms.add(line[len("Nobody was in the "):].split(" at nine")[0])
            if line.startswith("An ordinary door; the "):
                self.used_rooms.add(line[len("An ordinary door; the "):].split(" looks used")[0])
        self.body_seen = any(line.startswith("The body of ") for line in lines)
        self.trace_seen = self.initials is not None

    def short(self, full: str) -> str:
        title, _, surname = full.split(" ", 2)
        return f"{title} {surname.split()[-1]}"

    def candidates(self) -> list[str]:
        if self.initials is None:
            return []
        return [s for s in self.suspects if (s.split()[1][0], s.split()[-1][0]) == self.initials]


def expert_command(r: Reading) -> str:
    if r.crime_room is None:
        return "look"
    if not (r.body_seen and r.trace_seen):
        if r.location != r.crime_room:
            return f"go to the {r.crime_room}"
        if not r.body_seen:
            return "examine the body"
        item = next((o for o in r.objects if o in TRACE_ITEMS), None)
        return f"examine the {item}" if item else "look"
    candidates = r.candidates()
    unasked = [c for c in candidates if r.short(c) not in r.claims]
    if unasked:
        if r.location != DRAWING_ROOM:
            return f"go to the {DRAWING_ROOM}"
        return f"ask {r.short(unasked[0])} where were you at nine?"
    rooms = {c: r.claims[r.short(c)][0] for c in candidates}
    liar = next((c for c in candidates if rooms[c] in r.empty_rooms), None)
    if liar is not None:
        return f"accuse {liar}"
    unchecked = [c for c in candidates if rooms[c] not in r.used_rooms]
    if not unchecked:
        return f"accuse {candidates[0]}"  # not in a generated case: every claimed room was used
    if r.location != rooms[unchecked[0]]:
        return f"go to the {rooms[unchecked[0]]}"
    return "examine the door"


class ExpertPolicy:
    def __init__(self, seed: int | None = None) -> None:
        pass

    def act(self, observations: Sequence[str]) -> list[str]:
        return [expert_command(Reading(o)) for o in observations]


def random_command(r: Reading, rng: np.random.Generator, accuse_prob: float) -> str:
    roll = rng.random()
    if roll < accuse_prob and r.suspects:
        return f"accuse {r.suspects[int(rng.integers(len(r.suspects)))]}"
    roll = rng.random()
    if roll < 0.35 and r.rooms:
        return f"go to the {r.rooms[int(rng.integers(len(r.rooms)))]}"
    if roll < 0.7 and r.objects:
        return f"examine the {r.objects[int(rng.integers(len(r.objects)))]}"
    if roll < 0.95 and r.suspects:
        who = r.short(r.suspects[int(rng.integers(len(r.suspects)))])
        return f"ask {who} {QUESTIONS[int(rng.integers(len(QUESTIONS)))]}"
    return "look"


class NoisyPolicy:
    def __init__(self, seed: int | None = 0, expert_prob: float = 0.3, accuse_prob: float = 0.02) -> None:
        self.rng = np.random.default_rng(seed)
        self.expert_prob = expert_prob
        self.accuse_prob = accuse_prob

    def act(self, observations: Sequence[str]) -> list[str]:
        out = []
        for o in observations:
            r = Reading(o)
            if self.rng.random() < self.expert_prob:
                out.append(expert_command(r))
            else:
                out.append(random_command(r, self.rng, self.accuse_prob))
        return out


class RandomPolicy:
    def __init__(self, seed: int | None = 0, accuse_prob: float = 0.03) -> None:
        self.rng = np.random.default_rng(seed)
        self.accuse_prob = accuse_prob

    def act(self, observations: Sequence[str]) -> list[str]:
        return [random_command(Reading(o), self.rng, self.accuse_prob) for o in observations]


POLICIES = {"expert": ExpertPolicy, "noisy": NoisyPolicy, "random": RandomPolicy}
