"""Models of careloop.followups."""
