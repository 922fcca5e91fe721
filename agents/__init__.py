"""archer-gym agents (see the README; filled in by later issues)."""
