"""archer-gym baselines (see docs/agents.md, "Baselines"; filled in by later issues)."""
