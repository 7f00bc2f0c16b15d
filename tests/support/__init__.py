"""Test machinery that never ships: the fake SMS gateway and the outbox crash harness (bench/messaging_crash.py)."""
