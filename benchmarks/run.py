"""``python -m benchmarks.run``: start the emulator in its own process, run every benchmark, print
each result and write ``benchmarks/RESULTS.md``.

``--only 1,3`` runs some of them; ``--quick`` shrinks the data (for trying the harness, not for
numbers); ``--no-write`` leaves RESULTS.md alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import traceback
from collections.abc import Callable

from benchmarks import (
    aggregates,
    bi_session,
    decode,
    first_row,
    memory,
    pushdown_overhead,
    reflection,
    rest_scan,
    sandbox,
    sqlite_path,
)
from benchmarks.common import ROOT, EmulatorProcess, Env, Result, machine_facts

__all__ = ["main"]

BENCHMARKS: dict[int, Callable[[Env], Result]] = {
    1: rest_scan.run,
    2: aggregates.run,
    3: memory.run,
    4: reflection.run,
    5: sqlite_path.run,
    6: decode.run,
    7: sandbox.run,
    8: bi_session.run,
    9: pushdown_overhead.run,
    10: first_row.run,
}
TITLES = {
    1: "REST scan",
    2: "Aggregates",
    3: "Memory",
    4: "Reflection",
    5: "Client work: rest route and SQLite path",
    6: "Client CPU per row",
    7: "Sandbox cost",
    8: "BI session cost",
    9: "Pushdown overhead",
    10: "First-row latency",
}


def _load() -> str:
    """The 1-minute load average against the cores: other processes on a shared machine slow
    both sides of every ratio, but not always equally."""
    try:
        return f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    except OSError:
        return "unknown"


def _markdown(
    results: list[Result], facts: dict[str, str], seconds: float, env: Env, loads: list[str]
) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.run`). Every ratio compares two numbers "
        "measured in the same run on the same machine; the emulator runs in a separate process "
        "with its rate limits lifted (request counts are reported instead).",
        "",
        f"- run: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}, {seconds / 60:.1f} min",
        f"- data: {env.events:,} demo events, {env.scan_rows:,} annotations, "
        f"{env.sqlite_rows:,} actions; best of {env.repeat} where repeated",
    ]
    lines += [f"- {name}: {value}" for name, value in facts.items()]
    lines.append(f"- load average (1 min) at the start and end: {loads[0]}; {loads[-1]}")
    lines += ["", "| # | benchmark | target | result | met |", "|---|---|---|---|---|"]
    for r in results:
        met = {True: "yes", False: "**no**", None: "n/a"}[r.met]
        lines.append(f"| {r.number} | {r.title} | {r.target} | {r.headline} | {met} |")
    for r in results:
        lines += ["", f"## {r.number}. {TITLES.get(r.number, r.title)}", "", r.title, ""]
        lines += ["| measurement | value |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in r.rows]
        if r.notes:
            lines.append("")
            lines += [f"- {note}" for note in r.notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run")
    parser.add_argument("--only", default="", help="comma-separated benchmark numbers")
    parser.add_argument("--quick", action="store_true", help="small data, one repeat")
    parser.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args(argv)
    chosen = [int(n) for n in args.only.split(",") if n.strip()] or sorted(BENCHMARKS)
    events, scan_rows, sqlite_rows, repeat = 1_000_000, 50_000, 100_000, 3
    if args.quick:
        events, scan_rows, sqlite_rows, repeat = 50_000, 5_000, 10_000, 1

    facts = machine_facts()
    loads = [_load()]
    for name, value in facts.items():
        print(f"{name}: {value}")
    started = time.perf_counter()
    print(f"starting the emulator ({events:,} events) ...", flush=True)
    # The demo already holds a few rows of each; the bulk rows bring the tables to size.
    with EmulatorProcess(
        events=events, rows={"annotations": scan_rows, "actions": sqlite_rows}
    ) as emulator:
        env = Env(emulator, events, scan_rows, sqlite_rows, repeat)
        print(f"emulator ready at {emulator.url} after {time.perf_counter() - started:.0f} s")
        results: list[Result] = []
        failed = False
        for number in chosen:
            begun = time.perf_counter()
            try:
                result = BENCHMARKS[number](env)
            except Exception:
                failed = True
                print(f"[{number}] failed:\n{traceback.format_exc()}", file=sys.stderr)
                continue
            results.append(result)
            print(result.text())
            print(f"    ({time.perf_counter() - begun:.0f} s)", flush=True)
    seconds = time.perf_counter() - started
    loads.append(_load())
    print(f"all done in {seconds / 60:.1f} min; load average {loads[0]} -> {loads[-1]}")
    if not args.no_write and not args.quick:
        path = ROOT / "benchmarks" / "RESULTS.md"
        path.write_text(_markdown(results, facts, seconds, env, loads))
        print(f"wrote {path.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
