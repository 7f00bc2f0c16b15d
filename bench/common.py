"""Small helpers shared by the benchmarks: timing, percentiles, tables, the machine they ran on."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stats:
    """Latencies of one measured operation, in milliseconds."""

    n: int
    p50: float
    p95: float
    p99: float
    mean: float
    max: float

    def as_dict(self) -> dict[str, float]:
        return {"n": self.n, "p50": self.p50, "p95": self.p95, "p99": self.p99, "mean": self.mean, "max": self.max}


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        raise ValueError("no samples")
    rank = (len(sorted_values) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def summarize(samples_ms: Iterable[float]) -> Stats:
    values = sorted(samples_ms)
    return Stats(n=len(values), p50=percentile(values, 50), p95=percentile(values, 95), p99=percentile(values, 99),
                 mean=statistics.fmean(values), max=values[-1])


def measure(operation: Callable[[Any], object], inputs: Sequence[Any], *, warmup: int = 10) -> Stats:
    """Call ``operation(x)`` for each input (after ``warmup`` untimed calls) and summarise the latencies."""
    for x in inputs[:warmup]:
        operation(x)
    samples = []
    clock = time.perf_counter
    for x in inputs:
        start = clock()
        operation(x)
        samples.append((clock() - start) * 1000)
    return summarize(samples)


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline > 0 else float("inf")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain fixed-width table; floats get two decimals, ints thousands separators."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    body = [[cell(v) for v in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in body)) if body else len(str(h)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in body]
    return "\n".join(out)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}"


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"
