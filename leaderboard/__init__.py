"""archer-gym leaderboard (see docs/leaderboard.md; filled in by later issues)."""
