"""Models of careloop.workdays."""
