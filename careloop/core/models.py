"""Models of careloop.core."""
