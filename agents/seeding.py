"""One call that seeds every random number generator a training run touches.

    rng = seed_everything(0)   # Python's random, numpy's global RNG, torch (CPU and every CUDA device)

Environments are seeded separately, through ``reset(seed=...)`` (see :mod:`archer_gym.agents.rollout`), and the
replay buffer has its own Generator, so neither depends on the global state seeded here.
"""

from __future__ import annotations

import os
import random

import numpy as np


def seed_everything(seed: int, deterministic: bool = False) -> np.random.Generator:
    """Seed ``random``, ``numpy.random`` and ``torch`` (and ``torch.cuda`` when available); returns
    ``np.random.default_rng(seed)`` for code that takes an explicit Generator.

    ``deterministic=True`` also asks torch for deterministic kernels (cuDNN without autotuning,
    ``torch.use_deterministic_algorithms`` with warnings for ops that have none): slower on GPU, and
    needed only for bit-identical GPU reruns.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:
        return np.random.default_rng(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # required by deterministic cuBLAS
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=True)
    return np.random.default_rng(seed)
