"""Result formats of ``posthog-sql``: aligned table, CSV, JSON lines and Markdown.

Values print the same way in every format: datetimes and dates as ISO 8601, booleans as
``true``/``false``, JSON columns as the JSON text the cursor returns (never re-encoded). CSV and
JSON lines stream row by row, so a large result never sits in memory; the table and Markdown
formats need every row to size their columns, so they buffer.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["FORMATS", "ResultWriter", "make_writer", "render_value"]

FORMATS = ("table", "csv", "jsonl", "markdown")

# An aligned table is for reading; a 4 kB JSON filter would push every other column off screen.
TABLE_CELL_WIDTH = 60


def render_value(value: Any) -> str:
    """A cell as text; ``None`` is the empty string (formats mark NULL their own way)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return render_value(value)


class ResultWriter:
    """Receives one result: its column names, then rows in batches, then ``finish()``."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.columns: list[str] = []
        self.written = 0

    def start(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)

    def rows(self, batch: Sequence[Sequence[Any]]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Write what is buffered; called after the last batch and after a cancel."""
        self.out.flush()


class CsvWriter(ResultWriter):
    def start(self, columns: Sequence[str]) -> None:
        super().start(columns)
        self._csv = csv.writer(self.out, lineterminator="\n")
        self._csv.writerow(self.columns)

    def rows(self, batch: Sequence[Sequence[Any]]) -> None:
        self._csv.writerows([render_value(v) for v in row] for row in batch)
        self.written += len(batch)


class JsonLinesWriter(ResultWriter):
    def rows(self, batch: Sequence[Sequence[Any]]) -> None:
        for row in batch:
            record = {name: _json_value(v) for name, v in zip(self.columns, row)}
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.written += len(batch)


class _BufferedWriter(ResultWriter):
    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self._cells: list[list[str]] = []

    def rows(self, batch: Sequence[Sequence[Any]]) -> None:
        self._cells.extend([self.cell(v) for v in row] for row in batch)

    def cell(self, value: Any) -> str:
        raise NotImplementedError

    def finish(self) -> None:
        self.write_all(self._cells)
        self.written += len(self._cells)
        self._cells = []
        super().finish()

    def write_all(self, cells: list[list[str]]) -> None:
        raise NotImplementedError


class TableWriter(_BufferedWriter):
    def cell(self, value: Any) -> str:
        if value is None:
            return "NULL"
        text = render_value(value).replace("\r", "").replace("\n", "\\n").replace("\t", " ")
        if len(text) > TABLE_CELL_WIDTH:
            text = text[: TABLE_CELL_WIDTH - 1] + "…"
        return text

    def write_all(self, cells: list[list[str]]) -> None:
        widths = [len(name) for name in self.columns]
        for row in cells:
            widths = [max(w, len(c)) for w, c in zip(widths, row)]
        numeric = [
            bool(cells) and all(_looks_numeric(row[i]) for row in cells)
            for i in range(len(self.columns))
        ]

        def line(values: Sequence[str]) -> str:
            parts = [
                v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)
            ]
            return " | ".join(parts).rstrip()

        self.out.write(line(self.columns) + "\n")
        self.out.write("-+-".join("-" * w for w in widths) + "\n")
        for row in cells:
            self.out.write(line(row) + "\n")


def _looks_numeric(text: str) -> bool:
    if text == "NULL":
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


class MarkdownWriter(_BufferedWriter):
    def cell(self, value: Any) -> str:
        text = render_value(value)
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")

    def write_all(self, cells: list[list[str]]) -> None:
        header = [c.replace("|", "\\|") for c in self.columns]
        self.out.write("| " + " | ".join(header) + " |\n")
        self.out.write("|" + "|".join("---" for _ in header) + "|\n")
        for row in cells:
            self.out.write("| " + " | ".join(row) + " |\n")


_WRITERS: dict[str, type[ResultWriter]] = {
    "table": TableWriter,
    "csv": CsvWriter,
    "jsonl": JsonLinesWriter,
    "markdown": MarkdownWriter,
}


def make_writer(name: str, out: TextIO) -> ResultWriter:
    return _WRITERS[name](out)
