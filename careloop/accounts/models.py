"""Models of careloop.accounts."""
