"""``careloop demo``: realistic demo data; ``--clients N`` adds a large set for benchmarks (idempotent)."""

from __future__ import annotations

import random
import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from careloop.ops.demo.base import STAFF, UNITS, demo_is_loaded, load_base
from careloop.ops.demo.bulk import load_bulk
from careloop.org.models import Role

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 (an alphabet)


def generate_password() -> str:
    """Four groups of four unambiguous letters and digits: about 92 bits, easy to type from a screen."""
    while True:
        groups = ["".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4)]
        password = "-".join(groups)
        if any(c.isdigit() for c in password) and any(c.isupper() for c in password):
            return password


class Command(BaseCommand):
    help = ("Load realistic demo data: organisation, one user per role (CONTRACT usernames), clients with "
            "families, enterprises and consents. Running it again changes nothing. --clients N makes sure at "
            "least N clients exist, bulk-loading the rest quickly for benchmarks.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=0, metavar="N",
                            help="make sure at least N clients exist, bulk-loading the missing ones")
        parser.add_argument("--base-clients", type=int, default=300, metavar="N",
                            help="clients created through the services in the realistic demo (default 300)")
        parser.add_argument("--seed", type=int, default=20261123, help="random seed (same seed, same people)")
        parser.add_argument("--batch-size", type=int, default=20_000, help="rows per insert batch in the bulk path")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clients"] < 0 or options["base_clients"] < 0 or options["batch_size"] < 1:
            raise CommandError("--clients and --base-clients must be 0 or more, --batch-size 1 or more")
        rng = random.Random(options["seed"])
        if demo_is_loaded():
            self.stdout.write("The demo data is already loaded; nothing changed.")
        else:
            self._load_base(options["base_clients"], rng)
        if options["clients"]:
            result = load_bulk(target=options["clients"], rng=rng, stdout=self.stdout,
                               batch_size=options["batch_size"])
            if result.loaded == 0:
                self.stdout.write(f"There are already at least {options['clients']:,} clients; nothing changed.")
            else:
                self.stdout.write(self.style.SUCCESS(
                    f"Bulk-loaded {result.loaded:,} clients, {result.consents:,} consents and {result.staff:,} "
                    f"staff in {result.seconds:,.1f} s ({result.rate:,.0f} clients/s); one summary audit row "
                    f"(demo.bulk_load)."
                ))

    def _load_base(self, n_clients: int, rng: random.Random) -> None:
        from_env = settings.DEMO_PASSWORD
        password = from_env or generate_password()
        world = load_base(n_clients=n_clients, password=password, rng=rng, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data loaded: {len(UNITS)} units, {len(world.staff)} staff, {len(world.teams)} teams, "
            f"{len(world.clients)} clients."
        ))
        self.stdout.write("Demo logins:")
        labels = dict(Role.choices)
        for spec in STAFF:
            user = world.staff[spec.username]
            roles = ", ".join(f"{r} ({labels[r]})" for r in spec.roles)
            self.stdout.write(f"  {spec.username:<13} {user.display_name:<4}  {world.units[spec.unit].name:<8}  {roles}")
        if from_env:
            self.stdout.write("Password: the value of CARELOOP_DEMO_PASSWORD.")
        else:
            self.stdout.write(f"Password (shown only now, write it down): {password}")
