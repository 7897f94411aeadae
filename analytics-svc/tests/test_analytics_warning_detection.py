"""Warnings analytics raises itself (预警, Art. 23): hotspots at the exact crossing
report of each window, high-frequency events over weeks, safety hazards and sensitive
topics, each once, staged as `warning.raised` in analytics' outbox."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_analytics.app import MIGRATIONS
from minsheng_analytics.models import WarningReport, WarningScope, WarningTrigger
from minsheng_analytics.warning_detection import WarningDetector
from minsheng_analytics.warning_rules import WarningRules, load_warning_rules
from minsheng_common import db, migrations
from minsheng_common.bus.outbox import Outbox
from minsheng_common.bus.tables import outbox as outbox_table
from minsheng_common.clock import FixedClock
from minsheng_common.events import (
    AppealFiled,
    AppealGraded,
    TopicNames,
    WarningRaised,
    open_envelope,
    read,
)
from minsheng_common.reference import load_reference

# Monday 2 March 2026, 09:00 in Shanghai (ISO week 10).
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
CLUSTER = "cl-road-collapse"

Step = tuple[AppealFiled | AppealGraded, datetime]


def filed(
    appeal_id: str,
    *,
    hours: float,
    cluster: str | None = CLUSTER,
    category: str = "municipal-facilities",
    community: str | None = "秀新社区",
    title: str = "路面破损",
    content: str = "坑梓街道秀新社区某路段路面破损，车辆通行困难。",
    level: int = 3,
) -> Step:
    """`appeal.filed` of a report received `hours` after T0, filed a minute later."""
    received_at = T0 + timedelta(hours=hours)
    filed_at = received_at + timedelta(minutes=1)
    return (
        AppealFiled(
            appeal_id=appeal_id,
            tracking_code=f"MS{appeal_id[-6:]:0>6}",
            channel="hotline-12345",
            appeal_type="complaint",
            category_id=category,
            subdistrict_id="kengzi-jd",
            community=community,
            title=title,
            content=content,
            received_at=received_at,
            filed_at=filed_at,
            contact_kind="phone",
            contact_encrypted="gAAAA-ciphertext-of-the-contact",
            level=level,
            cluster_id=cluster,
        ),
        filed_at,
    )


def graded(appeal_id: str, level: int, basis: str, *, hours: float = 1) -> Step:
    graded_at = T0 + timedelta(hours=hours)
    return (
        AppealGraded(
            appeal_id=appeal_id,
            tracking_code=f"MS{appeal_id[-6:]:0>6}",
            level=level,
            basis=basis,
            graded_at=graded_at,
            graded_by="rules",
        ),
        graded_at,
    )


def rules(**reference_changes: Any) -> WarningRules:
    reference = load_reference().model_copy(update=reference_changes)
    return load_warning_rules(reference)


def detecting(projector: Any, warning_rules: WarningRules | None = None) -> Any:
    """The conftest projector with detection wrapped around its handlers, staging
    into the store it applies to."""
    outbox = Outbox(producer="analytics", topics=TopicNames(), clock=FixedClock(T0))
    detector = WarningDetector(outbox=outbox, rules=warning_rules or rules())
    projector.handlers = detector.wrap(projector.handlers)
    return projector


async def staged(sessions: async_sessionmaker[AsyncSession]) -> list[WarningRaised]:
    """The warnings in the outbox, in the order they were staged."""
    async with sessions() as session:
        rows = await session.execute(
            select(outbox_table.c.payload)
            .where(outbox_table.c.event_type == WarningRaised.event_type)
            .order_by(outbox_table.c.id)
        )
        payloads = [row[0] for row in rows]
    warnings = []
    for payload in payloads:
        data = read(open_envelope(payload.encode("utf-8")))
        assert isinstance(data, WarningRaised)
        warnings.append(data)
    return warnings


def ids(count: int, *, start: int = 1) -> list[str]:
    return [f"a-{number}" for number in range(start, start + count)]


# --- hotspot ---------------------------------------------------------------------


async def test_hotspot_fires_at_the_fifth_report_within_24_hours_not_the_fourth(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(projector)
    await projector.apply_all(
        [
            filed(appeal_id, hours=hour)
            for appeal_id, hour in zip(ids(4), (0, 1, 2, 3), strict=True)
        ]
    )
    assert await staged(sessions) == []

    fifth = filed("a-5", hours=23)
    await projector.apply(fifth)
    [warning] = await staged(sessions)
    assert warning.kind == "hotspot"
    assert warning.cluster_id == CLUSTER
    assert warning.appeal_ids == ids(5)
    assert warning.count == 5
    assert warning.window_hours == 24
    assert warning.subdistrict_id == "kengzi-jd"
    assert warning.raised_at == fifth[1]

    await projector.apply(filed("a-6", hours=23.5))
    assert len(await staged(sessions)) == 1


async def test_hotspot_staged_event_is_keyed_by_its_cluster_on_the_alerts_topic(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(projector)
    await projector.apply_all([filed(a, hours=i) for i, a in enumerate(ids(5))])

    async with sessions() as session:
        [row] = (
            await session.execute(
                select(outbox_table).where(
                    outbox_table.c.event_type == WarningRaised.event_type
                )
            )
        ).all()
    envelope = open_envelope(row.payload.encode("utf-8"))
    assert row.topic == "alerts"
    assert row.key == CLUSTER == envelope.key
    assert envelope.producer == "analytics"
    assert envelope.occurred_at == T0 + timedelta(hours=4, minutes=1)
    # The body validates against the catalogue's contract of its type and version.
    assert read(envelope) == WarningRaised.model_validate(envelope.data)


@pytest.mark.parametrize(
    ("fifth_after", "fires"),
    [(timedelta(hours=24), True), (timedelta(hours=24, seconds=1), False)],
    ids=["at-24h-counts", "past-24h-does-not"],
)
async def test_hotspot_window_includes_its_end_and_nothing_past_it(
    sessions: Any, projector: Any, fifth_after: timedelta, fires: bool
) -> None:
    projector = detecting(projector)
    await projector.apply_all([filed(a, hours=0) for a in ids(4)])
    await projector.apply(filed("a-5", hours=fifth_after.total_seconds() / 3600))

    assert [w.appeal_ids for w in await staged(sessions)] == ([ids(5)] if fires else [])


async def test_hotspot_window_slides_past_the_first_report(
    sessions: Any, projector: Any
) -> None:
    """A 5th report outside 24 hours of the first fires nothing; a 6th makes five
    within 24 hours of the second, and the first is not evidence."""
    projector = detecting(projector)
    hours = (0, 1, 2, 3, 24 + 1 / 60)
    await projector.apply_all(
        [filed(a, hours=h) for a, h in zip(ids(5), hours, strict=True)]
    )
    assert await staged(sessions) == []

    await projector.apply(filed("a-6", hours=25))
    [warning] = await staged(sessions)
    assert warning.appeal_ids == ids(5, start=2)
    assert warning.count == 5


async def test_hotspot_72_hour_rule_fires_at_the_twentieth_report(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(projector)
    # Twenty reports evenly over exactly 72 hours: the 24-hour rule fires first.
    hours = [72 * number / 19 for number in range(20)]
    await projector.apply_all(
        [filed(a, hours=h) for a, h in zip(ids(19), hours[:19], strict=True)]
    )
    assert [(w.window_hours, w.count) for w in await staged(sessions)] == [(24, 5)]

    await projector.apply(filed("a-20", hours=hours[19]))
    await projector.apply(filed("a-21", hours=73))
    warnings = await staged(sessions)
    assert [(w.window_hours, w.count) for w in warnings] == [(24, 5), (72, 20)]
    assert warnings[1].appeal_ids == ids(20)
    assert warnings[1].warning_id != warnings[0].warning_id


async def test_hotspot_thresholds_come_from_the_reference_data(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(
        projector, rules(hotspot_rules=[{"window_hours": 2, "min_reports": 3}])
    )
    await projector.apply_all([filed("a-1", hours=0), filed("a-2", hours=1)])
    assert await staged(sessions) == []

    await projector.apply(filed("a-3", hours=2))
    [warning] = await staged(sessions)
    assert (warning.window_hours, warning.appeal_ids) == (2, ids(3))


async def test_reports_of_other_clusters_or_without_one_are_not_counted(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(projector)
    await projector.apply_all(
        [
            *[filed(a, hours=0) for a in ids(4)],
            filed("b-1", hours=1, cluster="cl-other"),
            filed("b-2", hours=1, cluster=None),
        ]
    )
    assert await staged(sessions) == []


# --- duplicates ------------------------------------------------------------------


async def test_the_same_event_delivered_twice_raises_nothing_twice(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(projector)
    await projector.apply_all([filed(a, hours=0) for a in ids(4)])
    fifth = projector.envelope(filed("a-5", hours=1))

    assert await projector.apply(fifth)
    assert not await projector.apply(fifth)
    # The same filing in a new envelope passes the inbox; the trigger key holds.
    assert await projector.apply(filed("a-5", hours=1))
    assert len(await staged(sessions)) == 1

    async with sessions() as session:
        triggers = (await session.scalars(select(WarningTrigger))).all()
    assert [(t.kind, t.scope, t.window, t.appeal_id) for t in triggers] == [
        ("hotspot", f"cluster:{CLUSTER}", "24h", "a-5")
    ]


# --- high-frequency --------------------------------------------------------------


def noise(appeal_id: str, *, days: float, community: str = "秀新社区") -> Step:
    """Night construction noise at one place, each report its own event cluster."""
    return filed(
        appeal_id,
        hours=days * 24,
        cluster=f"cl-{appeal_id}",
        category="environment-water",
        community=community,
        title="工地晚上施工声音很大",
        content="某路段每晚十一点后仍有机械作业。",
    )


async def test_high_frequency_fires_when_reports_recur_over_two_weeks(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(projector)
    # Monday to Wednesday of one week: three reports, one week.
    await projector.apply_all(
        [noise(a, days=d) for a, d in zip(ids(3), (0, 1, 2), strict=True)]
    )
    assert await staged(sessions) == []

    # The next Tuesday: a second week.
    await projector.apply(noise("a-4", days=8))
    [warning] = await staged(sessions)
    assert warning.kind == "high_frequency"
    assert warning.cluster_id is None
    assert warning.appeal_ids == ids(4)
    assert warning.count == 4
    assert warning.window_hours == 30 * 24
    assert warning.subdistrict_id == "kengzi-jd"


async def test_high_frequency_fires_once_per_window_and_again_on_new_reports(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(projector)
    await projector.apply_all(
        [noise(a, days=d) for a, d in zip(ids(3), (0, 1, 8), strict=True)]
    )
    [first] = await staged(sessions)
    assert first.appeal_ids == ids(3)

    # Two more later: together with the first three they would be enough, alone not.
    await projector.apply_all([noise("a-4", days=9), noise("a-5", days=20)])
    assert len(await staged(sessions)) == 1

    await projector.apply(noise("a-6", days=28))
    second = (await staged(sessions))[1]
    assert second.kind == "high_frequency"
    assert second.appeal_ids == ids(3, start=4)
    assert second.warning_id != first.warning_id


async def test_high_frequency_needs_the_same_place_and_category_within_30_days(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(projector)
    await projector.apply_all(
        [
            noise("a-1", days=0),
            noise("a-2", days=1),
            # Another community, and another category at the same place.
            noise("a-3", days=8, community="六联社区"),
            filed("a-4", hours=8 * 24, cluster="cl-a-4", category="transport"),
            # Two weeks but more than 30 days after the first.
            noise("a-5", days=31),
        ]
    )
    assert await staged(sessions) == []


# --- safety hazard ---------------------------------------------------------------


async def test_safety_hazard_fires_once_for_a_level_1_grade_of_the_cluster(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(projector)
    await projector.apply(filed("a-1", hours=0))
    assert await staged(sessions) == []

    await projector.apply(graded("a-1", 1, "rule: level-1 word '塌陷' (edition x)"))
    [warning] = await staged(sessions)
    assert warning.kind == "safety_hazard"
    assert warning.cluster_id == CLUSTER
    assert warning.appeal_ids == ["a-1"]
    assert warning.count == 1
    assert warning.window_hours is None
    assert warning.subdistrict_id == "kengzi-jd"
    assert warning.raised_at == T0 + timedelta(hours=1)

    # Graded again, and another report of the same event filed at level 1.
    await projector.apply(graded("a-1", 1, "operator: 路面塌陷扩大", hours=2))
    await projector.apply(filed("a-2", hours=3, level=1))
    assert len(await staged(sessions)) == 1


async def test_safety_hazard_fires_for_an_appeal_filed_at_level_1(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(projector)
    await projector.apply(filed("a-1", hours=0, cluster=None, level=1))
    [warning] = await staged(sessions)
    assert (warning.kind, warning.cluster_id, warning.appeal_ids) == (
        "safety_hazard",
        None,
        ["a-1"],
    )
    assert warning.key() == warning.warning_id


@pytest.mark.parametrize(
    ("level", "basis", "hazard"),
    [
        (2, "rule: level-2 word '井盖缺失' (edition measures-v4)", True),
        (2, "rule: level-1 word '火灾' as a possibility (version 3)", True),
        (2, "rule: level-2 word '欠薪' (edition measures-v4)", False),
        (2, "warning: hotspot w-1 on event cluster cl-1 (Art. 9)", False),
        (2, "operator: 需提前联系街道", False),
        (3, "rule: no level-1 or level-2 word (edition measures-v4)", False),
        (1, "operator: 危及公共安全", True),
    ],
)
async def test_safety_hazard_follows_the_grade_and_its_basis(
    sessions: Any, projector: Any, level: int, basis: str, hazard: bool
) -> None:
    projector = detecting(projector)
    await projector.apply(filed("a-1", hours=0))
    await projector.apply(graded("a-1", level, basis))

    kinds = [warning.kind for warning in await staged(sessions)]
    assert kinds == (["safety_hazard"] if hazard else [])


# --- sensitive -------------------------------------------------------------------


async def test_sensitive_topic_matches_text_written_with_full_width_spaces(
    sessions: Any, projector: Any
) -> None:
    projector = detecting(projector)
    await projector.apply(
        filed(
            "a-1",
            hours=0,
            category="labour-social-security",
            title="工地　拖欠　工资",
            content="某工地老板拖欠工人工资三个月未发。",
        )
    )
    [warning] = await staged(sessions)
    assert warning.kind == "sensitive"
    assert (warning.cluster_id, warning.appeal_ids) == (CLUSTER, ["a-1"])

    # Another report of the same event: the cluster has its sensitive warning.
    await projector.apply(filed("a-2", hours=1, title="劳资纠纷"))
    assert len(await staged(sessions)) == 1


async def test_sensitive_topic_words_match_across_full_and_half_width(
    sessions: Any, projector: Any, tmp_path: Path
) -> None:
    data = json.loads(
        (
            Path(__file__).parents[1] / "minsheng_analytics/data/warning_rules.json"
        ).read_text(encoding="utf-8")
    )
    data["sensitive"]["金融风险"] = {"words": ["P2P爆雷", "ＥＴＦ清盘"]}
    path = tmp_path / "warning_rules.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    reference = load_reference()
    reference = reference.model_copy(
        update={"watched_topics": [*reference.watched_topics, "金融风险"]}
    )
    projector = detecting(projector, load_warning_rules(reference, path))

    await projector.apply_all(
        [
            filed("a-1", hours=0, cluster=None, title="ｐ２ｐ 爆雷，投资款无法取回"),
            filed("a-2", hours=1, cluster=None, content="某etf清盘后无人答复"),
            filed("a-3", hours=2, cluster=None, title="其他问题咨询"),
        ]
    )
    warnings = await staged(sessions)
    assert [(w.kind, w.appeal_ids) for w in warnings] == [
        ("sensitive", ["a-1"]),
        ("sensitive", ["a-2"]),
    ]


async def test_sensitive_topic_by_category_from_the_rule_data(
    sessions: Any, projector: Any, tmp_path: Path
) -> None:
    data = json.loads(
        (
            Path(__file__).parents[1] / "minsheng_analytics/data/warning_rules.json"
        ).read_text(encoding="utf-8")
    )
    data["sensitive"]["劳资纠纷"]["categories"] = ["labour-social-security"]
    path = tmp_path / "warning_rules.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    projector = detecting(projector, load_warning_rules(load_reference(), path))

    await projector.apply_all(
        [
            filed("a-1", hours=0, cluster=None, category="labour-social-security"),
            filed("a-2", hours=0, cluster=None),
        ]
    )
    assert [w.appeal_ids for w in await staged(sessions)] == [["a-1"]]


async def test_sensitive_topic_words_never_span_the_title_and_the_content(
    sessions: Any, projector: Any
) -> None:
    """噪音 ending the title and 扰民 opening the content make no 噪音扰民, nor
    转 and 学 a 转学; a word whole within one text matches."""
    projector = detecting(projector)
    await projector.apply_all(
        [
            filed("a-1", hours=0, cluster=None, title="工地噪音", content="扰民不大"),
            filed("a-2", hours=0, cluster=None, title="请帮忙转", content="学校旁路灯"),
            filed("a-3", hours=0, cluster=None, title="路灯不亮", content="噪音扰民"),
        ]
    )

    warnings = await staged(sessions)
    assert [(w.kind, w.appeal_ids) for w in warnings] == [("sensitive", ["a-3"])]


# --- safety hazard graded before its filing --------------------------------------


HAZARD = "rule: level-1 word '塌陷' (edition x)"


async def test_safety_hazard_graded_before_its_filing_waits_for_its_cluster(
    sessions: Any, projector: Any
) -> None:
    """a-2's grading arrives before its filing: the filing names a-1's cluster,
    which has its hazard already, so the cluster still has one."""
    projector = detecting(projector)
    await projector.apply(filed("a-1", hours=0, level=1))
    await projector.apply(graded("a-2", 1, HAZARD, hours=2))
    assert len(await staged(sessions)) == 1

    await projector.apply(filed("a-2", hours=1, level=1))

    hazards = [w for w in await staged(sessions) if w.kind == "safety_hazard"]
    assert [(w.cluster_id, w.appeal_ids) for w in hazards] == [(CLUSTER, ["a-1"])]


async def test_safety_hazard_is_the_same_whichever_comes_first(
    sessions: Any, projector: Any
) -> None:
    """Two clusters, each graded a hazard at level 3 filing: one filed then graded,
    the other graded (twice) then filed. Each gets the warning of its cluster,
    raised when the earliest hazard grading was made."""
    projector = detecting(projector)
    await projector.apply(filed("a-1", hours=0, cluster="cl-first"))
    await projector.apply(graded("a-1", 1, HAZARD, hours=1))
    await projector.apply(
        graded("a-2", 2, "rule: level-2 word '井盖缺失' (x)", hours=3)
    )
    await projector.apply(graded("a-2", 1, HAZARD, hours=2))
    assert len(await staged(sessions)) == 1

    await projector.apply(filed("a-2", hours=0, cluster="cl-second"))

    first, second = await staged(sessions)
    for warning, cluster, appeal, hours in (
        (first, "cl-first", "a-1", 1),
        (second, "cl-second", "a-2", 2),
    ):
        assert warning.kind == "safety_hazard"
        assert (warning.cluster_id, warning.appeal_ids) == (cluster, [appeal])
        assert warning.subdistrict_id == "kengzi-jd"
        assert warning.raised_at == T0 + timedelta(hours=hours)


async def test_safety_hazard_waits_for_a_filing_that_never_comes(
    sessions: Any, projector: Any
) -> None:
    """A grading before filing raises nothing alone; nor does a grade that is no
    hazard, filed after."""
    projector = detecting(projector)
    await projector.apply(graded("a-1", 1, HAZARD))
    await projector.apply(graded("a-2", 3, "rule: no level-1 or level-2 word (x)"))
    await projector.apply(filed("a-2", hours=0, cluster=None))

    assert await staged(sessions) == []


# --- the community a citizen writes ------------------------------------------------


async def test_a_community_is_kept_only_as_an_official_name_of_its_subdistrict(
    sessions: Any, projector: Any
) -> None:
    """秀新社区 is one of 坑梓街道's communities; a building in it is the citizen's
    address, and 六联社区 is 坪山街道's: neither names a place, neither is kept."""
    projector = detecting(projector)
    await projector.apply_all(
        [
            noise("a-1", days=0, community=" 秀新社区\u200b"),
            noise("a-2", days=0, community="秀新社区8栋302"),
            noise("a-3", days=0, community="六联社区"),
        ]
    )

    async with sessions() as session:
        rows = await session.execute(
            select(WarningReport.appeal_id, WarningReport.community).order_by(
                WarningReport.appeal_id
            )
        )
        kept = dict(rows.all())
        scopes = list(await session.scalars(select(WarningScope.scope)))
    assert kept == {"a-1": "秀新社区", "a-2": None, "a-3": None}
    assert not [scope for scope in scopes if "8栋" in scope or "六联" in scope]


async def test_high_frequency_of_written_addresses_is_not_counted(
    sessions: Any, projector: Any
) -> None:
    """Three reports over two weeks at what a citizen wrote as community, not a
    community's name: no place, no warning."""
    projector = detecting(projector)
    await projector.apply_all(
        [
            noise(a, days=d, community="秀新社区8栋")
            for a, d in zip(ids(3), (0, 1, 8), strict=True)
        ]
    )

    assert await staged(sessions) == []


async def test_detection_logs_no_community(
    sessions: Any, projector: Any, caplog: pytest.LogCaptureFixture
) -> None:
    projector = detecting(projector)
    caplog.set_level(logging.DEBUG, logger="minsheng_analytics")

    await projector.apply_all(
        [noise(a, days=d) for a, d in zip(ids(3), (0, 1, 8), strict=True)]
        + [noise("a-4", days=9, community="秀新社区8栋302")]
    )

    [warning] = await staged(sessions)
    assert warning.kind == "high_frequency"
    raised = [r for r in caplog.records if "raised" in r.getMessage()]
    assert len(raised) == 1
    for record in caplog.records:
        assert "秀新社区" not in record.getMessage()


async def test_an_offset_past_any_list_of_warnings_is_refused_by_name(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/v1/warnings", params={"offset": str(2**63)})

    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "query.offset"


# --- PostgreSQL: two consumers at once -------------------------------------------


@pytest.fixture
def pg_url(create_database: Callable[[str], str]) -> str:
    # A plain fixture: the factory runs its own event loop.
    return create_database("analytics")


@pytest.fixture
async def pg_sessions(pg_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = pg_url
    await migrations.upgrade_async(MIGRATIONS, url)
    engine = db.make_engine(url)
    yield db.make_sessions(engine)
    await engine.dispose()


async def test_postgres_two_consumers_at_the_threshold_fire_exactly_once(
    pg_sessions: Any, projector: Any
) -> None:
    """Two consumers apply the 4th and 5th reports at once: without the cluster's
    lock each would count four and neither fire; then the 6th and 7th at once must
    not fire a second time."""
    first = detecting(type(projector)(pg_sessions))
    second = detecting(type(projector)(pg_sessions))
    await first.apply_all(
        [filed(a, hours=h) for a, h in zip(ids(3), (0, 1, 2), strict=True)]
    )

    await asyncio.gather(
        first.apply(filed("a-4", hours=3)), second.apply(filed("a-5", hours=4))
    )
    [warning] = await staged(pg_sessions)
    assert sorted(warning.appeal_ids) == ids(5)

    await asyncio.gather(
        first.apply(filed("a-6", hours=5)), second.apply(filed("a-7", hours=6))
    )
    assert len(await staged(pg_sessions)) == 1


# --- the running service ---------------------------------------------------------


async def test_service_raises_publishes_and_projects_its_own_hotspot(
    live_app: FastAPI,
    live_client: httpx.AsyncClient,
    publish: Callable[..., Awaitable[None]],
) -> None:
    """Five reports of one event go in through the broker; the warning comes out of
    analytics' outbox onto the alerts topic and back into its own projection."""
    steps = [filed(a, hours=i) for i, a in enumerate(ids(5))]
    await publish(steps, "intake")

    deadline = time.monotonic() + 30
    while True:
        body = (await live_client.get("/v1/warnings")).json()
        if body["total"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)

    [raised] = await staged(live_app.state.runtime.sessions)
    assert body["total"] == 1
    [item] = body["items"]
    assert item["warning_id"] == raised.warning_id
    assert item["kind"] == "hotspot"
    assert item["cluster_id"] == CLUSTER
    assert sorted(item["appeal_ids"]) == ids(5)
    assert item["count"] == 5
    assert item["window_hours"] == 24
    assert item["subdistrict_id"] == "kengzi-jd"
    assert datetime.fromisoformat(item["raised_at"]) == steps[4][1]
