"""The ``careloop`` console command: Django's management commands plus careloop's own."""

from __future__ import annotations

import os
import sys

# CONTRACT names some commands with hyphens; Django command modules cannot contain them.
ALIASES = {"import-results": "import_results"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    from careloop.lib.envsettings import SettingError

    try:
        execute_from_command_line(["careloop", *args])
    except SettingError as exc:
        sys.stderr.write(f"careloop: configuration refused: {exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
