"""Deterministic demo data for the emulator's event store.

Owns the seeded generator of persons and events. Everything at event scale is built with numpy
arrays (no Python object per event); the JSON `properties` and the UUID strings of events are
assembled inside ClickHouse by the INSERT that loads these frames (see `EVENT_INSERT_SELECT`).
Same seed and same `now` give the same data, byte for byte.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from .ingest_json import stringify

DAY_US = 86_400_000_000

FIRST_NAMES = (
    "Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "John",
    "Radia", "Tim", "Hedy", "Edsger", "Karen", "Donald", "Sophie", "Guido", "Anita", "Niklaus",
)  # fmt: skip
LAST_NAMES = (
    "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie",
    "Allen", "McCarthy", "Perlman", "Berners-Lee", "Lamarr", "Dijkstra", "Jones", "Knuth",
)  # fmt: skip
COMPANIES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka")
COUNTRIES = ("US", "GB", "DE", "FR", "IN", "BR", "JP", "CA", "AU", "NL")
PLANS = ("free", "pro", "enterprise")
PLAN_WEIGHTS = (0.7, 0.25, 0.05)
DOMAINS = ("example.com", "mail.com", "corp.io", "startup.dev")

EVENT_NAMES = (
    "$pageview", "$autocapture", "$pageleave", "purchase", "signed_up", "$identify",
    "feature_used", "$rageclick",
)  # fmt: skip
EVENT_WEIGHTS = (0.40, 0.25, 0.18, 0.04, 0.02, 0.02, 0.07, 0.02)
BROWSERS = ("Chrome", "Safari", "Firefox", "Edge", "Opera")
BROWSER_WEIGHTS = (0.6, 0.2, 0.1, 0.08, 0.02)
OSES = ("Mac OS X", "Windows", "iOS", "Android", "Linux")
PATHS = (
    "/", "/pricing", "/docs", "/blog", "/signup", "/login", "/dashboard", "/settings",
    "/checkout", "/product/analytics", "/product/replay", "/about",
)  # fmt: skip
REFERRERS = (
    "$direct", "https://www.google.com/", "https://twitter.com/", "https://news.ycombinator.com/",
    "https://www.linkedin.com/",
)  # fmt: skip
ELEMENTS = (
    'button.btn.btn-primary:text="Sign up"nth-child="1"nth-of-type="1"',
    'a:href="/pricing"nth-child="2"nth-of-type="1"text="Pricing"',
    'button:attr__type="submit"nth-child="1"nth-of-type="1"text="Buy now"',
)
SITE = "https://hogflix.example"
# Share of non-first events in a session that reuse the previous event's timestamp: real data
# has equal timestamps, and keyset paging on (timestamp, uuid) must cope with them.
EQUAL_TIMESTAMP_RATE = 0.03
MEAN_SESSION_EVENTS = 8


@dataclass
class DemoData:
    """Frames ready to load: persons, their distinct ids, and events (raw columns)."""

    persons: pd.DataFrame
    distinct_ids: pd.DataFrame
    events: pd.DataFrame


def uuid7_from(ms: int, rng: np.random.Generator) -> str:
    """A UUIDv7-like string for one timestamp in milliseconds (used for small counts)."""
    rand = int(rng.integers(0, 2**62, dtype=np.int64))
    hi = (ms << 16) | 0x7000 | int(rng.integers(0, 0x1000))
    lo = (0b10 << 62) | rand
    return str(uuid.UUID(int=(hi << 64) | lo))


def uuid7_parts(ms: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """High and low 64-bit halves of UUIDv7-like ids, one per millisecond timestamp."""
    n = len(ms)
    hi = (ms.astype(np.uint64) << np.uint64(16)) | np.uint64(0x7000)
    hi |= rng.integers(0, 0x1000, size=n, dtype=np.uint64)
    lo = rng.integers(0, 2**62, size=n, dtype=np.uint64) | np.uint64(0x8000000000000000)
    return hi, lo


def _to_us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def default_now() -> datetime:
    """The current time truncated to the hour: demo data stays stable within an hour."""
    now = datetime.now(timezone.utc)
    return now.replace(minute=0, second=0, microsecond=0)


def generate(
    *, seed: int = 0, persons: int = 2000, events: int = 200_000, now: datetime | None = None
) -> DemoData:
    """Build the demo persons and events for `seed`, ending at `now` and spanning 90 days."""
    if persons < 1:
        raise ValueError("the demo needs at least one person")
    now = now or default_now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    rng = np.random.default_rng(seed)
    now_us = _to_us(now)
    person_frame, pdi_frame, anon_idx, user_idx = _persons(rng, persons, now_us)
    event_frame = _events(rng, events, now_us, person_frame, pdi_frame, anon_idx, user_idx)
    return DemoData(person_frame, pdi_frame, event_frame)


def _persons(
    rng: np.random.Generator, count: int, now_us: int
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    created_us = now_us - rng.integers(DAY_US, 120 * DAY_US, size=count)
    created_us -= created_us % 1000
    identified = rng.random(count) < 0.8
    plan_idx = rng.choice(len(PLANS), size=count, p=PLAN_WEIGHTS)
    first = rng.integers(0, len(FIRST_NAMES), size=count)
    last = rng.integers(0, len(LAST_NAMES), size=count)
    company = rng.integers(0, len(COMPANIES), size=count)
    country = rng.integers(0, len(COUNTRIES), size=count)
    domain = rng.integers(0, len(DOMAINS), size=count)
    uuids: list[str] = []
    props: list[str] = []
    dids: list[str] = []
    owners: list[int] = []
    anon_idx = np.zeros(count, dtype=np.int64)
    user_idx = np.full(count, -1, dtype=np.int64)
    # Persons are few (thousands): one small dict each is fine here.
    for i in range(count):
        pk = i + 1
        uuids.append(uuid7_from(int(created_us[i] // 1000), rng))
        prop: dict[str, object] = {
            "plan": PLANS[plan_idx[i]],
            "company": COMPANIES[company[i]],
            "country": COUNTRIES[country[i]],
            "$initial_browser": BROWSERS[int(rng.integers(0, len(BROWSERS)))],
        }
        anon_idx[i] = len(dids)
        dids.append(uuid7_from(int(created_us[i] // 1000), rng))
        owners.append(i)
        if identified[i]:
            name = f"{FIRST_NAMES[first[i]]} {LAST_NAMES[last[i]]}"
            email = (
                f"{FIRST_NAMES[first[i]].lower()}.{LAST_NAMES[last[i]].lower()}{pk}"
                f"@{DOMAINS[domain[i]]}"
            )
            prop = {"email": email, "name": name, **prop}
            user_idx[i] = len(dids)
            dids.append(f"user_{pk}")
            owners.append(i)
            if rng.random() < 0.3:  # a second device
                dids.append(uuid7_from(int(created_us[i] // 1000) + 1, rng))
                owners.append(i)
        props.append(stringify(prop))
    person_frame = pd.DataFrame(
        {
            "pk": np.arange(1, count + 1, dtype=np.int64),
            "uuid": uuids,
            "created_us": created_us.astype(np.int64),
            "properties": props,
            "is_identified": identified.astype(np.uint8),
        }
    )
    owner_arr = np.array(owners, dtype=np.int64)
    pdi_frame = pd.DataFrame(
        {"distinct_id": dids, "person_uuid": np.array(uuids, dtype=object)[owner_arr]}
    )
    return person_frame, pdi_frame, anon_idx, user_idx


def _events(
    rng: np.random.Generator,
    count: int,
    now_us: int,
    person_frame: pd.DataFrame,
    pdi_frame: pd.DataFrame,
    anon_idx: np.ndarray,
    user_idx: np.ndarray,
) -> pd.DataFrame:
    n_persons = len(person_frame)
    if count <= 0:
        return _empty_events()
    lengths = rng.poisson(MEAN_SESSION_EVENTS - 1, size=count // 4 + 2) + 1
    ends = np.cumsum(lengths)
    n_sessions = int(np.searchsorted(ends, count) + 1)
    lengths = lengths[:n_sessions].copy()
    lengths[-1] -= int(ends[n_sessions - 1] - count)
    # A few persons are much more active than others, as in real products.
    weights = rng.pareto(1.5, size=n_persons) + 0.1
    session_person = rng.choice(n_persons, size=n_sessions, p=weights / weights.sum())
    created = person_frame["created_us"].to_numpy()[session_person]
    window_start = np.maximum(created, now_us - 90 * DAY_US)
    span = np.maximum(now_us - window_start - 3_600_000_000, 1)
    session_start = window_start + (rng.random(n_sessions) * span).astype(np.int64)

    session_of = np.repeat(np.arange(n_sessions), lengths)
    first_pos = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    pos = np.arange(count) - first_pos[session_of]
    gaps = (rng.exponential(45.0, size=count) * 1_000_000).astype(np.int64)
    gaps[pos == 0] = 0
    gaps[rng.random(count) < EQUAL_TIMESTAMP_RATE] = 0
    csum = np.cumsum(gaps)
    offsets = csum - csum[first_pos[session_of]]
    ts = np.minimum(session_start[session_of] + offsets, now_us - 1000)
    ts -= ts % 1000  # clients send milliseconds

    event_idx = rng.choice(len(EVENT_NAMES), size=count, p=EVENT_WEIGHTS)
    event_idx[pos == 0] = 0
    names = np.array(EVENT_NAMES, dtype=object)[event_idx]
    person = session_person[session_of]
    use_user = (user_idx[session_person] >= 0) & (rng.random(n_sessions) < 0.6)
    did_idx = np.where(use_user, user_idx[session_person], anon_idx[session_person])
    distinct_ids = pdi_frame["distinct_id"].to_numpy(dtype=object)[did_idx][session_of]
    person_uuids = person_frame["uuid"].to_numpy(dtype=object)[person]
    s_hi, s_lo = uuid7_parts(session_start // 1000, rng)
    e_hi, e_lo = uuid7_parts(ts // 1000, rng)
    revenue = np.where(names == "purchase", np.round(rng.gamma(2.0, 25.0, size=count), 2), np.nan)
    elements = np.where(
        names == "$autocapture",
        np.array(ELEMENTS, dtype=object)[rng.integers(0, len(ELEMENTS), size=count)],
        "",
    )
    return pd.DataFrame(
        {
            "hi": e_hi,
            "lo": e_lo,
            "event": names,
            "distinct_id": distinct_ids,
            "ts_us": ts,
            "created_us": ts + rng.integers(5_000, 2_000_000, size=count),
            "person_uuid": person_uuids,
            "person_row": person.astype(np.int64),
            "s_hi": s_hi[session_of],
            "s_lo": s_lo[session_of],
            "browser": np.array(BROWSERS, dtype=object)[
                rng.choice(len(BROWSERS), size=n_sessions, p=BROWSER_WEIGHTS)
            ][session_of],
            "os": np.array(OSES, dtype=object)[rng.integers(0, len(OSES), size=n_sessions)][
                session_of
            ],
            "pathname": np.array(PATHS, dtype=object)[rng.integers(0, len(PATHS), size=count)],
            "referrer": np.array(REFERRERS, dtype=object)[
                rng.integers(0, len(REFERRERS), size=n_sessions)
            ][session_of],
            "revenue": revenue,
            "elements_chain": elements,
        }
    )


def _empty_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hi": np.array([], dtype=np.uint64),
            "lo": np.array([], dtype=np.uint64),
            "ts_us": np.array([], dtype=np.int64),
        }
    )


def _uuid_sql(hi: str, lo: str) -> str:
    h, low = f"leftPad(lower(hex({hi})), 16, '0')", f"leftPad(lower(hex({lo})), 16, '0')"
    return (
        f"toUUID(concat(substring({h}, 1, 8), '-', substring({h}, 9, 4), '-', "
        f"substring({h}, 13, 4), '-', substring({low}, 1, 4), '-', substring({low}, 5, 12)))"
    )


def _prop(key: str, value_sql: str) -> str:
    # Keys are fixed names of this module: their JSON form needs no SQL escaping.
    return f"concat('{json.dumps(key)}:', toJSONString({value_sql}))"


# The plan of the person is copied onto events (PostHog SDKs commonly register it as a super
# property), and the person's company is the event's `organization` group (group type index 0);
# both are looked up from the loaded persons, hence the join on `person_row`.
EVENT_INSERT_SELECT = f"""
SELECT
    {_uuid_sql("d.hi", "d.lo")} AS uuid,
    d.event AS event,
    concat('{{', arrayStringConcat(arrayFilter(x -> x != '', [
        {_prop("$browser", "d.browser")},
        {_prop("$os", "d.os")},
        {_prop("$current_url", f"concat('{SITE}', d.pathname)")},
        {_prop("$pathname", "d.pathname")},
        {_prop("$referrer", "d.referrer")},
        {_prop("$referring_domain", "if(d.referrer = '$direct', '$direct', domain(d.referrer))")},
        {_prop("$session_id", "sid")},
        {_prop("$window_id", "wid")},
        {_prop("$lib", "'web'")},
        if(org = '', '', {_prop("$groups", "map('organization', org)")}),
        if(campaign = 0, {_prop("utm_source", "'newsletter'")}, ''),
        if(campaign = 0, {_prop("utm_medium", "'email'")}, ''),
        if(campaign = 0, {_prop("utm_campaign", "'spring_launch'")}, ''),
        if(campaign = 1, {_prop("utm_source", "'google'")}, ''),
        if(campaign = 1, {_prop("utm_medium", "'cpc'")}, ''),
        if(campaign = 1, {_prop("utm_campaign", "'brand'")}, ''),
        if(campaign = 1, {_prop("gclid", "concat('gclid-', left(sid, 8))")}, ''),
        {_prop("plan", "JSONExtractString(p.properties, 'plan')")},
        if(isNaN(d.revenue), '', {_prop("revenue", "d.revenue")}),
        if(d.event = 'purchase', {_prop("currency", "'USD'")}, '')
    ]), ','), '}}') AS properties,
    fromUnixTimestamp64Micro(d.ts_us, 'UTC') AS timestamp,
    d.distinct_id AS distinct_id,
    d.elements_chain AS elements_chain,
    fromUnixTimestamp64Micro(d.created_us, 'UTC') AS created_at,
    {_uuid_sql("d.s_hi", "d.s_lo")} AS sid_uuid,
    toString(sid_uuid) AS sid,
    sid AS `$session_id`,
    toUUID(d.person_uuid) AS person_id,
    -- A window per session (one tab); derived, so the seeded random streams stay as they were.
    toString({_uuid_sql("d.s_hi", "bitXor(d.s_lo, 1)")}) AS wid,
    wid AS `$window_id`,
    -- Sessions campaigns by their random bits: 0 an email campaign, 1 paid search, else none.
    toUInt8(d.s_lo % 5) AS campaign,
    lower(JSONExtractString(p.properties, 'company')) AS org,
    org AS `$group_0`,
    '' AS `$group_1`,
    '' AS `$group_2`,
    '' AS `$group_3`,
    '' AS `$group_4`
"""

__all__ = ["EVENT_INSERT_SELECT", "DemoData", "default_now", "generate"]
