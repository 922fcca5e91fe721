"""archer-gym leaderboard (see the README; filled in by later issues)."""
