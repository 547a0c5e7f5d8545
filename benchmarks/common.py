"""Shared benchmark plumbing: the emulator subprocess, timing, results, the machine's facts.

A benchmark is a function ``run(env) -> Result``. Every number in a ``Result`` is measured in the
same run as the baseline it is compared with; the runner prints each result and writes them all
to ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import requests

__all__ = [
    "ROOT",
    "Best",
    "EmulatorProcess",
    "Env",
    "Result",
    "best_of",
    "best_of_each",
    "commit",
    "machine_facts",
    "peak_rss_mb",
    "rss_mb",
]

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "phx_demo"
PROJECT_ID = 1


@dataclass
class Result:
    """One benchmark's outcome: its measurements, its target, and whether the target was met."""

    number: int
    title: str
    target: str
    met: bool | None
    headline: str
    """The ratio or figure the target is about, in a few words."""
    rows: list[tuple[str, str]] = field(default_factory=list)
    """(what was measured, the measurement) in the order they should be read."""
    notes: list[str] = field(default_factory=list)
    """What limits the number, when the target is missed, and anything a reader must know."""

    def add(self, name: str, value: str) -> None:
        self.rows.append((name, value))

    def text(self) -> str:
        status = {True: "MET", False: "NOT MET", None: "n/a"}[self.met]
        lines = [f"[{self.number}] {self.title}: {self.headline} ({status}; target: {self.target})"]
        width = max((len(n) for n, _ in self.rows), default=0)
        lines += [f"    {n.ljust(width)}  {v}" for n, v in self.rows]
        lines += [f"    note: {n}" for n in self.notes]
        return "\n".join(lines)


class EmulatorProcess:
    """``python -m benchmarks.emulator`` in a subprocess, with its request counter."""

    def __init__(self, *, events: int, rows: dict[str, int], timeout: float = 300.0) -> None:
        command = [sys.executable, "-m", "benchmarks.emulator", "--port", "0"]
        command += ["--events", str(events)]
        for name, count in rows.items():
            command += ["--rows", f"{name}={count}"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("ready ") or not line:
                break
        if not line.startswith("ready "):
            self.stop()
            raise RuntimeError(f"the benchmark emulator did not start: {line!r}")
        self.url = line.split(" ", 1)[1].strip()
        self.api_key = API_KEY
        self.project_id = PROJECT_ID
        self._session = requests.Session()

    def reset_counts(self) -> None:
        self._session.post(self.url + "/_bench/reset", timeout=10)

    def counts(self) -> dict[str, int]:
        body: dict[str, int] = self._session.get(self.url + "/_bench/requests", timeout=10).json()
        return body

    def seconds(self) -> dict[str, float]:
        """The server's seconds on the requests counted since the last reset, by kind."""
        body: dict[str, float] = self._session.get(self.url + "/_bench/seconds", timeout=10).json()
        return body

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Env:
    """What a benchmark gets: the emulator and the sizes of this run."""

    emulator: EmulatorProcess
    events: int
    scan_rows: int
    """Rows of ``annotations`` (benchmark 1)."""
    sqlite_rows: int
    """Rows of ``actions`` (benchmark 5)."""
    repeat: int = 3

    def connect(self, **options: Any) -> Any:
        """A connection to the emulator. The answer cache is off unless asked for: a timing
        must send its queries, not read the answers of its own earlier repeats. The request
        guard is off: a fallback over 1,000,000 events needs more than its default 10."""
        import posthog_dbapi

        if "driver" not in options:  # a given driver carries its own cache setting
            options.setdefault("query_cache_ttl", 0)
        # The max_queries guard protects a user's hourly quota; the emulator's rate limits are
        # lifted here and the benchmarks report the requests they send instead.
        options.setdefault("max_queries", 0)
        return posthog_dbapi.connect(
            self.emulator.url, self.emulator.api_key, self.emulator.project_id, **options
        )

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.emulator.api_key}"}

    def api(self, path: str) -> str:
        return f"{self.emulator.url}/api/projects/{self.emulator.project_id}/{path}"


def best_of(
    repeat: int, run: Callable[[], Any], *, clock: Callable[[], float] = time.perf_counter
) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs of ``run`` by ``clock`` (wall time unless told) and its
    last result.

    The minimum is the run least disturbed by the other work on a shared machine. With
    ``clock=time.process_time`` it is this process's CPU time: on a machine whose other work
    leaves this process a fraction of a core, the client's own work, not its wait for a turn.
    """
    best = float("inf")
    result: Any = None
    for _ in range(max(1, repeat)):
        start = clock()
        result = run()
        best = min(best, clock() - start)
    return best, result


@dataclass
class Best:
    """The fastest of several runs: by wall clock, by this process's CPU time (each run's own
    minimum), and the last run's result."""

    seconds: float
    cpu_seconds: float
    value: Any


def best_of_each(
    repeat: int,
    runs: dict[str, Callable[[], Any]],
    *,
    between: Callable[[str], None] | None = None,
) -> dict[str, Best]:
    """``best_of`` for runs compared with each other, taken in turns: each round runs every
    one of them once, in the given order. One after the other (every repeat of the first, then
    of the second), a change in the machine's other work between the two blocks shows up as a
    difference between them; in turns, each round meets the same conditions. The CPU time is
    the process's (every thread's), not slowed by other processes' turns on the cores.
    ``between(name)``, when given, runs after each run of ``name``, off the clock."""
    best = {name: Best(float("inf"), float("inf"), None) for name in runs}
    for _ in range(max(1, repeat)):
        for name, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            value = run()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            entry = best[name]
            entry.seconds = min(entry.seconds, wall)
            entry.cpu_seconds = min(entry.cpu_seconds, cpu)
            entry.value = value
            if between is not None:
                between(name)
    return best


def _status_kb(name: str) -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(name + ":"):
                return float(line.split()[1])
    return 0.0


def rss_mb() -> float:
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    return _status_kb("VmHWM") / 1024


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return head + (" (with uncommitted changes)" if dirty else "")


def machine_facts() -> dict[str, str]:
    versions = []
    for name in ("requests", "shillelagh", "apsw", "sqlglot", "SQLAlchemy", "werkzeug", "chdb"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} missing")
    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _memory(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": ", ".join(versions),
        "commit": commit(),
    }


def child_json(module: str, *args: str, timeout: float = 600.0) -> dict[str, Any]:
    """Run ``python -m module args`` in a fresh interpreter; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed: {done.stderr.strip()[-2000:]}")
    parsed: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed
