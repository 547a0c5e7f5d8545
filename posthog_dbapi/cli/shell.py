"""The interactive ``posthog-sql`` shell: readline prompt, history, completion, multi-line input.

Statements end with ``;`` and may span lines (the prompt turns to ``...>`` while one is open);
dot commands (``.tables``, ``.schema TABLE``, ...) are one line. TAB completes table names
(``stripe.cu`` to ``stripe.customer``), SQL keywords, ``table.column`` and the columns of tables
the statement already names; tables and columns come from the connection's ``tables()``, listed
at the first TAB (its schema requests, then cached). Ctrl-C at the prompt
drops the unfinished statement; during a statement ``Session`` cancels it. History is kept in
``~/.posthog_sql_history`` (``POSTHOG_SQL_HISTORY`` or ``--history`` moves it).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from posthog_dbapi.cli.session import Session, split_statements
from posthog_dbapi.exceptions import Error

__all__ = ["Completer", "default_history_path", "run_shell"]

PROMPT = "posthog> "
CONTINUATION = "    ...> "
DOT_COMMANDS = (".tables", ".schema", ".format", ".last", ".help", ".quit")
KEYWORDS = (
    "SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "HAVING", "LIMIT", "OFFSET", "JOIN",
    "LEFT JOIN", "ON", "AS", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "BETWEEN", "DISTINCT",
    "COUNT", "SUM", "AVG", "MIN", "MAX", "INSERT INTO", "VALUES", "UPDATE", "SET", "DELETE FROM",
    "CASE", "WHEN", "THEN", "ELSE", "END", "DESC", "ASC", "json_extract",
)  # fmt: skip
# "." stays part of a word so that "feature_flags.ke<TAB>" completes the column.
DELIMITERS = " \t\n\"'`@$><=;|&{(,)*+-/%!"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?")


def default_history_path() -> Path:
    return Path(os.environ.get("POSTHOG_SQL_HISTORY") or Path.home() / ".posthog_sql_history")


class Completer:
    """readline's completer: ``complete(text, state)`` returns the state-th candidate."""

    def __init__(
        self,
        tables: Callable[[], dict[str, list[str]]],
        context: Callable[[], str],
    ) -> None:
        """``tables`` gives each table's SQL name (``events``, ``stripe.customer``) and its
        columns; ``context`` the statement typed so far."""
        self._tables = tables
        self._context = context
        self._matches: list[str] = []

    def candidates(self, text: str, context: str) -> list[str]:
        if context.lstrip().startswith(".") and " " not in context.lstrip():
            return [c for c in DOT_COMMANDS if c.startswith(text)]
        tables = self._tables()
        names = sorted(tables)
        if context.lstrip().startswith(".schema "):
            return [t for t in names if t.startswith(text)]
        found = [t for t in names if t.startswith(text)]
        if "." in text:
            table, _, prefix = text.rpartition(".")
            columns = tables.get(table, [])
            return found + [f"{table}.{c}" for c in columns if c.startswith(prefix)]
        lower = text.lower()
        named = []
        for word in _WORD.findall(context):
            # "stripe.customer" names that table; "feature_flags.key" names feature_flags.
            named.append(word if word in tables else word.partition(".")[0])
        for table in dict.fromkeys(t for t in named if t in tables):
            found += [c for c in tables[table] if c.startswith(text) and c not in found]
        for keyword in KEYWORDS:
            if keyword.lower().startswith(lower) and text:
                found.append(keyword if text[:1].isupper() else keyword.lower())
        return found

    def complete(self, text: str, state: int) -> str | None:
        if state == 0:
            try:
                self._matches = self.candidates(text, self._context())
            except Exception:
                # readline swallows exceptions silently; an empty list is the honest answer.
                self._matches = []
        return self._matches[state] if state < len(self._matches) else None


def run_shell(session: Session, history: Path, banner: str) -> None:
    """Read statements from the terminal until ``.quit`` or end of input."""
    import readline

    pending = ""

    listed: dict[str, list[str]] = {}

    def tables() -> dict[str, list[str]]:
        if not listed:
            try:
                found = session.connection.tables()
            except Error:
                return {}
            listed.update({t.sql_name: [c.name for c in t.columns] for t in found})
        return listed

    def context() -> str:
        return pending + readline.get_line_buffer()

    completer = Completer(tables, context)
    readline.set_completer(completer.complete)
    readline.set_completer_delims(DELIMITERS)
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    readline.set_history_length(1000)
    try:
        readline.read_history_file(history)
    except OSError:
        pass

    session.out.write(banner + "\n")
    session.out.flush()
    try:
        while not session.quit:
            try:
                line = input(CONTINUATION if pending.strip() else PROMPT)
            except EOFError:
                session.out.write("\n")
                break
            except KeyboardInterrupt:
                # At the prompt Ctrl-C drops what was typed, as in psql and sqlite3.
                session.out.write("\n")
                pending = ""
                continue
            if not pending.strip() and line.strip().startswith("."):
                session.run_dot(line.strip())
                continue
            pending += line + "\n"
            statements, pending = split_statements(pending)
            session.interrupted = False
            for sql in statements:
                session.run_statement(sql)
                if session.interrupted:
                    break
    finally:
        try:
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)
        except OSError as exc:
            sys.stderr.write(f"Could not save the history to {history}: {exc}\n")
