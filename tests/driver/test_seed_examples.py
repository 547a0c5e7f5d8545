"""The seed spec's examples, run against the emulator with only the import line changed.

Each snippet is the seed README's code with ``from posthog_driver import`` replaced by
``from posthog_dbapi import``; credentials come from ``posthog_env``. The Quick Start's explicit
construction names ``https://app.posthog.com/api`` and a placeholder key, so there (only) the URL
and key are replaced by the emulator's.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import posthog_dbapi
from posthog_dbapi.driver import PostHogDriver


def test_the_package_exports_the_seed_names() -> None:
    """DESIGN's public interface: the seed's import line works with only the package renamed."""
    from posthog_dbapi import (  # noqa: F401
        AuthenticationError,
        ObjectNotFoundError,
        RateLimitError,
        ValidationError,
    )

    assert posthog_dbapi.PostHogDriver is PostHogDriver


def run(code: str, capsys: Any) -> str:
    source = textwrap.dedent(code).replace(
        "from posthog_driver import", "from posthog_dbapi import"
    )
    exec(compile(source, "<seed example>", "exec"), {"__name__": "__seed__"})
    return str(capsys.readouterr().out)


def test_quick_start(posthog_env: Any, capsys: Any) -> None:
    out = run(
        f"""
        from posthog_driver import PostHogDriver
        driver = PostHogDriver.from_env()
        driver.close()
        driver = PostHogDriver(
            api_url="{posthog_env.url}/api",
            api_key="{posthog_env.api_key}"
        )
        objects = driver.list_objects()
        print(f"Available resources: {{objects}}")
        fields = driver.get_fields("dashboards")
        for field_name, field_info in fields.items():
            print(f"{{field_name}}: {{field_info['type']}}")
        dashboards = driver.read("/dashboards", limit=50)
        for dashboard in dashboards:
            print(f"Dashboard: {{dashboard['name']}}")
            print(f"  Created: {{dashboard['created_at']}}")
        dashboard = driver.create("dashboards", {{
            "name": "My Dashboard",
            "description": "A test dashboard"
        }})
        print(f"Created dashboard with ID: {{dashboard['id']}}")
        dashboard_id = dashboard['id']
        updated = driver.update("dashboards", dashboard_id, {{
            "name": "Updated Dashboard Name"
        }})
        print(f"Updated: {{updated['name']}}")
        success = driver.delete("dashboards", dashboard_id)
        if success:
            print("Dashboard deleted")
        driver.close()
        """,
        capsys,
    )
    assert "Available resources: ['actions'" in out
    assert "'dashboards'" in out and "'events'" in out
    assert "name: string" in out and "created_at: datetime" in out
    assert re.search(r"Dashboard: .+\n  Created: \d{4}-\d\d-\d\d", out)
    assert re.search(r"Created dashboard with ID: \d+", out)
    assert "Updated: Updated Dashboard Name" in out
    assert "Dashboard deleted" in out


def test_complete_example(posthog_env: Any, capsys: Any) -> None:
    out = run(
        """
        from posthog_driver import PostHogDriver, AuthenticationError, RateLimitError

        try:
            driver = PostHogDriver.from_env()
            dashboards = driver.read("/dashboards", limit=10)
            print(f"Found {len(dashboards)} dashboards")
            new_dashboard = driver.create("dashboards", {
                "name": "New Dashboard"
            })
            print(f"Created dashboard: {new_dashboard['id']}")
        except AuthenticationError as e:
            print(f"Authentication failed: {e.message}")
            print(f"Suggestion: {e.details.get('suggestion')}")
        except RateLimitError as e:
            retry_after = e.details['retry_after']
            print(f"Rate limited. Retry after {retry_after} seconds")
        finally:
            driver.close()
        """,
        capsys,
    )
    assert "Found 10 dashboards" in out
    assert re.search(r"Created dashboard: \d+", out)


def test_complete_example_with_a_bad_key(posthog_env: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("POSTHOG_API_KEY", "phx_not_a_real_key")
    out = run(
        """
        from posthog_driver import PostHogDriver, AuthenticationError
        try:
            driver = PostHogDriver.from_env()
        except AuthenticationError as e:
            print(f"Authentication failed: {e.message}")
            print(f"Suggestion: {e.details.get('suggestion')}")
        """,
        capsys,
    )
    assert "Authentication failed: Invalid PostHog API key" in out
    assert "Suggestion: " in out and "phx_not_a_real_key" not in out


def test_pattern_1_pagination(posthog_env: Any, capsys: Any) -> None:
    out = run(
        """
        from posthog_driver import PostHogDriver
        driver = PostHogDriver.from_env()
        dashboards = driver.read("/dashboards", limit=50, offset=0)
        print(f"Page 1: {len(dashboards)} dashboards")
        dashboards_page_2 = driver.read("/dashboards", limit=50, offset=50)
        print(f"Page 2: {len(dashboards_page_2)} dashboards")
        driver.close()
        """,
        capsys,
    )
    first = int(re.search(r"Page 1: (\d+) dashboards", out).group(1))  # type: ignore[union-attr]
    second = int(re.search(r"Page 2: (\d+) dashboards", out).group(1))  # type: ignore[union-attr]
    with PostHogDriver.from_env() as driver:
        total = len(driver.read("/dashboards", limit=1000))
    assert first == min(50, total)
    assert second == min(50, max(0, total - 50))


def test_pattern_2_large_datasets(posthog_env: Any, capsys: Any) -> None:
    out = run(
        """
        from posthog_driver import PostHogDriver
        driver = PostHogDriver.from_env()
        total_processed = 0
        for batch in driver.read_batched("/events", batch_size=100):
            print(f"Processing batch of {len(batch)} events")
            for event in batch:
                print(f"  Event: {event['event']}")
            total_processed += len(batch)
        print(f"Total processed: {total_processed} events")
        driver.close()
        """,
        capsys,
    )
    expected = posthog_env.app.projects[1].events.event_count()
    assert f"Total processed: {expected} events" in out
    assert out.count("  Event: ") == expected
    assert "Processing batch of 100 events" in out


def test_pattern_3_retries(posthog_env: Any, capsys: Any) -> None:
    out = run(
        """
        from posthog_driver import PostHogDriver, RateLimitError
        import time
        driver = PostHogDriver.from_env()
        max_attempts = 3
        attempt = 0
        while attempt < max_attempts:
            try:
                results = driver.read("/dashboards")
                print(f"Success! Found {len(results)} dashboards")
                break
            except RateLimitError as e:
                attempt += 1
                if attempt >= max_attempts:
                    print(f"Failed after {max_attempts} attempts")
                    raise
                retry_after = e.details['retry_after']
                print(f"Rate limited. Waiting {retry_after} seconds...")
                time.sleep(retry_after)
            finally:
                driver.close()
        """,
        capsys,
    )
    assert re.search(r"Success! Found \d+ dashboards", out)


def test_pattern_4_and_example_2_create(posthog_env: Any, capsys: Any) -> None:
    out = run(
        """
        from posthog_driver import PostHogDriver
        from posthog_driver import ValidationError
        driver = PostHogDriver.from_env()
        dashboard_names = ["Sales Dashboard", "Marketing Dashboard", "Analytics Dashboard"]
        for name in dashboard_names:
            try:
                dashboard = driver.create("dashboards", {
                    "name": name,
                    "description": f"Created programmatically"
                })
                print(f"✓ Created: {name} (ID: {dashboard['id']})")
            except ValidationError as e:
                print(f"✗ Failed to create {name}: {e.message}")
        driver.close()

        driver = PostHogDriver.from_env()
        try:
            dashboard = driver.create("dashboards", {
                "name": "Sales Metrics",
                "description": "Key sales KPIs"
            })
            print(f"Created dashboard: {dashboard['id']}")
        except ValidationError as e:
            print(f"Validation error: {e.message}")
            print(f"Missing fields: {e.details.get('missing_fields')}")
        finally:
            driver.close()
        """,
        capsys,
    )
    assert len(re.findall(r"✓ Created: \w+ Dashboard \(ID: \d+\)", out)) == 3
    assert re.search(r"Created dashboard: \d+", out)


def test_pattern_5_schema(posthog_env: Any, capsys: Any) -> None:
    out = run(
        """
        from posthog_driver import PostHogDriver
        driver = PostHogDriver.from_env()
        objects = driver.list_objects()
        print(f"Available resources: {objects}")
        for obj_name in objects[:3]:
            fields = driver.get_fields(obj_name)
            print(f"\\n{obj_name}:")
            for field_name, field_info in fields.items():
                required = "required" if field_info.get('required') else "optional"
                print(f"  - {field_name}: {field_info['type']} ({required})")
        driver.close()
        """,
        capsys,
    )
    assert "\nactions:\n  - id: integer (optional)" in out
    assert "\nannotations:\n" in out and "\nbatch_exports:\n" in out


def test_pattern_6_and_example_4_missing_dashboard(posthog_env: Any, capsys: Any) -> None:
    out = run(
        """
        from posthog_driver import PostHogDriver, ObjectNotFoundError
        driver = PostHogDriver.from_env()
        dashboard_id = "some-dashboard-id"
        try:
            dashboard = driver.read(f"/dashboards/{dashboard_id}")
        except ObjectNotFoundError as e:
            print(f"Dashboard not found: {e.message}")
            print(f"Available: {e.details.get('available', [])}")
        driver.close()

        driver = PostHogDriver.from_env()
        dashboard_id = "your-dashboard-id"
        try:
            updated = driver.update("dashboards", dashboard_id, {
                "name": "Updated Dashboard Name",
                "description": "New description"
            })
            print(f"Updated: {updated['name']}")
        except ObjectNotFoundError as e:
            print(f"Dashboard not found: {e.message}")
        finally:
            driver.close()
        """,
        capsys,
    )
    assert "Dashboard not found: Resource 'some-dashboard-id' not found" in out
    assert "Dashboard not found: Resource 'your-dashboard-id' not found" in out


def test_pattern_7_debug(posthog_env: Any, capsys: Any) -> None:
    run(
        """
        from posthog_driver import PostHogDriver
        driver = PostHogDriver.from_env(debug=True)
        dashboards = driver.read("/dashboards", limit=5)
        driver.close()
        """,
        capsys,
    )
    err = capsys.readouterr().err
    # The handler writes to the stderr of the moment; capsys.readouterr() already drained it
    # in run(), so re-run one call to see the lines.
    driver = PostHogDriver.from_env(debug=True)
    driver.read("/dashboards", limit=5)
    driver.close()
    err += capsys.readouterr().err
    assert "[DEBUG] Session created" in err
    assert re.search(r"\[DEBUG\] GET http://127\.0\.0\.1:\d+/api/projects/1/dashboards/", err)
    assert "[DEBUG] Parsed wrapped response with 5 records" in err
    assert posthog_env.api_key not in err


def test_example_1_list_dashboards(posthog_env: Any, capsys: Any) -> None:
    out = run(
        """
        from posthog_driver import PostHogDriver
        driver = PostHogDriver.from_env()
        try:
            dashboards = driver.read("/dashboards", limit=100)
            print(f"Found {len(dashboards)} dashboards:\\n")
            for dashboard in dashboards:
                print(f"- {dashboard['name']}")
                if dashboard.get('description'):
                    print(f"  Description: {dashboard['description']}")
                print(f"  Created: {dashboard['created_at']}\\n")
        finally:
            driver.close()
        """,
        capsys,
    )
    count = int(re.search(r"Found (\d+) dashboards:", out).group(1))  # type: ignore[union-attr]
    assert count > 0
    assert out.count("\n- ") == count


def test_example_3_events_in_batches(posthog_env: Any, capsys: Any) -> None:
    out = run(
        """
        from posthog_driver import PostHogDriver
        driver = PostHogDriver.from_env()
        total_events = 0
        event_types = {}
        try:
            for batch in driver.read_batched("/events", batch_size=1000):
                total_events += len(batch)
                for event in batch:
                    event_type = event.get('event', 'unknown')
                    event_types[event_type] = event_types.get(event_type, 0) + 1
                print(f"Processed {total_events} events...")
            print(f"\\nTotal: {total_events} events")
            print(f"Event types: {event_types}")
        finally:
            driver.close()
        """,
        capsys,
    )
    expected = posthog_env.app.projects[1].events.event_count()
    assert f"\nTotal: {expected} events" in out
    assert "Processed 1000 events..." in out and "Processed 2000 events..." in out
    assert "'$pageview': " in out


def test_example_5_delete_old_dashboards(posthog_env: Any, capsys: Any) -> None:
    out = run(
        """
        from posthog_driver import PostHogDriver
        from datetime import datetime, timedelta
        driver = PostHogDriver.from_env()
        try:
            dashboards = driver.read("/dashboards", limit=100)
            cutoff_date = datetime.utcnow() - timedelta(days=30)
            for dashboard in dashboards:
                created = datetime.fromisoformat(
                    dashboard['created_at'].replace('Z', '+00:00')
                )
                if created.replace(tzinfo=None) < cutoff_date:
                    driver.delete("dashboards", dashboard['id'])
                    print(f"Deleted: {dashboard['name']}")
        finally:
            driver.close()
        """,
        capsys,
    )
    deleted = out.count("Deleted: ")
    with PostHogDriver.from_env() as driver:
        remaining = driver.read("/dashboards", limit=100)
    assert deleted > 0
    assert all(not line or line.startswith("Deleted: ") for line in out.splitlines())
    assert len({d["id"] for d in remaining}) == len(remaining)
