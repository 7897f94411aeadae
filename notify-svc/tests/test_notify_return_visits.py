"""Return visits (回访, Art. 30) and satisfaction (Art. 31) through the consumer
handlers: the survey after a closure, answers by link or SMS reply read into
ratings and announced (return_visit.answered), unsatisfied orders listed as
reopening candidates until dispatch reopens them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from minsheng_common.events import WorkOrderClosed, WorkOrderReopened
from minsheng_notify import return_visits
from minsheng_notify.official_errors import (
    ReplyUnreadable,
    SurveyAnswered,
    SurveyExpired,
    SurveyNotFound,
)
from minsheng_notify.official_models import Survey

CLOSED_AT = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
LINK = re.compile(r"https://notify\.test/v1/surveys/([A-Za-z]{40})$")


def closed(
    work_order_id: str = "wo-1", appeal_id: str = "a-1", *, at: datetime = CLOSED_AT
) -> WorkOrderClosed:
    return WorkOrderClosed(
        work_order_id=work_order_id,
        appeal_id=appeal_id,
        unit_id="cgj",
        outcome="on_time",
        handled_at=at,
        closed_at=at,
        closed_by="operator-1",
    )


async def surveys(officials: Any) -> list[Survey]:
    async with officials.notify.sessions() as session:
        result = await session.scalars(
            select(Survey).order_by(Survey.created_at, Survey.id)
        )
        return list(result)


async def answer_sms(
    officials: Any, text: str, *, phone: str = "+86 138-0013-8000", **more: Any
) -> return_visits.ReplyOutcome:
    reply = return_visits.SmsReply(
        message_id=more.pop("message_id", "sms-1"),
        phone=phone,
        text=text,
        provider_ref=more.pop("provider_ref", None),
    )
    async with officials.notify.sessions() as session:
        return await return_visits.answer_by_sms(
            session=session, context=officials.context, reply=reply
        )


async def test_notify_art30_closure_sends_the_citizen_one_survey(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")

    await officials.apply(closed())
    await officials.apply(closed())

    (notice,) = await officials.messages("return_visit")
    match = LINK.search(notice.body)
    assert match is not None
    assert notice.body == (
        "【民生诉求回访】您的诉求（编号MS20261204000123）已由区城市管理和综合执法局"
        "办结。请评价：1办理速度 2办理效果 3服务态度 4平台体验，回复题号加“满意”"
        "“基本满意”或“不满意”，如“1满意 2满意 3满意 4满意”；问题未解决请注明。"
        f"也可打开链接评价：https://notify.test/v1/surveys/{match.group(1)}"
    )
    # The unit never sees the link among its notices.
    assert (notice.unit_id, notice.work_order_id) == (None, None)
    (survey,) = await surveys(officials)
    assert survey.token == match.group(1)
    assert survey.notice_id == notice.id
    assert survey.expires_at == officials.notify.clock.now() + timedelta(days=15)
    assert survey.contact_hash is not None
    assert "13800138000" not in repr(survey.__dict__)


async def test_notify_art30_survey_reaches_the_citizen_through_delivery(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")
    await officials.apply(closed())

    await officials.notify.send()

    (notice,) = await officials.messages("return_visit")
    assert notice.status == "sent"
    document = json.loads(
        (officials.notify.mailbox / f"{notice.id}.json").read_text(encoding="utf-8")
    )
    assert document["contact"] == "13800138000"
    assert LINK.search(document["body"]) is not None
    (event,) = [
        e for e in await officials.notify.events("notice.sent") if e["kind"] != "filed"
    ]
    assert event["kind"] == "return_visit"


async def test_notify_a_reopened_order_closed_again_gets_a_new_survey(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")
    await officials.apply(closed())

    await officials.apply(closed(at=CLOSED_AT + timedelta(days=3)))

    assert len(await officials.messages("return_visit")) == 2


async def test_notify_art31_link_answer_is_announced_with_its_ratings(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")
    await officials.apply(closed())
    (survey,) = await surveys(officials)

    async with officials.notify.sessions() as session:
        await return_visits.answer_by_link(
            session=session,
            context=officials.context,
            token=survey.token,
            ratings={"speed": 5, "effect": 4, "service": 5, "system": 4},
            solved=True,
            comment="处理及时，联系13900001111",
        )

    (event,) = await officials.notify.events("return_visit.answered")
    assert event == {
        "survey_id": survey.id,
        "work_order_id": "wo-1",
        "appeal_id": "a-1",
        "unit_id": "cgj",
        "channel": "link",
        "speed": 5,
        "effect": 4,
        "service": 5,
        "system": 4,
        "satisfied": True,
        "solved": True,
        "answered_at": "2026-12-04T01:30:00Z",
    }
    (kept,) = await surveys(officials)
    assert kept.reply_text is not None
    assert "13900001111" not in kept.reply_text


async def test_notify_art31_sms_reply_by_number_rates_and_raises_a_candidate(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")
    await officials.apply(closed())

    outcome = await answer_sms(officials, "１满意 2 不满意…")

    assert outcome.duplicate is False
    assert (outcome.survey.speed, outcome.survey.effect) == (4, 2)
    assert outcome.survey.satisfied is False
    (event,) = await officials.notify.events("return_visit.answered")
    assert event["channel"] == "sms"
    assert (event["speed"], event["effect"], event["service"]) == (4, 2, None)
    assert event["satisfied"] is False
    async with officials.notify.sessions() as session:
        (candidate,) = await return_visits.reopen_candidates(
            session=session, include_reopened=False, unit_id=None, limit=10, offset=0
        )
    assert candidate.work_order_id == "wo-1"


async def test_notify_same_sms_reply_twice_counts_once(make_officials: Any) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")
    await officials.apply(closed())
    await answer_sms(officials, "满意")

    again = await answer_sms(officials, "满意")

    assert again.duplicate is True
    assert len(await officials.notify.events("return_visit.answered")) == 1


async def test_notify_sms_reply_finds_its_survey_by_the_gateways_reference(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")
    await officials.apply(closed())
    await officials.notify.send()
    (notice,) = await officials.messages("return_visit")

    outcome = await answer_sms(
        officials, "5 5 5 5", phone="10000", provider_ref=notice.provider_ref
    )

    assert outcome.survey.satisfied is True
    assert outcome.survey.system == 5


async def test_notify_sms_reply_takes_the_newest_open_survey_of_the_number(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")
    await officials.notify.file_appeal("a-2", tracking_code="MS20261204000999")
    await officials.apply(closed("wo-1", "a-1"))
    officials.notify.clock.advance(timedelta(minutes=1))
    await officials.apply(closed("wo-2", "a-2"))

    first = await answer_sms(officials, "满意", message_id="sms-1")
    second = await answer_sms(officials, "不满意", message_id="sms-2")

    assert first.survey.work_order_id == "wo-2"
    assert second.survey.work_order_id == "wo-1"


@pytest.mark.parametrize(
    ("phone", "error"),
    [("13900001111", SurveyNotFound), ("8613800138000", None)],
)
async def test_notify_sms_reply_from_another_number_finds_no_survey(
    make_officials: Any, phone: str, error: type[Exception] | None
) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")
    await officials.apply(closed())

    if error is None:
        assert (await answer_sms(officials, "满意", phone=phone)).survey.satisfied
    else:
        with pytest.raises(error):
            await answer_sms(officials, "满意", phone=phone)


async def test_notify_survey_answered_or_expired_refuses_answers(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")
    await officials.notify.file_appeal("a-2")
    await officials.apply(closed("wo-1", "a-1"))
    await answer_sms(officials, "满意")
    (survey,) = await surveys(officials)

    async with officials.notify.sessions() as session:
        with pytest.raises(SurveyAnswered):
            await return_visits.answer_by_link(
                session=session,
                context=officials.context,
                token=survey.token,
                ratings={"speed": 1},
                solved=None,
                comment=None,
            )

    await officials.apply(closed("wo-2", "a-2"))
    officials.notify.clock.advance(timedelta(days=15))
    (expired,) = [s for s in await surveys(officials) if s.work_order_id == "wo-2"]
    async with officials.notify.sessions() as session:
        with pytest.raises(SurveyExpired):
            await return_visits.answer_by_link(
                session=session,
                context=officials.context,
                token=expired.token,
                ratings={"speed": 1},
                solved=None,
                comment=None,
            )
    # An SMS reply after the survey expired finds no open survey.
    with pytest.raises(SurveyNotFound):
        await answer_sms(officials, "满意", message_id="sms-late")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The harness's own SQLite store, or a fresh PostgreSQL one."""
    if request.param == "sqlite":
        return {}
    create_database: Callable[[str], str] = request.getfixturevalue("create_database")
    return {"url": create_database("notify_surveys")}


async def test_notify_art31_parallel_answers_to_one_survey_one_wins(
    make_officials: Any, store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Art. 31: one survey, one answer. Four answers through the link at once (a
    double tap, a retry), each reading the survey before any is recorded where the
    store lets them, are decided by the store: one is kept and announced, the
    others are refused as answered, on SQLite as on PostgreSQL."""
    officials = await make_officials(**store)
    await officials.notify.file_appeal("a-1")
    await officials.apply(closed())
    (survey,) = await surveys(officials)
    read = return_visits._locked_by_token
    readers: list[str] = []
    all_read = asyncio.Event()

    async def read_then_wait(session: Any, token: str) -> Survey:
        # PostgreSQL's row lock holds the others back, so the wait is bounded.
        found = await read(session, token)
        readers.append(token)
        if len(readers) == 4:
            all_read.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_read.wait(), timeout=0.5)
        return found

    monkeypatch.setattr(return_visits, "_locked_by_token", read_then_wait)

    async def answer(speed: int) -> int:
        async with officials.notify.sessions() as session:
            try:
                await return_visits.answer_by_link(
                    session=session,
                    context=officials.context,
                    token=survey.token,
                    ratings={"speed": speed, "effect": speed},
                    solved=None,
                    comment=None,
                )
            except SurveyAnswered:
                return 0
            return speed

    outcomes = await asyncio.gather(*(answer(speed) for speed in (1, 2, 4, 5)))

    (kept_speed,) = [speed for speed in outcomes if speed]
    assert outcomes.count(0) == 3
    (event,) = await officials.notify.events("return_visit.answered")
    assert (event["speed"], event["effect"]) == (kept_speed, kept_speed)
    (kept,) = await surveys(officials)
    assert (kept.speed, kept.effect) == (kept_speed, kept_speed)
    assert kept.answer_channel == "link"


async def test_notify_unreadable_sms_reply_is_refused_and_changes_nothing(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")
    await officials.apply(closed())

    with pytest.raises(ReplyUnreadable):
        await answer_sms(officials, "谢谢")

    (survey,) = await surveys(officials)
    assert survey.answered_at is None
    assert await officials.notify.events("return_visit.answered") == []


async def test_notify_reopened_order_leaves_the_reopening_candidates(
    make_officials: Any,
) -> None:
    officials = await make_officials()
    await officials.notify.file_appeal("a-1")
    await officials.apply(closed())
    await answer_sms(officials, "不满意，问题没解决")

    officials.notify.clock.advance(timedelta(hours=1))
    await officials.apply(
        WorkOrderReopened(
            work_order_id="wo-1",
            appeal_id="a-1",
            unit_id="cgj",
            round=2,
            reason="回访不满意",
            reopened_at=officials.notify.clock.now(),
            reopened_by="operator-1",
        )
    )

    async with officials.notify.sessions() as session:
        open_now = await return_visits.reopen_candidates(
            session=session, include_reopened=False, unit_id=None, limit=10, offset=0
        )
        every = await return_visits.reopen_candidates(
            session=session, include_reopened=True, unit_id=None, limit=10, offset=0
        )
    assert open_now == []
    assert [s.reopened_at for s in every] == [officials.notify.clock.now()]
