"""Models of careloop.audit."""
