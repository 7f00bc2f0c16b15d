"""Models of careloop.clients."""
