"""Detective: solve a country-house murder by searching rooms and questioning suspects.

Each episode is a case generated from a seed (see :mod:`archer_envs.detective.case`). Commands, in
free text:

    go to the library          move to a room (any room, from anywhere; one step)
    look                       describe the current room
    examine the desk           examine something in the room (clues are found this way)
    ask Mrs Hale where she was at nine      question a suspect (they wait in the drawing room)
    accuse the gardener        accuse a suspect: ends the episode

Anything else costs a step and gets "I don't understand that."

Reward table (``REWARDS``):

    first examination of each essential clue (body, trace, alibi)   +0.1
    accusing the culprit (ends the episode, success)                +1.0
    accusing an innocent (ends the episode)                         -1.0
    anything else                                                    0.0

Truncation after 50 steps (ArCHer capped Jericho's detective at 50). Observation: the case briefing,
then the most recent turns (``> command`` and the response) that fit, then the current location's
description; at most ``MAX_OBSERVATION_CHARS`` characters (older turns are dropped first).
``info``: ``response``, ``valid`` (the command was understood), ``location``, ``clues_found``
(essential clue ids so far), ``success``, ``turn``, and once the episode has ended ``culprit``.

Splits by seed range: train cases are seeds [0, 1,000,000), test cases [1,000,000, 1,010,000).
Reset options: ``split`` ("train" default, "test"), ``case`` (force a case seed, any int >= 0).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import gymnasium as gym

from archer_envs.arguments import ResetOption, check_render_mode, positive_int, reset_options
from archer_envs.detective.case import DRAWING_ROOM, HALL, TIME, Case
from archer_envs.detective.suspects import (
    DETECTIVE_TASK,
    SuspectKnowledgeOracle,
    cached_case,
    encode_secret,
    guard,
    suspect_index,
)
from archer_envs.oracles import Oracle, make_oracle
from archer_envs.questions import NameIndex, normalize
from archer_envs.spaces import action_space, text_space
from archer_envs.text import sanitize

REWARDS = {"essential_clue": 0.1, "correct_accusation": 1.0, "wrong_accusation": -1.0}
MAX_STEPS = 50
MAX_OBSERVATION_CHARS = 4096
MAX_COMMAND_CHARS = 300
SPLITS = {"train": (0, 1_000_000), "test": (1_000_000, 1_010_000)}
RESET_OPTIONS = {"split": ResetOption(str, choices=tuple(SPLITS)), "case": ResetOption(int, nullable=True)}
NOT_UNDERSTOOD = ("I don't understand that. Try: go to <room>, look, examine <thing>, ask <suspect> <question>, "
                  "accuse <suspect>.")

_MOVE = re.compile(r"^(?:go|walk|move|run|head|enter|return|proceed|visit|goto)\b(?:\s+(?:back|over))?"
                   r"(?:\s+(?:to|into|in|towards))?\s+")
_LOOK = re.compile(r"^(?:look|l|look around|describe|where am i)$")
_EXAMINE = re.compile(r"^(?:examine|inspect|search|x|check|read|study|investigate|look at|look in|look under"
                      r"|look behind|open|search the|check out)\s+")
_ASK = re.compile(r"^(?:ask|question|interrogate|interview|talk to|speak to|speak with|talk with|say to)\s+")
_ACCUSE = re.compile(r"^(?:i\s+)?(?:accuse|arrest|charge|blame)\s+")


@lru_cache(maxsize=256)
def room_index(seed: int) -> NameIndex:
    return NameIndex({r: r for r in cached_case(seed).rooms})


def briefing(case: Case) -> str:
    people = "; ".join(f"{s.name} (the {s.role})" for s in case.suspects)
    return (
        f"You are the detective. {case.victim} was found dead in the {case.crime_room} at {TIME} tonight. "
        f"The suspects wait in the {DRAWING_ROOM}: {people}. Rooms: {', '.join(case.rooms)}.\n"
    )


def describe(case: Case, room: str) -> str:
    text = f"You are in the {room}. You see: {', '.join(case.objects(room))}."
    if room == DRAWING_ROOM:
        text += " The suspects are here: " + ", ".join(s.short for s in case.suspects) + "."
    return text


class DetectiveEnv(gym.Env[str, str]):
    metadata = {"render_modes": ["ansi"], "render_fps": 1}
    secret_option = "case"

    def __init__(
        self,
        oracle: str | Oracle = "knowledge",
        oracle_kwargs: dict[str, Any] | None = None,
        render_mode: str | None = None,
        max_steps: int = MAX_STEPS,
    ) -> None:
        self.render_mode = check_render_mode(render_mode)
        self.max_steps = positive_int("max_steps", max_steps)
        self.oracle = make_oracle(oracle, knowledge=SuspectKnowledgeOracle, task=DETECTIVE_TASK,
                                  oracle_kwargs=oracle_kwargs)
        self.observation_space = text_space(MAX_OBSERVATION_CHARS)
        self.action_space = action_space(MAX_COMMAND_CHARS)
        self.case: Case | None = None

    # --- episode state ------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        # Options first: a refused reset changes nothing.
        options = reset_options(options, RESET_OPTIONS)
        split = options.get("split", "train")
        forced = options.get("case")
        if forced is not None and forced < 0:
            raise ValueError(f"case must be a non-negative integer seed, got {forced!r}")
        super().reset(seed=seed)
        if forced is not None:
            case_seed = forced
        else:
            low, high = SPLITS[split]
            case_seed = int(self.np_random.integers(low, high))
        self.case = cached_case(case_seed)
        self.location = HALL
        self.turns: list[tuple[str, str]] = []
        self.clues_found: list[str] = []
        self.done = False
        return self._observation(), {"location": self.location, "turn": 0, "case": case_seed}

    def _observation(self) -> str:
        head = briefing(self.case)
        tail = "\n" + describe(self.case, self.location)
        budget = MAX_OBSERVATION_CHARS - len(head) - len(tail)
        body: list[str] = []
        for command, response in reversed(self.turns):
            turn = f"> {command}\n{response}\n"
            if len(turn) > budget:
                break
            body.append(turn)
            budget -= len(turn)
        return head + "".join(reversed(body)) + tail

    # --- commands -----------------------------------------------------------------------------------
    def step(self, action: str):
        if self.case is None:
            raise RuntimeError("call reset() before step()")
        if self.done:
            raise RuntimeError("this episode has ended: call reset() before step()")
        command = sanitize(action, MAX_COMMAND_CHARS)
        response, reward, terminated, valid, success = self._execute(command)
        response = sanitize(response, 600)
        self.turns.append((command, response))
        truncated = not terminated and len(self.turns) >= self.max_steps
        self.done = terminated or truncated
        info = {
            "response": response, "valid": valid, "location": self.location, "success": success,
            "clues_found": list(self.clues_found), "turn": len(self.turns),
        }
        if self.done:
            info["culprit"] = self.case.culprit
        return self._observation(), reward, terminated, truncated, info

    def _execute(self, command: str) -> tuple[str, float, bool, bool, bool]:
        """(response, reward, terminated, valid, success)"""
        case = self.case
        text = normalize(command)
        if not text:
            return NOT_UNDERSTOOD, 0.0, False, False, False
        if _LOOK.match(text):
            return describe(case, self.location), 0.0, False, True, False
        if m := _ACCUSE.match(text):
            named = suspect_index(case.seed).named(text[m.end():])
            if len(named) != 1:
                return "Accuse whom? Name one suspect.", 0.0, False, False, False
            if named[0] == case.culprit:
                return (f"You accuse {named[0]}. Confronted with the evidence, they confess. Case solved!",
                        REWARDS["correct_accusation"], True, True, True)
            return (f"You accuse {named[0]}, but they are innocent. The real murderer was {case.culprit}.",
                    REWARDS["wrong_accusation"], True, True, False)
        if m := _ASK.match(text):
            return self._ask(text[m.end():])
        if m := _EXAMINE.match(text):
            return self._examine(text[m.end():])
        rooms = room_index(case.seed).named(text)
        if rooms and (_MOVE.match(text) or text.removeprefix("the ") == rooms[0]):
            self.location = rooms[0]
            return describe(case, self.location), 0.0, False, True, False
        return NOT_UNDERSTOOD, 0.0, False, False, False

    def _examine(self, target: str) -> tuple[str, float, bool, bool, bool]:
        case = self.case
        objects = case.objects(self.location)
        words = set(target.split()) - {"the", "a", "an", "at", "on", "in", "under", "behind"}
        scored = [(len(words & set(normalize(o).split())), o) for o in objects]
        best, obj = max(scored, key=lambda x: x[0])
        if not words or best == 0:
            return f"You see no such thing here. You see: {', '.join(objects)}.", 0.0, False, False, False
        clue = next((c for c in case.clues if c.room == self.location and c.obj == obj), None)
        if clue is None:
            if obj == "door":
                return f"An ordinary door; the {self.location} looks used this evening.", 0.0, False, True, False
            return f"You examine the {obj}. Nothing of interest.", 0.0, False, True, False
        reward = 0.0
        if clue.essential and clue.id not in self.clues_found:
            self.clues_found.append(clue.id)
            reward = REWARDS["essential_clue"]
        return clue.text, reward, False, True, False

    def _ask(self, rest: str) -> tuple[str, float, bool, bool, bool]:
        case = self.case
        mentions = suspect_index(case.seed).mentions(rest)
        if not mentions:
            return "Ask whom? Name a suspect.", 0.0, False, False, False
        start, end, name = mentions[0]
        if self.location != DRAWING_ROOM:
            return (f"{case.suspect(name).short} is not here: the suspects are in the {DRAWING_ROOM}.",
                    0.0, False, True, False)
        question = rest[end:].strip()
        question = re.sub(r"^(about|whether|if)\s+", "", question)
        if not question:
            return f"What do you want to ask {case.suspect(name).short}?", 0.0, False, False, False
        (answer,) = self.oracle.answer([encode_secret(case.seed, name)], [question])
        answer = guard(case, case.suspect(name), answer)
        return f'{case.suspect(name).short}: "{answer}"', 0.0, False, True, False

    def render(self) -> str | None:
        if self.render_mode != "ansi" or self.case is None:
            return None
        return self._observation()

    def close(self) -> None:
        self.oracle.close()
