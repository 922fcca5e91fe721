"""archer-gym baselines (see the README; filled in by later issues)."""
