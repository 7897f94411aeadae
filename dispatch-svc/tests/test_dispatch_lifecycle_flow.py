"""The life of a work order through the API: returns and re-dispatch (Art. 13),
progress, the handling notice (Art. 29), closure and its gates (Art. 17), staged
closures and their check, reopening (重办). Each step emits its event and is audited
under the caller's label."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from minsheng_common.events import AppealFiled, DeadlineReached, DeadlineSet, NoticeSent

NOW = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PDF_HEAD = b"%PDF-1.7\n"
Life = Any
"""The `life` fixture of conftest.py: dispatch running with clients and events."""


def sign_off_set(order_id: str) -> DeadlineSet:
    return DeadlineSet(
        deadline_id="sign-off-1",
        work_order_id=order_id,
        appeal_id="appeal-1",
        unit_id="cgj",
        kind="sign_off",
        starts_at=NOW,
        due_at=NOW + timedelta(hours=2),
        provisional=False,
        article="Art. 13",
        period="PT2H",
        rules_edition="measures-v4",
    )


def sign_off_reached(order_id: str) -> DeadlineReached:
    return DeadlineReached(
        deadline_id="sign-off-1",
        work_order_id=order_id,
        appeal_id="appeal-1",
        unit_id="cgj",
        kind="sign_off",
        due_at=NOW + timedelta(hours=2),
        reached_at=NOW + timedelta(hours=2),
    )


def error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


def url(order: dict[str, Any], step: str) -> str:
    return f"/v1/work-orders/{order['id']}/{step}"


# Returns (Art. 13).


async def test_dispatch_lifecycle_return_approved_redispatches_a_new_order(
    life: Life,
) -> None:
    order = await life.file()

    asked = await life.cgj.post(url(order, "return"), json={"reason": "不属本单位职责"})
    approved = await life.center.post(
        url(order, "return/approve"), json={"unit_id": "swj", "reason": "属水务职责"}
    )

    assert asked.status_code == 200 and asked.json()["status"] == "return_requested"
    assert approved.status_code == 200, approved.text
    new = approved.json()
    assert new["id"] != order["id"]
    assert new["unit_id"] == "swj" and new["status"] == "dispatched"
    assert new["appeal_id"] == order["appeal_id"]
    assert new["redispatched_from"] == order["id"]
    assert new["clock_from"] == "dispatched"
    assert new["route"]["reason"] == "center_redispatch"
    old = await life.order(order["id"])
    assert old["status"] == "returned" and old["redispatched_to"] == new["id"]
    events = await life.events()
    assert [t for t, _ in events][1:] == [
        "work_order.return_requested",
        "work_order.return_decided",
        "work_order.dispatched",
    ]
    decided = events[2][1]
    assert decided["approved"] is True and decided["redispatched_to"] == new["id"]
    assert events[3][1]["unit_id"] == "swj"
    assert events[3][1]["clock_from"] == "dispatched"
    # The new unit sees and signs its order; the old one no longer can act.
    signed = await life.swj.post(url(new, "sign"), json={"signed_by": "李科员"})
    assert signed.status_code == 200
    again = await life.cgj.post(url(order, "sign"), json={"signed_by": "王科员"})
    assert again.status_code == 409 and error(again)["code"] == "order_returned"


async def test_dispatch_lifecycle_return_refused_keeps_the_order_to_sign(
    life: Life,
) -> None:
    order = await life.file()
    await life.cgj.post(url(order, "return"), json={"reason": "不属本单位职责"})

    refused = await life.center.post(
        url(order, "return/refuse"), json={"reason": "路灯属城管职责"}
    )
    signed = await life.cgj.post(url(order, "sign"), json={"signed_by": "王科员"})

    assert refused.status_code == 200 and refused.json()["status"] == "dispatched"
    assert signed.status_code == 200 and signed.json()["sign_mode"] == "manual"
    events = await life.events()
    decided = [data for kind, data in events if kind == "work_order.return_decided"]
    assert decided[0]["approved"] is False
    assert decided[0]["reason"] == "路灯属城管职责"


async def test_dispatch_lifecycle_return_refused_after_the_sign_off_time_is_signed(
    life: Life,
) -> None:
    order = await life.file()
    await life.deliver(sign_off_set(order["id"]))
    await life.cgj.post(url(order, "return"), json={"reason": "不属本单位职责"})
    life.clock.advance(timedelta(hours=3))

    refused = await life.center.post(
        url(order, "return/refuse"), json={"reason": "路灯属城管职责"}
    )

    body = refused.json()
    assert body["status"] == "signed" and body["sign_mode"] == "auto"
    signed_at = datetime.fromisoformat(body["signed_at"])
    assert NOW + timedelta(hours=3) <= signed_at <= life.now()


async def test_dispatch_lifecycle_no_return_after_signing_art_13(life: Life) -> None:
    order = await life.signed()

    response = await life.cgj.post(url(order, "return"), json={"reason": "不属本单位"})

    assert response.status_code == 409
    assert error(response)["code"] == "already_signed"
    assert "Art. 13" in error(response)["message"]


async def test_dispatch_lifecycle_return_after_the_sign_off_time_finds_it_signed(
    life: Life,
) -> None:
    order = await life.file()
    await life.deliver(sign_off_set(order["id"]))
    life.clock.advance(timedelta(hours=2))

    response = await life.cgj.post(url(order, "return"), json={"reason": "不属本单位"})

    assert response.status_code == 409
    assert error(response)["code"] == "already_signed"
    current = await life.order(order["id"])
    assert current["status"] == "signed" and current["sign_mode"] == "auto"


async def test_dispatch_lifecycle_a_pending_return_blocks_signing_and_auto_sign(
    life: Life,
) -> None:
    order = await life.file()
    await life.cgj.post(url(order, "return"), json={"reason": "不属本单位职责"})

    sign = await life.cgj.post(url(order, "sign"), json={"signed_by": "王科员"})
    await life.deliver(sign_off_reached(order["id"]))
    again = await life.cgj.post(url(order, "return"), json={"reason": "再次申请"})

    assert sign.status_code == 409 and error(sign)["code"] == "return_pending"
    assert again.status_code == 409 and error(again)["code"] == "return_pending"
    assert (await life.order(order["id"]))["status"] == "return_requested"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"unit_id": "cgj", "reason": "原单位"}, "unit_id"),
        ({"unit_id": "no-such-unit", "reason": "不存在"}, "unit_id"),
    ],
)
async def test_dispatch_lifecycle_a_return_goes_to_another_known_unit(
    life: Life, body: dict[str, str], field: str
) -> None:
    order = await life.file()
    await life.cgj.post(url(order, "return"), json={"reason": "不属本单位职责"})

    response = await life.center.post(url(order, "return/approve"), json=body)

    assert response.status_code == 422
    assert error(response)["code"] == "redispatch_unit_invalid"
    assert error(response)["field"] == field
    assert (await life.order(order["id"]))["status"] == "return_requested"


async def test_dispatch_lifecycle_deciding_a_return_nobody_asked_for_is_refused(
    life: Life,
) -> None:
    order = await life.file()

    for step, body in (
        ("return/approve", {"unit_id": "swj", "reason": "x"}),
        ("return/refuse", {"reason": "x"}),
    ):
        response = await life.center.post(url(order, step), json=body)
        assert response.status_code == 409
        assert error(response)["code"] == "no_return_requested"
        assert "Art. 13" in error(response)["message"]


# Progress and the handling notice.


async def test_dispatch_lifecycle_first_progress_note_puts_the_order_in_progress(
    life: Life,
) -> None:
    order = await life.signed()

    first = await life.cgj.post(url(order, "progress"), json={"note": "已派人勘查"})
    life.clock.advance(timedelta(hours=1))
    second = await life.cgj.post(url(order, "progress"), json={"note": "已更换灯泡"})

    assert first.json()["status"] == "in_progress"
    assert second.json()["progress_started_at"] == first.json()["progress_started_at"]
    notes = [d for t, d in await life.events() if t == "work_order.progress_added"]
    assert [n["note"] for n in notes] == ["已派人勘查", "已更换灯泡"]
    assert notes[0]["added_by"].endswith("@cgj")


async def test_dispatch_lifecycle_progress_before_signing_is_refused(
    life: Life,
) -> None:
    order = await life.file()

    response = await life.cgj.post(url(order, "progress"), json={"note": "处理中"})

    assert response.status_code == 409
    assert error(response)["code"] == "not_signed"
    assert "Art. 13" in error(response)["message"]


async def test_dispatch_lifecycle_handling_notice_once_per_round(life: Life) -> None:
    order = await life.signed()

    first = await life.cgj.post(
        url(order, "handling-notice"), json={"message": "已修复，电话13800138000"}
    )
    second = await life.cgj.post(
        url(order, "handling-notice"), json={"message": "再次告知"}
    )

    assert first.status_code == 202
    assert "13800138000" not in first.text
    assert second.status_code == 409
    assert error(second)["code"] == "handling_notice_already_requested"
    (requested,) = [
        d for t, d in await life.events() if t == "work_order.handling_notice_requested"
    ]
    assert requested["request_id"] == first.json()["request_id"]
    assert "13800138000" not in requested["message"]


async def test_dispatch_lifecycle_notice_sent_of_another_round_does_not_count(
    life: Life,
) -> None:
    order = await life.closure_requested()
    await life.deliver(
        NoticeSent(
            notice_id="n-x",
            request_id="not-this-orders-request",
            appeal_id="appeal-1",
            work_order_id=order["id"],
            kind="handling",
            channel="sms",
            recipient_masked="138****0000",
            sent_at=life.now(),
            provider_ref="x",
            attempts=1,
        )
    )

    assert (await life.order(order["id"]))["handling_notice_sent_at"] is None


# Closure (Art. 17).


@pytest.mark.parametrize("field", ["handled_at", "actions", "result"])
async def test_dispatch_lifecycle_closure_reply_needs_each_part(
    life: Life, field: str
) -> None:
    order = await life.signed()
    life.clock.advance(timedelta(hours=3))
    body = life.reply(attachments=await life.photos())
    del body[field]

    response = await life.cgj.post(url(order, "closure"), json=body)
    blank = await life.cgj.post(
        url(order, "closure"),
        json={**body, field: "   "} if field != "handled_at" else body,
    )

    assert response.status_code == 422
    assert error(response)["code"] == "reply_incomplete"
    assert error(response)["field"] == field
    assert "Art. 17" in error(response)["message"]
    assert blank.status_code == 422
    assert (await life.order(order["id"]))["status"] == "signed"


async def test_dispatch_lifecycle_handled_at_cannot_be_in_the_future(
    life: Life,
) -> None:
    order = await life.signed()
    life.clock.advance(timedelta(hours=3))
    body = life.reply(
        handled_at=(life.now() + timedelta(hours=1)).isoformat(),
        attachments=await life.photos(),
    )

    response = await life.cgj.post(url(order, "closure"), json=body)

    assert response.status_code == 422
    assert error(response)["code"] == "handled_at_invalid"


@pytest.mark.parametrize("roles", [[], ["before"], ["after"], ["before", "other"]])
async def test_dispatch_lifecycle_component_complaint_needs_before_and_after_photos(
    life: Life, roles: list[str]
) -> None:
    order = await life.signed()
    life.clock.advance(timedelta(hours=3))
    attachments = [
        {
            "id": await life.upload(life.cgj, JPEG_HEAD + role.encode() * 10),
            "role": role,
        }
        for role in roles
    ]

    response = await life.cgj.post(
        url(order, "closure"), json=life.reply(attachments=attachments)
    )

    assert response.status_code == 422
    assert error(response)["code"] == "photos_required"
    assert "Art. 17" in error(response)["message"]


@pytest.mark.parametrize("appeal_type", ["complaint", "consultation"])
async def test_dispatch_lifecycle_one_photo_as_before_and_after_is_refused_art_17(
    life: Life, appeal_type: str
) -> None:
    """Art. 17: the photos before and after the handling are two photos; one file
    named in both roles (its id is its content's hash) proves nothing changed."""
    order = await life.signed(appeal_type=appeal_type)
    life.clock.advance(timedelta(hours=3))
    photo = await life.upload(life.cgj, JPEG_HEAD + b"lamp" * 10)

    response = await life.cgj.post(
        url(order, "closure"),
        json=life.reply(
            attachments=[
                {"id": photo, "role": "before"},
                {"id": photo, "role": "after"},
            ]
        ),
    )

    assert response.status_code == 422, response.text
    assert error(response)["code"] == "attachment_repeated"
    assert error(response)["field"] == "attachments"
    assert "Art. 17" in error(response)["message"]
    kept = await life.order(order["id"])
    assert kept["status"] == "signed"
    assert kept["attachments"] == []
    assert "work_order.closure_requested" not in await life.event_types()


async def test_dispatch_lifecycle_a_document_is_no_photo(life: Life) -> None:
    order = await life.signed()
    life.clock.advance(timedelta(hours=3))
    document = await life.upload(life.cgj, PDF_HEAD + b"x" * 40, "notice.pdf")
    photo = await life.upload(life.cgj, JPEG_HEAD + b"after" * 10)

    response = await life.cgj.post(
        url(order, "closure"),
        json=life.reply(
            attachments=[
                {"id": document, "role": "before"},
                {"id": photo, "role": "after"},
            ]
        ),
    )

    assert error(response)["code"] == "photos_required"


async def test_dispatch_lifecycle_component_keyword_in_the_address_needs_photos(
    life: Life, appeal_filed: Callable[..., AppealFiled]
) -> None:
    # Of no known place, the appeal waits in the dispatch queue (Art. 12) until
    # the center sends it to cgj.
    await life.deliver(
        appeal_filed(
            category_id="city-sanitation",
            subdistrict_id=None,
            title="设施损坏",
            content="设施损坏，影响出行",
            address="坪山街道六和社区 路灯杆 PS-0012 旁",
        )
    )
    chosen = await life.center.post(
        "/v1/dispatch-queue/appeal-1/dispatch",
        json={"unit_id": "cgj", "reason": "路灯杆归城管"},
    )
    assert chosen.status_code == 200, chosen.text
    order = await life.order(chosen.json()["work_order_id"])
    signed = await life.cgj.post(url(order, "sign"), json={"signed_by": "王科员"})
    assert signed.status_code == 200, signed.text
    await life.handling_due(order["id"], life.now() + timedelta(days=7))
    life.clock.advance(timedelta(hours=3))

    response = await life.cgj.post(url(order, "closure"), json=life.reply())

    assert response.status_code == 422
    assert error(response)["code"] == "photos_required"


async def test_dispatch_lifecycle_a_consultation_closes_without_photos(
    life: Life,
) -> None:
    order = await life.signed(appeal_type="consultation")
    life.clock.advance(timedelta(hours=3))

    response = await life.cgj.post(url(order, "closure"), json=life.reply())

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closure_requested"


async def test_dispatch_lifecycle_closure_waits_for_the_handling_notice_art_29(
    life: Life,
) -> None:
    order = await life.closure_requested()

    early = await life.center.post(url(order, "closure/approve"), json={})
    await life.notice_sent(order["id"])
    approved = await life.center.post(url(order, "closure/approve"), json={})

    assert early.status_code == 409
    assert error(early)["code"] == "handling_notice_not_sent"
    assert "Art. 29" in error(early)["message"]
    assert approved.status_code == 200, approved.text
    closed = approved.json()
    assert closed["status"] == "closed" and closed["outcome"] == "on_time"
    assert closed["closed_by"].startswith("operator:")
    history = (await life.order(order["id"]))["history"]
    assert [a["action"] for a in history][-2:] == ["handling_notice_sent", "closed"]
    (event,) = [d for t, d in await life.events() if t == "work_order.closed"]
    assert event["outcome"] == "on_time" and event["appeal_closed"] is True


async def test_dispatch_lifecycle_closure_after_the_deadline_is_overdue(
    life: Life,
) -> None:
    order = await life.closure_requested()
    await life.handling_due(order["id"], life.now() - timedelta(hours=2))
    await life.notice_sent(order["id"])

    approved = await life.center.post(url(order, "closure/approve"), json={})

    assert approved.json()["outcome"] == "overdue"


async def test_dispatch_lifecycle_closure_without_a_known_deadline_waits(
    life: Life,
) -> None:
    order = await life.file(appeal_type="consultation")
    await life.cgj.post(url(order, "sign"), json={"signed_by": "王科员"})
    await life.cgj.post(
        url(order, "closure"),
        json=life.reply(
            handled_at=life.now().isoformat(), handling_notice={"message": "已答复"}
        ),
    )
    await life.notice_sent(order["id"])

    response = await life.center.post(url(order, "closure/approve"), json={})

    assert response.status_code == 409
    assert error(response)["code"] == "handling_deadline_unknown"


async def test_dispatch_lifecycle_closure_rejected_goes_back_with_the_reason(
    life: Life,
) -> None:
    order = await life.closure_requested()

    rejected = await life.center.post(
        url(order, "closure/reject"), json={"reason": "照片不清晰"}
    )
    progress = await life.cgj.post(url(order, "progress"), json={"note": "重新拍照"})
    notice = await life.cgj.post(
        url(order, "handling-notice"), json={"message": "再次告知处理结果"}
    )

    assert rejected.status_code == 200
    assert rejected.json()["status"] == "in_progress"
    assert rejected.json()["handled_at"] is None
    assert progress.status_code == 200
    assert notice.status_code == 202
    (event,) = [d for t, d in await life.events() if t == "work_order.closure_rejected"]
    assert event["reason"] == "照片不清晰"


async def test_dispatch_lifecycle_no_unit_step_while_closure_waits(life: Life) -> None:
    order = await life.closure_requested()

    for step, body in (
        ("progress", {"note": "x"}),
        ("closure", life.reply()),
        ("extension", {"working_days": 2, "reason": "x"}),
    ):
        response = await life.cgj.post(url(order, step), json=body)
        assert response.status_code == 409, step
        assert error(response)["code"] == "closure_pending"
        assert "Art. 17" in error(response)["message"]


async def test_dispatch_lifecycle_closure_keeps_the_reply_and_attachments(
    life: Life,
) -> None:
    order = await life.closure_requested()

    detail = await life.order(order["id"])

    request = next(a for a in detail["history"] if a["action"] == "closure_requested")
    assert request["detail"]["actions"] == "更换灯泡并检修线路"
    assert request["detail"]["result"] == "路灯已恢复照明"
    assert {a["role"] for a in detail["attachments"]} == {"before", "after"}
    (event,) = [
        d for t, d in await life.events() if t == "work_order.closure_requested"
    ]
    assert len(event["attachments"]) == 2


# Staged closure (阶段性办结, Art. 17).


async def staged(life: Life) -> dict[str, Any]:
    order = await life.signed()
    life.clock.advance(timedelta(days=1))
    document = await life.upload(life.cgj, PDF_HEAD + b"stamped" * 10, "notice.pdf")
    check_date = (NOW + timedelta(days=30)).date().isoformat()
    response = await life.cgj.post(
        url(order, "closure"),
        json=life.reply(
            staged=True,
            supporting_document=document,
            check_date=check_date,
            handling_notice={"message": "已下发整改通知书"},
        ),
    )
    assert response.status_code == 200, response.text
    await life.notice_sent(order["id"])
    approved = await life.center.post(url(order, "closure/approve"), json={})
    assert approved.status_code == 200, approved.text
    return dict(approved.json())


@pytest.mark.parametrize(
    ("missing", "field"),
    [("supporting_document", "supporting_document"), ("check_date", "check_date")],
)
async def test_dispatch_lifecycle_staged_closure_needs_document_and_check_date(
    life: Life, missing: str, field: str
) -> None:
    order = await life.signed()
    life.clock.advance(timedelta(days=1))
    body = life.reply(
        staged=True,
        supporting_document=await life.upload(life.cgj, PDF_HEAD + b"d" * 10, "d.pdf"),
        check_date=(NOW + timedelta(days=30)).date().isoformat(),
    )
    del body[missing]

    response = await life.cgj.post(url(order, "closure"), json=body)

    assert response.status_code == 422
    assert error(response)["code"] == "staged_closure_incomplete"
    assert error(response)["field"] == field


async def test_dispatch_lifecycle_staged_closure_is_closed_as_staged(
    life: Life,
) -> None:
    closed = await staged(life)

    assert closed["outcome"] == "staged" and closed["staged_check"] == "pending"
    (event,) = [d for t, d in await life.events() if t == "work_order.closed"]
    assert event["outcome"] == "staged"
    assert event["check_date"] == (NOW + timedelta(days=30)).date().isoformat()


@pytest.mark.parametrize(
    ("done", "check", "outcome"),
    [(True, "done", "staged"), (False, "not_done", "overdue")],
)
async def test_dispatch_lifecycle_staged_check_by_the_center(
    life: Life, done: bool, check: str, outcome: str
) -> None:
    closed = await staged(life)

    checked = await life.center.post(
        url(closed, "staged-check"), json={"done": done, "note": "现场核查"}
    )
    again = await life.center.post(url(closed, "staged-check"), json={"done": True})

    assert checked.status_code == 200
    assert checked.json()["staged_check"] == check
    assert checked.json()["outcome"] == outcome
    assert again.status_code == 409
    assert error(again)["code"] == "staged_check_not_pending"


async def test_dispatch_lifecycle_staged_check_date_unverified_counts_overdue(
    life: Life,
) -> None:
    closed = await staged(life)
    check_at = life.now() + timedelta(days=29)

    await life.deliver(
        DeadlineReached(
            deadline_id="staged-1",
            work_order_id=closed["id"],
            appeal_id="appeal-1",
            unit_id="cgj",
            kind="staged_check",
            due_at=check_at,
            reached_at=check_at,
        )
    )
    late = await life.center.post(url(closed, "staged-check"), json={"done": True})

    current = await life.order(closed["id"])
    assert current["staged_check"] == "unverified"
    assert current["outcome"] == "overdue"
    assert current["history"][-1]["action"] == "staged_check_unverified"
    assert late.status_code == 409


async def test_dispatch_lifecycle_staged_check_of_an_ordinary_closure_is_refused(
    life: Life,
) -> None:
    closed = await life.closed()

    response = await life.center.post(url(closed, "staged-check"), json={"done": True})

    assert response.status_code == 409
    assert error(response)["code"] == "staged_check_not_pending"


# Reopening (重办).


async def test_dispatch_lifecycle_reopen_starts_a_new_round_keeping_history(
    life: Life,
) -> None:
    closed = await life.closed()
    life.clock.advance(timedelta(days=2))

    reopened = await life.center.post(
        url(closed, "reopen"), json={"reason": "回访不满意，路灯仍不亮"}
    )
    signed = await life.cgj.post(url(closed, "sign"), json={"signed_by": "王科员"})

    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert body["id"] == closed["id"]
    assert body["round"] == 2 and body["status"] == "dispatched"
    assert body["outcome"] is None and body["signed_at"] is None
    assert body["created_at"] == body["dispatched_at"]
    assert signed.status_code == 200
    detail = await life.order(closed["id"])
    actions = [a["action"] for a in detail["history"]]
    assert actions.count("signed") == 2 and "closed" in actions
    reopening = next(a for a in detail["history"] if a["action"] == "reopened")
    assert reopening["detail"]["previous"]["outcome"] == "on_time"
    types = await life.event_types()
    assert types[-3:-1] == ["work_order.reopened", "work_order.dispatched"]
    dispatched = [d for t, d in await life.events() if t == "work_order.dispatched"]
    assert [d["round"] for d in dispatched] == [1, 2]


async def test_dispatch_lifecycle_a_stale_round_deadline_does_not_sign_round_two(
    life: Life,
) -> None:
    closed = await life.closed()
    life.clock.advance(timedelta(days=2))
    await life.center.post(url(closed, "reopen"), json={"reason": "回访不满意"})

    await life.deliver(sign_off_reached(closed["id"]))
    await life.deliver(sign_off_set(closed["id"]), occurred_at=NOW)

    current = await life.order(closed["id"])
    assert current["status"] == "dispatched"
    assert current["sign_off_due_at"] is None


async def test_dispatch_lifecycle_only_a_closed_order_reopens(life: Life) -> None:
    order = await life.signed()

    response = await life.center.post(url(order, "reopen"), json={"reason": "x"})

    assert response.status_code == 409
    assert error(response)["code"] == "not_closed"


async def test_dispatch_lifecycle_closed_order_takes_no_unit_step(life: Life) -> None:
    closed = await life.closed()

    response = await life.cgj.post(url(closed, "progress"), json={"note": "x"})

    assert response.status_code == 409
    assert error(response)["code"] == "already_closed"


async def test_dispatch_lifecycle_a_polling_unit_sees_every_change_exactly_once(
    life: Life,
) -> None:
    """A unit system polls with the last `next_cursor` while its orders change:
    each change comes once, in order, across answers of at most `limit` changes,
    and a poll with nothing new answers nothing."""
    units = "/v1/units/cgj/work-orders"
    cursor = (await life.cgj.get(units)).json()["next_cursor"]
    first = await life.file("appeal-poll-1")
    second = await life.file("appeal-poll-2")
    other = await life.file("appeal-poll-3")
    steps = [
        await life.cgj.post(url(first, "sign"), json={"signed_by": "王科员"}),
        await life.cgj.post(url(first, "progress"), json={"note": "已派人勘查"}),
        await life.cgj.post(
            url(other, "return"), json={"reason": "不属本单位职责，应由水务局办理"}
        ),
    ]
    assert [step.status_code for step in steps] == [200, 200, 200], [
        step.text for step in steps
    ]

    seen: list[tuple[str, str]] = []
    answers = 0
    while True:
        answer = await life.cgj.get(units, params={"after": cursor, "limit": 2})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        changes = [
            (item["id"], change["action"])
            for item in body["items"]
            for change in item["changes"]
        ]
        answers += 1
        if not changes:
            assert body["next_cursor"] == cursor
            break
        assert len(changes) <= 2
        seen += changes
        cursor = body["next_cursor"]

    dispatched = [(o["id"], "dispatched") for o in (first, second, other)]
    assert len(seen) == len(set(seen))
    assert set(dispatched) <= set(seen)
    assert [a for i, a in seen if i == first["id"]] == [
        "dispatched",
        "signed",
        "progress_added",
    ]
    assert [a for i, a in seen if i == other["id"]] == [
        "dispatched",
        "return_requested",
    ]
    assert answers >= 3
