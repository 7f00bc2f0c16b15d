"""Models of careloop.checkups."""
