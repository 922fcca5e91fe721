"""Detective: generated murder mysteries, suspects as an oracle, scripted players."""

from archer_envs.detective.case import Case, Clue, Suspect, deduce, generate_case
from archer_envs.detective.env import REWARDS, DetectiveEnv
from archer_envs.detective.suspects import DETECTIVE_TASK, SuspectKnowledgeOracle, guard

__all__ = [
    "DETECTIVE_TASK", "REWARDS", "Case", "Clue", "DetectiveEnv", "Suspect", "SuspectKnowledgeOracle",
    "deduce", "generate_case", "guard",
]
