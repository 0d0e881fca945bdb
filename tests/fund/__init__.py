"""Grant fund tests (issue 5)."""
