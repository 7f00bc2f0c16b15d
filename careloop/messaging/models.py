"""Models of careloop.messaging."""
