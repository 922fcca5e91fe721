"""One descriptor per environment: every fact about an env id that code outside the env needs, declared once.

Each env package declares its :class:`EnvDescriptor` (``archer_envs/twenty_questions/descriptor.py``, ...)
and ``archer_envs/__init__.py`` collects them in ``archer_envs.ENVS`` and registers them with Gymnasium.
Everything that used to switch on env-id strings reads the descriptor instead: the scripted players and
secret lists (:mod:`archer_envs.scripted`), the evaluation protocols (:mod:`archer_envs.protocols`), the
discount, the chat agent's prompt, the two-role games and the leaderboard's fresh seeds. Adding an env
means writing one descriptor.

Why not Gymnasium's ``EnvSpec``: that is what ``gym.register`` builds from our entry points and kwargs
(``gym.spec(env_id)`` returns it); the benchmark's facts (secret lists, scripted players, the discount of
ArCHer's hyperparameter table, ...) have no field there, and a name of our own keeps the two apart.

Torch-free and cheap to import: anything heavy (word lists, catalogues, policies) is loaded by the
callables when called, never at declaration.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Mapping, Sequence

import gymnasium as gym

SCRIPTED = ("expert", "noisy", "random")
# ArCHer's hyperparameter table: 0.95 for the question games; envs with longer horizons declare their own.
DEFAULT_GAMMA = 0.95


@dataclass(frozen=True)
class AgentPrompt:
    """What a prompted chat model is told: ``system`` sets the game, ``cue`` follows each observation."""

    system: str
    cue: str


# For an env that declares no prompt of its own, and for chat agents given no env id.
GENERIC_PROMPT = AgentPrompt(
    "You are playing a multi-turn text game. Read the observation and reply with your next action "
    "only, on one line.",
    "Your next action:",
)

# (split, env kwargs or None) -> every secret of the split, in the data file's order
SecretsFn = Callable[[str, "Mapping[str, Any] | None"], Sequence]
# (policy name in SCRIPTED, seed) -> an agent with act(observations) -> actions
ScriptedFn = Callable[[str, "int | None"], Any]


def scripted_from(module: str, **policy_kwargs) -> ScriptedFn:
    """A ``scripted`` callable that builds ``module.POLICIES[name](seed=seed, **policy_kwargs)``, importing
    the module only when a player is asked for (the descriptor stays cheap to import)."""

    def build(name: str, seed: int | None):
        return importlib.import_module(module).POLICIES[name](seed=seed, **policy_kwargs)

    return build


@dataclass(frozen=True)
class EnvDescriptor:
    """Everything the harness, the agents and the leaderboard need to know about one env id."""

    id: str  # "archer/TwentyQuestions-v0"
    entry_point: str  # "module:Class" of the single env
    description: str  # one line, for `archer envs` and docs/environments.md
    vector_entry_point: str | None = None  # "module:Class" of the batched env (one oracle call per step)
    kwargs: Mapping[str, Any] = field(default_factory=dict)  # fixed constructor kwargs of this id
    secrets: SecretsFn | None = None  # the split's secret list; None: no list (see split_secrets)
    scripted: ScriptedFn | None = None  # builds the scripted players; None: the env has none
    prompt: AgentPrompt = GENERIC_PROMPT  # the chat agent's system prompt and cue
    gamma: float = DEFAULT_GAMMA  # discount (ArCHer's hyperparameter table)
    paper_split_all: bool = False  # the paper protocol trains and evaluates on split "all" (else train/test)
    held_out: bool = True  # False: one fixed game, no held-out secrets (no generalisation protocol)
    two_role: str | None = None  # module of the PettingZoo two-role version (archer_envs.multiagent.*_v0)
    # Secrets that are generating seeds: a range no split uses, for episodes no client can precompute.
    fresh_seeds: tuple[int, int] | None = None

    def split_secrets(self, split: str, env_kwargs: Mapping[str, Any] | None = None) -> list:
        """Every secret of ``split``, in the data file's order. ``env_kwargs`` are the kwargs the env is
        made with; only those that change the secret set matter (WebShop's catalogue)."""
        if self.secrets is None:
            raise ValueError(f"{self.id} has no list of secrets to evaluate on (its descriptor declares none)")
        return list(self.secrets(split, env_kwargs))

    @property
    def has_scripted_policies(self) -> bool:
        return self.scripted is not None

    def scripted_policy(self, name: str, seed: int | None = 0):
        """The scripted player ``name`` (``expert``, ``noisy`` for behaviour data, ``random``)."""
        if name not in SCRIPTED:
            raise ValueError(f"unknown scripted policy {name!r}: expected one of {', '.join(SCRIPTED)}")
        if self.scripted is None:
            raise ValueError(f"no scripted policies for {self.id!r} yet")
        return self.scripted(name, seed)

    def two_role_module(self) -> ModuleType:
        """The two-role module (``env()``, ``parallel_env()``, ``GAME``); needs the ``pettingzoo`` extra."""
        if self.two_role is None:
            raise ValueError(f"{self.id} has no two-role version")
        return importlib.import_module(self.two_role)

    def register(self) -> None:
        """Register this id with Gymnasium (once: a second call leaves the first registration)."""
        if self.id not in gym.registry:
            gym.register(id=self.id, entry_point=self.entry_point, vector_entry_point=self.vector_entry_point,
                         kwargs=dict(self.kwargs))


__all__ = ["DEFAULT_GAMMA", "GENERIC_PROMPT", "SCRIPTED", "AgentPrompt", "EnvDescriptor", "scripted_from"]
