"""archer-gym's command line: ``archer`` (:mod:`archer_gym.cli`). The library is in ``archer_envs``
(environments, the benchmark protocol), ``agents`` (policies and algorithms), ``baselines``
(comparisons) and ``leaderboard``."""
