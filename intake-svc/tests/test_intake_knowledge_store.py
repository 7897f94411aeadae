"""The knowledge base on the store: instant answers to consultations (秒回, Art. 44)
with their threshold, the record of answers and the one-time answer rate (Art. 43),
two changes of one version, and the migration. Every test runs on SQLite and on
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, inspect
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Role
from minsheng_common.reference import load_reference
from minsheng_common.runtime import ServiceRuntime
from minsheng_intake.knowledge import service
from minsheng_intake.knowledge.errors import VersionConflict
from minsheng_intake.knowledge.models import (
    InstantAnswerRecord,
    KnowledgeEntry,
    KnowledgeEntryVersion,
)
from minsheng_intake.knowledge.schemas import EntryIn, EntryUpdate
from minsheng_intake.models import Appeal, Base

ClientFor = Callable[[str | None], AbstractAsyncContextManager[httpx.AsyncClient]]

REFERENCE = load_reference()
SUPERVISOR = Principal(subject="zhang", role=Role.SUPERVISOR)
DEFAULTS = service.KnowledgeParams()
NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)

RESIDENCE = EntryIn(
    unit_id="gafj",
    category_id="public-order",
    question="如何办理居住证？",
    answer="在坪山居住满半年的，可携带身份证、租赁合同到居住地社区工作站申领居住证。",
    keywords=["居住证", "办理", "材料"],
    valid_from=NOW - timedelta(days=30),
)
SOCIAL_CARD = EntryIn(
    unit_id="rlzyj",
    category_id="labour-social-security",
    question="社保卡丢了怎么补办？",
    answer="可在区人力资源局窗口或“深圳社保”小程序挂失并补办，工本费免收。",
    keywords=["社保卡", "补办", "挂失"],
    valid_from=NOW - timedelta(days=30),
)


def sessions(app: FastAPI) -> Callable[[], AbstractAsyncContextManager[AsyncSession]]:
    runtime: ServiceRuntime = app.state.runtime
    return runtime.sessions


async def add(app: FastAPI, incoming: EntryIn) -> KnowledgeEntry:
    async with sessions(app)() as session:
        return await service.create(
            session=session,
            reference=REFERENCE,
            principal=SUPERVISOR,
            incoming=incoming,
            now=NOW,
        )


async def ask(
    app: FastAPI,
    title: str,
    content: str = "",
    *,
    category_id: str | None = None,
    at: datetime = NOW,
    params: service.KnowledgeParams = DEFAULTS,
) -> service.InstantAnswer | None:
    async with sessions(app)() as session:
        return await service.instant_answer(
            session,
            title=title,
            content=content,
            category_id=category_id,
            at=at,
            params=params,
        )


# --- instant answers (秒回, Art. 44) ---------------------------------------------


async def test_a_paraphrased_consultation_is_answered_with_the_entry_and_confidence(
    app: FastAPI,
) -> None:
    residence = await add(app, RESIDENCE)
    await add(app, SOCIAL_CARD)

    answer = await ask(app, "咨询居住证", "你好，请问居住证怎么办理？")

    assert answer is not None
    assert answer.entry_id == residence.id
    assert answer.entry_version == 1
    assert answer.answer == RESIDENCE.answer
    assert DEFAULTS.instant_answer_threshold <= answer.confidence <= 1


async def test_an_unrelated_consultation_gets_no_instant_answer(app: FastAPI) -> None:
    await add(app, RESIDENCE)
    await add(app, SOCIAL_CARD)

    assert await ask(app, "咨询", "请问办理营业执照需要带什么材料？") is None
    assert await ask(app, "公交线路", "坑梓到坪山高铁站的公交什么时候开通？") is None
    assert await ask(app, "你好", "请问？") is None


async def test_the_threshold_is_a_rule_parameter(app: FastAPI) -> None:
    await add(app, RESIDENCE)
    asked = ("居住证", "我刚来坪山工作，想问一下居住证在哪里办，要带什么材料")

    lenient = await ask(
        app, *asked, params=service.KnowledgeParams(instant_answer_threshold=0.5)
    )
    strict = await ask(
        app, *asked, params=service.KnowledgeParams(instant_answer_threshold=0.95)
    )

    assert lenient is not None
    assert strict is None
    assert 0.5 <= lenient.confidence < 0.95


async def test_an_instant_answer_comes_only_from_an_entry_that_holds_at_the_time(
    app: FastAPI,
) -> None:
    await add(
        app,
        RESIDENCE.model_copy(
            update={"valid_from": NOW + timedelta(days=1), "valid_to": None}
        ),
    )
    await add(
        app,
        RESIDENCE.model_copy(
            update={
                "valid_from": NOW - timedelta(days=60),
                "valid_to": NOW - timedelta(days=1),
            }
        ),
    )

    assert await ask(app, "居住证怎么办理") is None
    assert await ask(app, "居住证怎么办理", at=NOW + timedelta(days=2)) is not None
    assert await ask(app, "居住证怎么办理", at=NOW - timedelta(days=2)) is not None


async def test_a_retired_entry_no_longer_answers(app: FastAPI) -> None:
    residence = await add(app, RESIDENCE)
    assert await ask(app, "居住证怎么办理") is not None

    async with sessions(app)() as session:
        await service.retire(
            session=session,
            principal=SUPERVISOR,
            entry_id=residence.id,
            note=None,
            now=NOW + timedelta(hours=1),
        )

    assert await ask(app, "居住证怎么办理", at=NOW + timedelta(hours=2)) is None
    # Before its retirement it held: an answer given then is still explained.
    assert await ask(app, "居住证怎么办理", at=NOW) is not None


async def test_a_known_category_narrows_the_instant_answer_to_its_entries(
    app: FastAPI,
) -> None:
    await add(app, RESIDENCE)

    assert await ask(app, "居住证怎么办理", category_id="public-order") is not None
    assert await ask(app, "居住证怎么办理", category_id="education") is None


async def test_an_instant_answer_gives_the_current_version_of_the_entry(
    app: FastAPI,
) -> None:
    residence = await add(app, RESIDENCE)
    async with sessions(app)() as session:
        await service.update(
            session=session,
            reference=REFERENCE,
            principal=SUPERVISOR,
            entry_id=residence.id,
            change=EntryUpdate(
                **RESIDENCE.model_dump(exclude={"unit_id"}) | {"answer": "新版答复。"}
            ),
            now=NOW,
        )

    answer = await ask(app, "居住证怎么办理")

    assert answer is not None
    assert (answer.entry_version, answer.answer) == (2, "新版答复。")


# --- the record and the one-time answer rate (Art. 43) ----------------------------


async def received(
    app: FastAPI, appeal_id: str, at: str, appeal_type: str = "consultation"
) -> str:
    """An appeal as intake stored it when received at `at` (only the columns the
    rate reads, and those every appeal has); its id."""
    moment = datetime.fromisoformat(at)
    async with sessions(app)() as session:
        await session.execute(
            insert(Appeal).values(
                id=appeal_id,
                tracking_code=f"MS{appeal_id}",
                channel="hotline-12345",
                channel_ref=appeal_id,
                appeal_type=appeal_type,
                title="咨询居住证办理",
                content="请问在坑梓街道秀新社区怎么办理居住证？",
                received_at=moment,
                status="filed",
                decided_at=moment,
            )
        )
        await session.commit()
    return appeal_id


async def answer_at_once(app: FastAPI, appeal_id: str, entry: KnowledgeEntry) -> None:
    answer = service.InstantAnswer(
        entry_id=entry.id,
        entry_version=entry.version,
        unit_id=entry.unit_id,
        category_id=entry.category_id,
        question=entry.question,
        answer=entry.answer,
        confidence=0.8,
    )
    async with sessions(app)() as session:
        await service.record_answer(session, appeal_id=appeal_id, answer=answer, at=NOW)
        await session.commit()


async def test_recording_an_answer_twice_keeps_the_first_record(app: FastAPI) -> None:
    entry = await add(app, RESIDENCE)
    other = await add(app, SOCIAL_CARD)

    await answer_at_once(app, "appeal-1", entry)
    await answer_at_once(app, "appeal-1", other)

    async with sessions(app)() as session:
        record = await session.get(InstantAnswerRecord, "appeal-1")
    assert record is not None
    assert (record.entry_id, record.entry_version) == (entry.id, 1)
    assert record.confidence == pytest.approx(0.8)
    assert record.answered_at == NOW


async def test_the_answer_rate_is_consultations_answered_at_once_over_all_received(
    app: FastAPI, client_for: ClientFor
) -> None:
    entry = await add(app, RESIDENCE)
    answered = [
        await received(app, f"c-{number}", "2026-12-01T09:00:00+08:00")
        for number in range(3)
    ]
    await received(app, "c-not-answered", "2026-12-02T23:59:59+08:00")
    # Outside the period, or not a consultation: not counted.
    early = await received(app, "c-early", "2026-11-30T23:59:59+08:00")
    late = await received(app, "c-late", "2026-12-03T00:00:00+08:00")
    complaint = await received(
        app, "complaint", "2026-12-01T10:00:00+08:00", appeal_type="complaint"
    )
    for appeal_id in [*answered, early, late, complaint]:
        await answer_at_once(app, appeal_id, entry)

    async with client_for("operator") as http:
        answer = await http.get(
            "/v1/knowledge/answer-rate",
            params={"from": "2026-12-01T00:00:00", "to": "2026-12-03T00:00:00+08:00"},
        )

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "period_from": "2026-11-30T16:00:00Z",
        "period_to": "2026-12-02T16:00:00Z",
        "consultations": 4,
        "answered_at_once": 3,
        "rate": 0.75,
        "target": 0.9,
        "meets_target": False,
    }


async def test_a_period_without_consultations_has_no_rate(
    client_for: ClientFor,
) -> None:
    async with client_for("operator") as http:
        answer = await http.get(
            "/v1/knowledge/answer-rate",
            params={"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z"},
        )

    assert answer.json()["consultations"] == 0
    assert answer.json()["rate"] is None
    assert answer.json()["meets_target"] is None


async def test_the_answer_rate_target_comes_from_the_rule_parameters(
    app: FastAPI, client_for: ClientFor
) -> None:
    entry = await add(app, RESIDENCE)
    appeal_id = await received(app, "c-1", "2026-12-01T09:00:00+08:00")
    await answer_at_once(app, appeal_id, entry)
    app.state.knowledge_params = lambda _at: service.KnowledgeParams(
        one_time_answer_target=0.95
    )

    async with client_for("operator") as http:
        answer = await http.get(
            "/v1/knowledge/answer-rate",
            params={"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z"},
        )

    assert answer.json()["target"] == 0.95
    assert answer.json()["rate"] == 1.0
    assert answer.json()["meets_target"] is True


# --- changes and the store -------------------------------------------------------


async def test_two_changes_of_the_same_version_keep_only_the_first(
    app: FastAPI,
) -> None:
    entry = await add(app, RESIDENCE)
    # Another change of version 1 was kept just before this one.
    async with sessions(app)() as session:
        session.add(
            KnowledgeEntryVersion(
                entry_id=entry.id,
                version=2,
                action="updated",
                unit_id="gafj",
                category_id="public-order",
                question=entry.question,
                answer="另一位同事的修改。",
                keywords=[],
                valid_from=entry.valid_from,
                changed_by="supervisor:li",
                changed_at=NOW,
            )
        )
        await session.commit()

    async with sessions(app)() as session:
        with pytest.raises(VersionConflict):
            await service.update(
                session=session,
                reference=REFERENCE,
                principal=SUPERVISOR,
                entry_id=entry.id,
                change=EntryUpdate(
                    **RESIDENCE.model_dump(exclude={"unit_id"})
                    | {"answer": "我的修改。"}
                ),
                now=NOW,
            )

    async with sessions(app)() as session:
        stored = await session.get(KnowledgeEntry, entry.id)
    assert stored is not None
    assert (stored.version, stored.answer) == (1, RESIDENCE.answer)


@pytest.mark.parametrize(
    "table", ["knowledge_entries", "knowledge_entry_versions", "instant_answers"]
)
async def test_the_migration_creates_each_table_as_the_models_describe_it(
    app: FastAPI, table: str
) -> None:
    runtime: ServiceRuntime = app.state.runtime
    model = Base.metadata.tables[table]

    async with runtime.engine.connect() as connection:
        columns = await connection.run_sync(
            lambda sync: {
                column["name"]: column["nullable"]
                for column in inspect(sync).get_columns(table)
            }
        )

    assert columns == {column.name: column.nullable for column in model.columns}
