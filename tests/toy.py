"""A two-step text env with a delayed reward, for testing that learning algorithms learn.

    Turn 1  "Pick a door: red or blue?"   the agent names a door; reward 0.
    Turn 2  "You opened the <door> door. Say go."   any reply; reward 1 if the door was red, else 0;
            the episode terminates.

With discount γ the true values are Q(s0, red) = γ, Q(s0, blue) = 0 (any other reply counts as
blue), V(s1 | red) = Q(s1 | red, ·) = 1, V(s1 | blue) = 0 and V(s0) = γ·π(red | s0): the reward of
the first choice only arrives one turn later, so credit must flow back through the critic.
Registered as ``archer-test/TwoStep-v0`` by :func:`register` (not among the ``archer/*`` envs).
"""

from __future__ import annotations

import gymnasium as gym

from archer_envs.spaces import text_space

ENV_ID = "archer-test/TwoStep-v0"
START = "Pick a door: red or blue?\n"
GOOD, BAD = "red", "blue"


def after(door: str) -> str:
    return f"{START}{door}\nYou opened the {door} door. Say go.\n"


class TwoStepEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self) -> None:
        self.observation_space = text_space(256)
        self.action_space = text_space(64)
        self._door: str | None = None
        self._turn = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._door, self._turn = None, 0
        return START, {}

    def step(self, action: str):
        if self._turn == 0:
            self._door = GOOD if action.strip().lower() == GOOD else BAD
            self._turn = 1
            return after(self._door), 0.0, False, False, {}
        if self._turn != 1:
            raise RuntimeError("step() called after the episode ended: call reset()")
        self._turn = 2
        won = self._door == GOOD
        return after(self._door) + "go\n", float(won), True, False, {"success": won}


def register() -> str:
    if ENV_ID not in gym.registry:
        gym.register(ENV_ID, entry_point=TwoStepEnv)
    return ENV_ID


def cloned_policy(seed: int = 0, steps: int = 150):
    """A tiny LM behaviour-cloned on the toy's utterances: 'red' or 'blue' about half and half at the
    first turn, then 'go'. The starting policy of the learning tests."""
    import torch

    from archer_gym.agents.lm_policy import LMPolicy

    texts = [START, after("red"), after("blue"), "red\n", "blue\n", "go\n"] * 5
    policy = LMPolicy.offline_default(texts, seed=seed, n_layer=1, n_embd=32, n_head=2, vocab_size=300,
                                      max_new_tokens=4)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(policy.parameters(), 3e-3)
    pairs = [(START, "red"), (START, "blue"), (after("red"), "go"), (after("blue"), "go")]
    for _ in range(steps):
        loss = -policy.log_probs([o for o, _ in pairs], [a for _, a in pairs]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    policy.model.eval()
    return policy


def p_good(policy) -> float:
    """π(red | start): the probability of the better first utterance."""
    import torch

    with torch.no_grad():
        return float(policy.log_probs([START], [GOOD]).exp())
