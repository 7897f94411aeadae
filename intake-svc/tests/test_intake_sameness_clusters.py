"""Event clusters (Art. 18) on the store, SQLite and PostgreSQL: several people's
reports of one event share a cluster id; another event opens another."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import ids
from minsheng_common.db import make_engine, make_sessions
from minsheng_common.migrations import upgrade_async
from minsheng_common.settings import async_url
from minsheng_intake.app import MIGRATIONS
from minsheng_intake.sameness import clusters, places
from minsheng_intake.sameness.models import EventCluster
from minsheng_intake.sameness.similarity import describe

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Three people, three wordings, one pothole on 丹梓大道 by number 18.
POTHOLE = [
    "丹梓大道18号门口马路上有个大坑，车子经过很危险",
    "丹梓大道18号附近路面坑洼严重，车辆通行有安全隐患",
    "丹梓大道18号那里路面塌陷了一个坑，晚上骑车差点摔倒",
]
# The same kind of problem at another place.
POTHOLE_ELSEWHERE = "龙田社区深汕路66号路面有个大坑，车子经过很危险"


@pytest.fixture
async def sessions(store_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated intake store (every revision head, ours included)."""
    url = async_url(store_url)
    await upgrade_async(MIGRATIONS, url)
    engine = make_engine(url)
    yield make_sessions(engine)
    await engine.dispose()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def assign(
    sessions: async_sessionmaker[AsyncSession],
    content: str,
    received: str,
    *,
    subdistrict_id: str = "kengzi-jd",
    community: str = "秀新社区",
    appeal_id: str | None = None,
    parts: Mapping[str, str] | None = None,
) -> str:
    problem = describe(
        title="",
        content=content,
        subdistrict_id=subdistrict_id,
        community=community,
        parts=parts,
    )
    async with sessions() as session:
        cluster_id = await clusters.assign_cluster(
            session,
            appeal_id=appeal_id or ids.new_id(),
            problem=problem,
            received_at=at(received),
        )
        await session.commit()
    return cluster_id


async def test_three_reports_of_one_pothole_share_a_cluster_and_another_does_not(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await assign(sessions, POTHOLE[0], "2026-12-04 08:10")
    second = await assign(sessions, POTHOLE[1], "2026-12-04 09:40")
    third = await assign(sessions, POTHOLE[2], "2026-12-05 21:00")
    elsewhere = await assign(
        sessions,
        POTHOLE_ELSEWHERE,
        "2026-12-04 10:00",
        subdistrict_id="longtian-jd",
        community="龙田社区",
    )

    async with sessions() as session:
        cluster = await session.get(EventCluster, first)
        joined = await clusters.members(session, first)

    assert first == second == third
    assert elsewhere != first
    assert cluster is not None
    assert cluster.size == 3
    assert cluster.opened_at == at("2026-12-04 08:10")
    assert cluster.last_seen_at == at("2026-12-05 21:00")
    assert len(joined) == 3


async def test_another_problem_at_the_same_place_opens_its_own_cluster(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    pothole = await assign(sessions, POTHOLE[0], "2026-12-04 08:10")
    lamp = await assign(sessions, "丹梓大道18号门口路灯不亮", "2026-12-04 08:30")

    assert lamp != pothole


async def test_the_same_words_at_another_road_and_number_are_another_event(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    here = await assign(sessions, POTHOLE[0], "2026-12-04 08:10")
    down_the_road = await assign(
        sessions, "深汕路66号门口马路上有个大坑，车子经过很危险", "2026-12-04 08:30"
    )
    by_the_parser = await assign(
        sessions,
        "门口马路上有个大坑，车子经过很危险",
        "2026-12-04 08:40",
        parts={places.ROAD: "深汕路", places.NUMBER: "66"},
    )

    assert down_the_road != here
    assert by_the_parser == down_the_road


async def test_a_report_after_the_window_opens_a_new_cluster(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """72 hours after the cluster's latest report, the same words are a new event."""
    first = await assign(sessions, POTHOLE[0], "2026-12-01 08:00")
    within = await assign(sessions, POTHOLE[1], "2026-12-04 07:59")
    later = await assign(sessions, POTHOLE[2], "2026-12-07 08:00")

    assert within == first
    assert later != first


async def test_an_appeal_keeps_its_cluster(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    appeal_id = ids.new_id()
    first = await assign(sessions, POTHOLE[0], "2026-12-04 08:10", appeal_id=appeal_id)
    again = await assign(sessions, POTHOLE[0], "2026-12-04 08:10", appeal_id=appeal_id)

    async with sessions() as session:
        cluster = await session.get(EventCluster, first)
        held = await clusters.cluster_of(session, appeal_id)

    assert again == first == held
    assert cluster is not None and cluster.size == 1
