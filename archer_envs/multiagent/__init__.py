"""Two-role versions of the question games in PettingZoo's style: ``asker`` and ``answerer`` are both agents.

    from archer_envs.multiagent import guess_my_city_v0, twenty_questions_v0

    env = twenty_questions_v0.env()           # AEC;  twenty_questions_v0.parallel_env() for Parallel
    env.reset(seed=0)
    for agent in env.agent_iter():
        observation, reward, terminated, truncated, info = env.last()
        env.step(None if terminated or truncated else my_agents[agent].act([observation])[0])

See :mod:`archer_envs.multiagent.two_role` for observations, rewards and the turn protocol, and
:func:`play_match` to pit any two agents against each other.
"""

from archer_envs import ENVS
from archer_envs.multiagent import guess_my_city_v0, twenty_questions_v0
from archer_envs.multiagent.match import MatchResult, OracleAnswerer, oracle_answerer, play_match, play_matches
from archer_envs.multiagent.two_role import AGENTS, ANSWERER, ASKER, TwoRoleQuestionEnv, TwoRoleQuestionParallelEnv

# The single-agent env each two-role game extends, as the envs' descriptors declare it.
TWO_ROLE = {env_id: d.two_role_module() for env_id, d in ENVS.items() if d.two_role is not None}

__all__ = ["AGENTS", "ANSWERER", "ASKER", "MatchResult", "OracleAnswerer", "TWO_ROLE", "TwoRoleQuestionEnv",
           "TwoRoleQuestionParallelEnv", "guess_my_city_v0", "oracle_answerer", "play_match", "play_matches",
           "twenty_questions_v0"]
