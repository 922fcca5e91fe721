"""Ranking the submissions of one env and one track: verified results first, then by mean return.

The two tracks are ranked apart, never together: ``online`` (played on the server, which held the
secrets) and ``offline`` (self-reported results, replay-checked). Order within a track (ties broken
left to right): verified before unverified (an unverified result could not be replayed, so its
numbers are the submitter's word), the default oracle before a non-default oracle setting, higher
mean return, higher success rate, fewer mean turns, earlier submission. The numbers ranked are the
ones the server recomputed from the episode records, never the submitted summary's.
"""

from __future__ import annotations

from typing import Any


def rank_key(entry: dict[str, Any]) -> tuple:
    return (entry["status"] != "verified", bool(entry.get("oracle")), -entry["mean_return"], -entry["success_rate"],
            entry["mean_turns"], entry["id"])


def rank(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries of one env in leaderboard order, each a copy with its 1-based ``rank``."""
    envs = {e["env_id"] for e in entries}
    if len(envs) > 1:
        raise ValueError(f"rank() orders the entries of one env, got {sorted(envs)}")
    tracks = {e.get("track", "offline") for e in entries}
    if len(tracks) > 1:
        raise ValueError(f"rank() orders the entries of one track, got {sorted(tracks)}")
    return [{**e, "rank": i} for i, e in enumerate(sorted(entries, key=rank_key), start=1)]
