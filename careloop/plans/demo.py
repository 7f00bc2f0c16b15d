"""Demo data of careloop.plans (filled in below)."""


def generate(clients, rng, stdout) -> None:  # type: ignore[no-untyped-def]
    return None
