"""Models of careloop.assessments."""
