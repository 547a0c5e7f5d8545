"""Deterministic demo data for the REST resources, with references between them.

Flags with realistic filters, experiments behind their flags, insights on dashboards, items in
datasets, surveys linked to flags. ``bulk`` adds many rows of one resource quickly (benchmarks).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from .fields import format_datetime
from .state import ProjectState

__all__ = ["bulk", "load_rest_demo"]

BASE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
_WORDS = (
    "growth",
    "checkout",
    "onboarding",
    "billing",
    "search",
    "pricing",
    "signup",
    "mobile",
    "retention",
    "activation",
    "referral",
    "dashboard",
    "export",
    "alerts",
    "insights",
)


def _when(rng: random.Random, days: int = 300) -> str:
    return format_datetime(BASE + dt.timedelta(seconds=rng.randrange(days * 86400)))


def _title(rng: random.Random, n: int = 2) -> str:
    return " ".join(rng.sample(_WORDS, n)).capitalize()


def _flag_filters(rng: random.Random, i: int) -> dict[str, Any]:
    if i % 4 == 0:
        return {
            "groups": [{"properties": [], "rollout_percentage": rng.choice([10, 50, 100])}],
            "multivariate": {
                "variants": [
                    {"key": "control", "rollout_percentage": 50},
                    {"key": "test", "rollout_percentage": 50},
                ]
            },
        }
    if i % 4 == 1:
        return {
            "groups": [
                {
                    "properties": [
                        {
                            "key": "email",
                            "type": "person",
                            "value": "@example.com",
                            "operator": "icontains",
                        }
                    ],
                    "rollout_percentage": 100,
                }
            ]
        }
    return {"groups": [{"properties": [], "rollout_percentage": rng.choice([0, 25, 50, 100])}]}


Row = dict[str, Any]
Made = dict[str, list[Row]]
"""The demo rows created so far, by resource (a row may refer to earlier ones)."""


def _dashboard(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "name": f"{_title(rng)} dashboard",
        "pinned": i < 3,
        "description": f"Demo dashboard {i}",
        "created_at": _when(rng),
        "tags": ["demo"],
    }


def _insight(rng: random.Random, i: int, made: Made) -> Row:
    dashboards = made["dashboards"]
    return {
        "name": f"{_title(rng)} trend",
        "description": f"Demo insight {i}",
        "saved": True,
        "query": {
            "kind": "DataVisualizationNode",
            "source": {
                "kind": "HogQLQuery",
                "query": "SELECT event, count() FROM events GROUP BY event",
            },
        },
        "dashboards": [dashboards[i % len(dashboards)]["id"]],
        "created_at": _when(rng),
        "favorited": i % 7 == 0,
    }


def _tile_insight(insight: Row, i: int, made: Made) -> None:
    """The insight's dashboard shows it as a tile."""
    dashboards = made["dashboards"]
    dashboards[i % len(dashboards)]["tiles"].append(
        {"id": i + 1, "insight": {"id": insight["id"], "short_id": insight["short_id"]}}
    )


def _feature_flag(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "key": f"{rng.choice(_WORDS)}-{i}",
        "name": _title(rng, 3),
        "filters": _flag_filters(rng, i),
        "active": i % 5 != 4,
        "created_at": _when(rng),
    }


def _experiment(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "name": f"{_title(rng)} experiment",
        "feature_flag_key": made["feature_flags"][i * 3]["key"],
        "description": f"Demo experiment {i}",
        "start_date": _when(rng) if i % 2 else None,
        "created_at": _when(rng),
    }


def _cohort(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "name": f"{_title(rng)} users",
        "description": f"Demo cohort {i}",
        "is_static": i % 4 == 0,
        "count": rng.randrange(10, 500),
        "filters": {"properties": {"type": "AND", "values": []}},
        "created_at": _when(rng),
    }


def _annotation(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "content": f"Released {_title(rng)} v{i}",
        "date_marker": _when(rng),
        "scope": rng.choice(["project", "organization"]),
        "created_at": _when(rng),
    }


def _action(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "name": f"Clicked {_title(rng)}",
        "description": f"Demo action {i}",
        "steps": [{"event": "$autocapture", "text": rng.choice(_WORDS)}],
        "created_at": _when(rng),
    }


def _survey(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "name": f"{_title(rng)} survey",
        "type": rng.choice(["popover", "api"]),
        "questions": [{"type": "open", "question": "What could be better?"}],
        "linked_flag_id": made["feature_flags"][i]["id"] if i % 3 == 0 else None,
        "created_at": _when(rng),
    }


def _notebook(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "title": f"{_title(rng)} notes",
        "content": {
            "type": "doc",
            "content": [
                {
                    "type": "paragraph",
                    "content": [{"type": "text", "text": f"Notes about {_title(rng)}"}],
                }
            ],
        },
        "created_at": _when(rng),
    }


def _early_access_feature(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "name": f"{_title(rng)} beta {i}",
        "stage": rng.choice(["alpha", "beta", "concept"]),
        "description": "Demo feature",
    }


def _hog_function(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "name": f"Send to {_title(rng, 1)}",
        "enabled": i % 3 != 0,
        "type": rng.choice(["destination", "transformation"]),
        "hog": "print(event)",
        "execution_order": i,
        "created_at": _when(rng),
    }


def _batch_export(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "name": f"Export {i}",
        "interval": rng.choice(["hour", "day"]),
        "destination": {"type": "S3", "config": {"bucket_name": "demo"}},
        "created_at": _when(rng),
    }


def _dataset(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "name": f"{_title(rng)} evals",
        "description": f"Dataset {i}",
        "metadata": {"owner": "demo"},
        "created_at": _when(rng),
    }


def _dataset_item(rng: random.Random, i: int, made: Made) -> Row:
    datasets = made["datasets"]
    return {
        "dataset": datasets[i % len(datasets)]["id"],
        "input": {"prompt": f"Question {i}"},
        "output": {"answer": f"Answer {i}"},
        "created_at": _when(rng),
    }


def _desktop_recording(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "platform": rng.choice(["zoom", "meet", "desktop_audio"]),
        "meeting_title": f"{_title(rng)} sync",
        "status": "ready",
        "created_at": _when(rng),
    }


def _error_tracking_issue(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "name": f"TypeError in {rng.choice(_WORDS)}",
        "description": "Cannot read properties of undefined",
        "status": rng.choice(["active", "resolved"]),
        "first_seen": _when(rng),
    }


def _endpoint(rng: random.Random, i: int, made: Made) -> Row:
    return {
        "name": f"{rng.choice(_WORDS)}_{i}",
        "description": "Demo endpoint",
        "query": {"kind": "HogQLQuery", "query": "SELECT count() FROM events"},
    }


def _session_recording(rng: random.Random, i: int, made: Made) -> Row:
    start = BASE + dt.timedelta(seconds=rng.randrange(300 * 86400))
    length = rng.randrange(30, 3600)
    return {
        "id": f"0192{i:04x}-{rng.getrandbits(16):04x}-7000-8000-{rng.getrandbits(48):012x}",
        "distinct_id": f"user-{rng.randrange(500)}",
        "recording_duration": length,
        "active_seconds": length // 2,
        "inactive_seconds": length - length // 2,
        "start_time": format_datetime(start),
        "end_time": format_datetime(start + dt.timedelta(seconds=length)),
        "click_count": rng.randrange(100),
        "keypress_count": rng.randrange(100),
        "mouse_activity_count": rng.randrange(500),
        "console_log_count": rng.randrange(20),
        "console_warn_count": rng.randrange(5),
        "console_error_count": rng.randrange(3),
        "start_url": f"https://example.com/{rng.choice(_WORDS)}",
        "activity_score": round(rng.random() * 100, 2),
        "viewed": i % 3 == 0,
    }


Build = Callable[[random.Random, int, Made], Row]
After = Callable[[Row, int, Made], None]

# (resource, rows, the i-th row's builder, what a created row changes in earlier ones), in
# creation order: rows refer to rows made before them, and the one random stream runs through
# the builders in this order, so the data is the same on every run.
_DEMO: tuple[tuple[str, int, Build, After | None], ...] = (
    ("dashboards", 24, _dashboard, None),
    ("insights", 40, _insight, _tile_insight),
    ("feature_flags", 36, _feature_flag, None),
    ("experiments", 12, _experiment, None),
    ("cohorts", 20, _cohort, None),
    ("annotations", 30, _annotation, None),
    ("actions", 20, _action, None),
    ("surveys", 15, _survey, None),
    ("notebooks", 12, _notebook, None),
    ("early_access_features", 10, _early_access_feature, None),
    ("hog_functions", 14, _hog_function, None),
    ("batch_exports", 8, _batch_export, None),
    ("datasets", 8, _dataset, None),
    ("dataset_items", 40, _dataset_item, None),
    ("desktop_recordings", 6, _desktop_recording, None),
    ("error_tracking", 20, _error_tracking_issue, None),
    ("endpoints", 6, _endpoint, None),
    ("session_recordings", 30, _session_recording, None),
)


def load_rest_demo(state: ProjectState, *, seed: int = 0) -> None:
    """Create the demo rows of every REST resource (``_DEMO``) in ``state``."""
    rng = random.Random(seed)
    made: Made = {}
    for name, count, build, after in _DEMO:
        rows = made.setdefault(name, [])
        for i in range(count):
            row = state.create(name, build(rng, i, made), trusted=True)
            rows.append(row)
            if after is not None:
                after(row, i, made)


_BULK: dict[str, Any] = {
    "annotations": lambda rng, i: {"content": f"Bulk annotation {i}", "date_marker": _when(rng)},
    "feature_flags": lambda rng, i: {"key": f"bulk-flag-{i}", "name": f"Bulk flag {i}"},
    "dashboards": lambda rng, i: {"name": f"Bulk dashboard {i}"},
    "insights": lambda rng, i: {"name": f"Bulk insight {i}"},
    "cohorts": lambda rng, i: {"name": f"Bulk cohort {i}"},
    "actions": lambda rng, i: {"name": f"Bulk action {i}"},
    "datasets": lambda rng, i: {"name": f"Bulk dataset {i}"},
}


def bulk(state: ProjectState, name: str, count: int, *, seed: int = 0) -> None:
    """Add ``count`` rows of ``name`` (benchmarks need tens of thousands in one resource)."""
    if name not in _BULK:
        raise ValueError(f"bulk rows are available for {sorted(_BULK)}, not {name!r}")
    rng = random.Random(seed)
    make = _BULK[name]
    for i in range(count):
        data = make(rng, i)
        data["created_at"] = _when(rng)
        state.create(name, data, trusted=True)
