"""The table reference in docs/tables.md is generated from the catalog and must not go stale."""

from __future__ import annotations

from pathlib import Path

from posthog_dbapi.catalog import RESOURCES
from posthog_dbapi.catalog.reference import DEFAULT_PATH, main, render
from posthog_dbapi.driver.routes import DeleteStyle

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tables.md"


def test_docs_tables_md_is_current() -> None:
    assert DEFAULT_PATH == DOCS
    assert DOCS.read_text(encoding="utf-8") == render(), (
        "docs/tables.md is stale; run: .venv/bin/python -m posthog_dbapi.catalog.reference"
    )


def test_every_table_and_column_is_documented() -> None:
    text = render()
    for name, resource in RESOURCES.items():
        section = text.split(f"## `{name}`\n", 1)[1].split("\n## ", 1)[0]
        for column in resource.columns:
            assert f"| `{column.name}` |" in section, (name, column.name)
        delete_line = next(line for line in section.splitlines() if "**DELETE:**" in line)
        if resource.route.delete_style is DeleteStyle.SOFT:
            assert "soft delete" in delete_line
        elif resource.route.delete_style is DeleteStyle.NONE:
            assert "not offered" in delete_line
            assert "DELETE" not in section.split("**Operations:**", 1)[1].splitlines()[0]


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "tables.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
    assert main([str(stale)]) == 0
    assert main(["--check", str(stale)]) == 0
