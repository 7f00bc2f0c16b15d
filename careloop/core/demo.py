"""Demo data: ``careloop demo`` (a realistic small world) and ``careloop demo --clients N`` (a large one).

Other apps add their own demo data by appending a callable to ``extensions`` (in their
``AppConfig.ready()``); ``careloop demo`` calls each once, after the organisation, staff and clients
exist, with the list of demo clients, the seeded random generator and the command's stdout::

    from careloop.core import demo

    def add_checkups(clients, rng, stdout):
        ...

    demo.extensions.append(add_checkups)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Protocol


class Output(Protocol):
    """Where demo loaders report progress: a command's stdout, a StringIO, a file."""

    def write(self, msg: str, /) -> Any: ...


DemoExtension = Callable[[list[Any], random.Random, Output], None]

extensions: list[DemoExtension] = []
