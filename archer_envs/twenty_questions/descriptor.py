"""Twenty Questions as the benchmark knows it: the full game over 158 objects and ArCHer's 10-word Subset."""

from __future__ import annotations

from archer_envs.descriptor import AgentPrompt, EnvDescriptor, scripted_from

PROMPT = AgentPrompt(
    "You are playing Twenty Questions. I am thinking of an object; find it by asking yes/no "
    "questions, one question per turn. The observation lists your questions so far with my answers. "
    "When you are confident, guess with 'Is it a ...?'. Reply with your next question only, on one line.",
    "Your next question:",
)


def _secrets(subset: bool):
    def secrets(split: str, env_kwargs=None) -> list:
        from archer_envs.twenty_questions.env import TwentyQuestionsGame
        from archer_envs.twenty_questions.words import PAPER_SUBSET

        return list(TwentyQuestionsGame(PAPER_SUBSET if subset else None).secrets(split))

    return secrets


def _subset_scripted(name: str, seed: int | None):
    from archer_envs.twenty_questions.policies import POLICIES
    from archer_envs.twenty_questions.words import PAPER_SUBSET

    if name == "expert":  # the expert plays the game's own secret set: the 10 words
        return POLICIES[name](seed=seed, secrets=PAPER_SUBSET)
    return POLICIES[name](seed=seed)


TWENTY_QUESTIONS = EnvDescriptor(
    id="archer/TwentyQuestions-v0",
    entry_point="archer_envs.twenty_questions.env:TwentyQuestionsEnv",
    vector_entry_point="archer_envs.twenty_questions.env:TwentyQuestionsVectorEnv",
    description="Twenty Questions over LMRL-Gym's 158 objects; reward -1 per question, 0 on the correct guess, "
    "20 turns.",
    secrets=_secrets(subset=False),
    scripted=scripted_from("archer_envs.twenty_questions.policies"),
    prompt=PROMPT,
    paper_split_all=True,  # ArCHer's code trains and evaluates on every word
    two_role="archer_envs.multiagent.twenty_questions_v0",
)

TWENTY_QUESTIONS_SUBSET = EnvDescriptor(
    id="archer/TwentyQuestionsSubset-v0",
    entry_point="archer_envs.twenty_questions.env:TwentyQuestionsEnv",
    vector_entry_point="archer_envs.twenty_questions.env:TwentyQuestionsVectorEnv",
    kwargs={"subset": True},
    description="Twenty Questions on ArCHer's 10-word subset (football, dog, banana, truck, pants, computer, "
    "piano, chair, pen, scissors); every split is those 10 words.",
    secrets=_secrets(subset=True),
    scripted=_subset_scripted,
    prompt=PROMPT,
    paper_split_all=True,
)

DESCRIPTORS = (TWENTY_QUESTIONS, TWENTY_QUESTIONS_SUBSET)
