"""Models of careloop.org."""
