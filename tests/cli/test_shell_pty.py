"""The interactive shell driven through a pseudo-terminal, as a person at a keyboard would.

The shell runs as ``python -m posthog_dbapi`` on the child side of a pty (its controlling
terminal, so Ctrl-C typed as ``\\x03`` reaches it as SIGINT). The test types TAB for completion,
a statement over several lines, and Ctrl-C during a statement the emulator holds back.
"""

from __future__ import annotations

import os
import pty
import re
import select
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import posthog_dbapi

REPO = Path(__file__).resolve().parents[2]
# A safety net for a hung child, not a timing assertion.
WAIT = 30.0
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]")


class Terminal:
    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.seen = ""

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def expect(self, pattern: str, within: float = WAIT) -> re.Match[str]:
        """Read until ``pattern`` matches the output since the last match; return the match.
        Fails after ``within`` seconds, even while output keeps coming."""
        match = self.poll(pattern, within)
        if match is None:
            raise AssertionError(f"no {pattern!r} in output: {self.seen[-2000:]!r}")
        return match

    def poll(self, pattern: str, within: float) -> re.Match[str] | None:
        """Like ``expect``, but None when ``pattern`` has not shown within ``within`` seconds."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + within
        while True:
            match = regex.search(self.seen)
            if match:
                self.seen = self.seen[match.end() :]
                return match
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return None
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"shell exited before {pattern!r}: {self.seen[-2000:]!r}")
            self.seen += ANSI.sub("", chunk.decode(errors="replace")).replace("\r", "")

    def interrupt_at_prompt(self, prompt: str) -> None:
        """Ctrl-C while readline waits for input, until ``prompt`` shows. A SIGINT that lands
        before readline installed its handler, or after the prompt is printed but before its
        select() starts, is noticed late or not at all (seen on a loaded machine, never by a
        person typing); a person presses Ctrl-C again, and so does this, once a second, until
        the prompt comes back or ``WAIT`` runs out."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            self.send("\x03")
            if self.poll(prompt, min(1.0, max(0.0, deadline - time.monotonic()))):
                return
        raise AssertionError(f"Ctrl-C never gave back {prompt!r}: {self.seen[-2000:]!r}")

    def wait(self) -> int:
        """The shell's exit status; fails (and kills it) if it has not exited within ``WAIT``."""
        deadline = time.monotonic() + WAIT
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                os.kill(self.pid, 9)
                raise AssertionError(f"the shell did not exit: {self.seen[-2000:]!r}")
            # Drain the terminal: a child blocked writing to a full pty would never exit.
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    self.seen += os.read(self.fd, 4096).decode(errors="replace")
                except OSError:  # the child closed the terminal: it is exiting
                    pass


@pytest.fixture
def shell(emulator: Any, tmp_path: Path) -> Iterator[Terminal]:
    host = emulator.url.split("://", 1)[1]
    url = f"posthog://:{emulator.api_key}@{host}/1?scheme=http"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTHOG_", "PYTEST", "COV"))}
    env.update(TERM="xterm", INPUTRC=os.devnull, PYTHONUNBUFFERED="1", COLUMNS="200")
    argv = [sys.executable, "-m", "posthog_dbapi", "--url", url]
    argv += ["--history", str(tmp_path / "history")]
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the shell
        try:
            os.chdir(REPO)
            os.execve(sys.executable, argv, env)
        finally:
            os._exit(127)
    terminal = Terminal(pid, fd)
    yield terminal
    try:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    os.close(fd)


def test_completion_multiline_and_ctrl_c(shell: Terminal, emulator: Any, tmp_path: Path) -> None:
    banner = shell.expect(r"connected to (.*)\.\n")
    assert "phx_demo" not in banner.group(0)
    shell.expect(r"posthog> ")

    # TAB completes a table name ...
    shell.send("SELECT count(*) AS n FROM feature_fl\t")
    shell.expect(r"feature_flags")
    # ... and, once the statement names the table, its columns. The statement spans lines.
    shell.send("\nWHERE activ\t")
    shell.expect(r"\.\.\.> ")
    shell.expect(r"active")
    shell.send(" = 1;\n")
    active = sum(
        1
        for f in emulator.app.projects[1].tables["feature_flags"].rows.values()
        if f["active"] and not f["deleted"]
    )
    shell.expect(rf"\n\s*n\n-+\n\s*{active}\n\(1 row in [0-9.]+ s, \d+ API requests?\)")

    # Ctrl-C during a statement the emulator holds back cancels it and returns to the prompt.
    emulator.app.faults.add("delay", path="dashboards", delay=20, times=1)
    shell.send("SELECT count(*) FROM dashboards;\n")
    shell.expect(r"rows fetched")  # the progress line on the terminal's stderr
    shell.send("\x03")
    shell.expect(r"Cancelled\.\n")
    shell.expect(r"posthog> ")

    # The same connection still works, and .quit leaves with status 0.
    shell.send("SELECT 40 + 2 AS answer;\n")
    shell.expect(r"answer\n-+\n\s*42\n")
    shell.send(".quit\n")
    assert shell.wait() == 0
    assert "SELECT 40 + 2 AS answer;" in (tmp_path / "history").read_text()


def test_ctrl_c_at_the_prompt_drops_the_unfinished_statement(
    shell: Terminal, emulator: Any
) -> None:
    shell.expect(r"posthog> ")
    shell.send("SELECT 'never\n")
    shell.expect(r"\.\.\.> ")
    shell.interrupt_at_prompt(r"posthog> ")
    shell.send(".tables\n")
    shell.expect(r"feature_flags\s+\| SELECT, INSERT, UPDATE, DELETE")
    shell.expect(r"stripe\.charge\s+\| SELECT\s+\| data_warehouse")
    shell.expect(r"posthog> ")
    # TAB completes a warehouse table by its schema-qualified name, then one of its columns.
    shell.send("SELECT count(*) AS n FROM stripe.cu\t")
    shell.expect(r"stripe\.customer")
    shell.send(" WHERE curr\t")
    shell.expect(r"currency")
    shell.send(" = 'usd';\n")
    with posthog_dbapi.connect(emulator.url, emulator.api_key, emulator.project_id) as conn:
        cursor = conn.cursor()
        cursor.execute("SELECT count(*) FROM stripe.customer WHERE currency = 'usd'")
        (count,) = cursor.fetchone() or (None,)
    shell.expect(rf"\n\s*n\n-+\n\s*{count}\n")
    shell.send("\x04")  # Ctrl-D on an empty line leaves
    assert shell.wait() == 0


def test_ctrl_c_during_a_write_says_what_was_applied(shell: Terminal, emulator: Any) -> None:
    shell.expect(r"posthog> ")
    emulator.app.faults.add("delay", path=r"feature_flags/\d+", method="PATCH", after=2, delay=2)
    shell.send("UPDATE feature_flags SET name = 'renamed' WHERE active = 1;\n")
    shell.expect(r"rows fetched")
    shell.send("\x03")
    message = shell.expect(r"Cancelled\. (.*)\n").group(1)
    flags = emulator.app.projects[1].tables["feature_flags"].rows
    renamed = sorted(str(f["id"]) for f in flags.values() if f["name"] == "renamed")
    assert len(renamed) == 2
    assert "already applied this statement to 2 row(s)" in message
    assert sorted(message.split("ids ", 1)[1].split(".")[0].split(", ")) == renamed
    # The PATCH on its way when Ctrl-C came is named: PostHog may still apply it, and does.
    in_flight = re.search(r"PATCH /api/projects/1/feature_flags/(\d+)/", message)
    assert in_flight is not None
    shell.expect(r"posthog> ")
    shell.send(".quit\n")
    assert shell.wait() == 0
    _wait_for(lambda: flags[in_flight.group(1)]["name"] == "renamed")


def _wait_for(condition: Callable[[], bool]) -> None:
    """Let the emulator finish the held-back request, so it cannot touch the next test's data."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the held-back request never completed"
        time.sleep(0.05)
