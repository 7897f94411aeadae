"""The event contracts every service relies on, checked for every event type.

Each type in the catalogue must survive the trip through the wire unchanged, ignore
fields it does not know (a newer minor version) and be refused, as `UnreadableEvent`,
when its major version is unknown or its body breaks the contract.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from minsheng_common.events import (
    EVENT_TYPES,
    AcceptanceNoticeRequested,
    AppealAnswered,
    AppealFiled,
    AppealGraded,
    AppealHeld,
    AppealReceived,
    AppealRejected,
    CalendarYearMissing,
    DeadlineMet,
    DeadlineReached,
    DeadlineSet,
    DeadlineUrged,
    Envelope,
    EventData,
    HandlingNoticeRequested,
    NoticeFailed,
    NoticeSent,
    OverdueOrder,
    OverdueSupervised,
    ReplyTemplateReceived,
    ReplyTemplateRequested,
    ReturnVisitAnswered,
    UnreadableEvent,
    WarningRaised,
    WorkOrderClosed,
    WorkOrderClosureRejected,
    WorkOrderClosureRequested,
    WorkOrderDispatched,
    WorkOrderDisputeDecided,
    WorkOrderDisputeEscalated,
    WorkOrderExtensionDecided,
    WorkOrderExtensionRequested,
    WorkOrderMerged,
    WorkOrderOpinionSubmitted,
    WorkOrderProgressAdded,
    WorkOrderReopened,
    WorkOrderReplaced,
    WorkOrderReturnDecided,
    WorkOrderReturnRequested,
    WorkOrderSigned,
    model_for,
    open_envelope,
    read,
    seal,
)
from minsheng_common.events import topics as topic_names

APPEAL = "6f1c2a4e-3b5d-4e7f-8a9b-0c1d2e3f4a5b"
WORK_ORDER = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
AT = datetime(2026, 10, 9, 1, 30, tzinfo=UTC)


def _appeal_received() -> AppealReceived:
    return AppealReceived(
        appeal_id=APPEAL,
        tracking_code="PS20261009000123",
        channel="hotline-12345",
        channel_ref="call-778",
        appeal_type="complaint",
        category_hint="噪音扰民",
        received_at=AT,
    )


def _appeal_filed() -> AppealFiled:
    return AppealFiled(
        appeal_id=APPEAL,
        tracking_code="PS20261009000123",
        channel="hotline-12345",
        appeal_type="complaint",
        category_id="noise",
        subdistrict_id="pingshan-jd",
        community="坪山社区",
        title="夜间施工噪音",
        content="工地每晚十一点后仍在施工，影响休息。",
        address="坪山大道 1 号",
        received_at=AT,
        filed_at=AT + timedelta(minutes=10),
        contact_kind="mobile",
        contact_encrypted="gAAAAAB-token",
        attachments=["photo-1.jpg"],
        second_contact_kind="email",
        second_contact_encrypted="gAAAAAB-second-token",
    )


def _appeal_rejected() -> AppealRejected:
    return AppealRejected(
        appeal_id=APPEAL,
        tracking_code="PS20261009000123",
        channel="wechat",
        appeal_type="consultation",
        reason_code="litigation_pending",
        article="Art. 11",
        detail="已进入诉讼程序",
        received_at=AT,
        rejected_at=AT + timedelta(minutes=5),
    )


def _work_order_dispatched() -> WorkOrderDispatched:
    return WorkOrderDispatched(
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        tracking_code="PS20261009000123",
        unit_id="housing-bureau",
        appeal_type="suggestion",
        filed_at=AT,
        created_at=AT + timedelta(minutes=20),
        dispatched_at=AT + timedelta(minutes=20),
        route_basis="category_default",
        rules_edition="measures-v4",
    )


def _work_order_signed() -> WorkOrderSigned:
    return WorkOrderSigned(
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        unit_id="housing-bureau",
        signed_at=AT + timedelta(hours=1),
        mode="manual",
        signed_by="clerk-7",
    )


def _acceptance_notice_requested() -> AcceptanceNoticeRequested:
    return AcceptanceNoticeRequested(
        request_id="req-1",
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        unit_id="housing-bureau",
        tracking_code="PS20261009000123",
        accepted=True,
        message="您的诉求已受理",
        requested_at=AT + timedelta(hours=2),
        requested_by="clerk-7",
    )


def _deadline_set() -> DeadlineSet:
    return DeadlineSet(
        deadline_id="dl-1",
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        unit_id="housing-bureau",
        kind="handling",
        starts_at=AT,
        due_at=AT + timedelta(days=9),
        provisional=False,
        article="Art. 15",
        period="P7WD",
        rules_edition="measures-v4",
    )


def _deadline_reached() -> DeadlineReached:
    return DeadlineReached(
        deadline_id="dl-1",
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        unit_id="housing-bureau",
        kind="sign_off",
        due_at=AT + timedelta(hours=2),
        reached_at=AT + timedelta(hours=2, seconds=1),
    )


def _deadline_met() -> DeadlineMet:
    return DeadlineMet(
        deadline_id="dl-1",
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        unit_id="housing-bureau",
        kind="acceptance_notice",
        due_at=AT + timedelta(days=1),
        met_at=AT + timedelta(hours=3),
        late=False,
    )


def _notice_sent() -> NoticeSent:
    return NoticeSent(
        notice_id="n-1",
        request_id="req-1",
        appeal_id=APPEAL,
        work_order_id=WORK_ORDER,
        kind="acceptance",
        channel="sms",
        recipient_masked="138****5678",
        sent_at=AT + timedelta(hours=3),
        provider_ref="sms-991",
        attempts=1,
    )


def _notice_failed() -> NoticeFailed:
    return NoticeFailed(
        notice_id="n-2",
        request_id="req-2",
        appeal_id=APPEAL,
        kind="handling",
        channel="email",
        failed_at=AT + timedelta(hours=4),
        reason="mailbox_full",
        attempts=5,
    )


def _appeal_held() -> AppealHeld:
    return AppealHeld(
        appeal_id=APPEAL,
        tracking_code="PS20261009000123",
        channel="wechat",
        reason="verification",
        held_at=AT,
    )


def _appeal_graded() -> AppealGraded:
    return AppealGraded(
        appeal_id=APPEAL,
        tracking_code="PS20261009000123",
        level=1,
        previous_level=3,
        basis="keyword 塌陷",
        graded_at=AT,
        graded_by="intake",
    )


def _appeal_answered() -> AppealAnswered:
    return AppealAnswered(
        appeal_id=APPEAL,
        tracking_code="PS20261009000123",
        channel="wechat",
        knowledge_entry_id="kb-1",
        answer="社保卡补办可在区政务服务中心办理。",
        confidence=0.91,
        answered_at=AT,
        contact_kind="phone",
        contact_encrypted="gAAAAAB-token",
    )


def _order(**fields: Any) -> dict[str, Any]:
    return {
        "work_order_id": WORK_ORDER,
        "appeal_id": APPEAL,
        "unit_id": "cgj",
        **fields,
    }


LIFECYCLE: dict[type[EventData], Callable[[], EventData]] = {
    WorkOrderReturnRequested: lambda: WorkOrderReturnRequested(
        **_order(reason="不属于本单位职责", requested_at=AT, requested_by="clerk")
    ),
    WorkOrderReturnDecided: lambda: WorkOrderReturnDecided(
        **_order(
            approved=True,
            reason="同意退回，改派水务局",
            decided_at=AT,
            decided_by="operator",
            redispatched_to="wo-2",
        )
    ),
    WorkOrderProgressAdded: lambda: WorkOrderProgressAdded(
        **_order(note="已安排人员现场查看", added_at=AT, added_by="clerk")
    ),
    WorkOrderExtensionRequested: lambda: WorkOrderExtensionRequested(
        **_order(
            working_days=5, reason="需协调施工单位", requested_at=AT, requested_by="c"
        )
    ),
    WorkOrderExtensionDecided: lambda: WorkOrderExtensionDecided(
        **_order(
            approved=True, working_days=5, reason="同意", decided_at=AT, decided_by="op"
        )
    ),
    HandlingNoticeRequested: lambda: HandlingNoticeRequested(
        **_order(
            request_id="handling:wo-1",
            tracking_code="PS20261009000123",
            message="路灯已修复。",
            requested_at=AT,
            requested_by="clerk",
        )
    ),
    WorkOrderClosureRequested: lambda: WorkOrderClosureRequested(
        **_order(
            handled_at=AT,
            staged=True,
            check_date=date(2026, 11, 2),
            attachments=["sha256:ab12"],
            requested_at=AT,
            requested_by="clerk",
        )
    ),
    WorkOrderClosed: lambda: WorkOrderClosed(
        **_order(
            outcome="staged",
            handled_at=AT,
            closed_at=AT,
            closed_by="operator",
            check_date=date(2026, 11, 2),
        )
    ),
    WorkOrderClosureRejected: lambda: WorkOrderClosureRejected(
        **_order(reason="缺少整改前后照片", rejected_at=AT, rejected_by="operator")
    ),
    WorkOrderReopened: lambda: WorkOrderReopened(
        **_order(round=2, reason="回访不满意", reopened_at=AT, reopened_by="operator")
    ),
    WorkOrderMerged: lambda: WorkOrderMerged(
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        merged_work_order_ids=["wo-2"],
        merged_appeal_ids=["ap-2"],
        merged_at=AT,
        merged_by="operator",
    ),
    WorkOrderReplaced: lambda: WorkOrderReplaced(
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        unit_id="urban-management",
        kind="split",
        replacement_ids=["wo-2", "wo-3"],
        reason="路灯与污水分属两单位",
        replaced_at=AT,
        replaced_by="operator",
    ),
    WorkOrderOpinionSubmitted: lambda: WorkOrderOpinionSubmitted(
        work_order_id="wo-3",
        appeal_id=APPEAL,
        unit_id="water-affairs",
        parallel_group_id="group-1",
        lead_work_order_id=WORK_ORDER,
        submitted_at=AT,
        submitted_by="unit:clerk@water-affairs",
        due_at=AT + timedelta(days=7),
        on_time=True,
    ),
    WorkOrderDisputeEscalated: lambda: WorkOrderDisputeEscalated(
        dispute_id="dispute-1",
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        level="bureau_leadership",
        unit_ids=["kengzi-street", "urban-management"],
        reason="两单位均称不属本单位职责",
        escalated_at=AT,
        escalated_by="operator",
    ),
    WorkOrderDisputeDecided: lambda: WorkOrderDisputeDecided(
        dispute_id="dispute-1",
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        level="bureau_leadership",
        owner_unit_id="urban-management",
        decision="按分类标准由城管局主办",
        decided_at=AT,
        decided_by="bureau-leader",
    ),
    WarningRaised: lambda: WarningRaised(
        warning_id="warning-1",
        kind="hotspot",
        cluster_id="cluster-1",
        appeal_ids=[APPEAL, "ap-2", "ap-3", "ap-4", "ap-5"],
        subdistrict_id="kengzi",
        count=5,
        window_hours=24,
        raised_at=AT,
    ),
    DeadlineUrged: lambda: DeadlineUrged(
        deadline_id="deadline-1",
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        unit_id="urban-management",
        kind="handling",
        step="two_thirds",
        level=2,
        due_at=AT + timedelta(days=3),
        urged_at=AT,
    ),
    OverdueSupervised: lambda: OverdueSupervised(
        supervision_id="supervision-1",
        unit_id="urban-management",
        week_of=date(2026, 10, 12),
        orders=[
            OverdueOrder(
                work_order_id=WORK_ORDER, appeal_id=APPEAL, kind="handling", due_at=AT
            )
        ],
        listed_at=AT,
    ),
    CalendarYearMissing: lambda: CalendarYearMissing(
        year=2027, provisional_deadlines=12, raised_at=AT
    ),
    ReturnVisitAnswered: lambda: ReturnVisitAnswered(
        survey_id="survey-1",
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        unit_id="urban-management",
        channel="sms",
        speed=4,
        effect=2,
        service=4,
        system=5,
        satisfied=False,
        solved=False,
        answered_at=AT,
    ),
    ReplyTemplateRequested: lambda: ReplyTemplateRequested(
        request_id="template-1",
        unit_id="urban-management",
        category_id="city-appearance",
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        closed_work_order_ids=["wo-1", "wo-2", WORK_ORDER],
        closed_at=AT,
        requested_at=AT,
    ),
    ReplyTemplateReceived: lambda: ReplyTemplateReceived(
        request_id="template-1",
        unit_id="urban-management",
        category_id="city-appearance",
        work_order_id=WORK_ORDER,
        appeal_id=APPEAL,
        closed_at=AT,
        received_at=AT,
        received_by="clerk-7",
    ),
}


FACTORIES: dict[type[EventData], Callable[[], EventData]] = {
    **LIFECYCLE,
    AppealHeld: _appeal_held,
    AppealGraded: _appeal_graded,
    AppealAnswered: _appeal_answered,
    AppealReceived: _appeal_received,
    AppealFiled: _appeal_filed,
    AppealRejected: _appeal_rejected,
    WorkOrderDispatched: _work_order_dispatched,
    WorkOrderSigned: _work_order_signed,
    AcceptanceNoticeRequested: _acceptance_notice_requested,
    DeadlineSet: _deadline_set,
    DeadlineReached: _deadline_reached,
    DeadlineMet: _deadline_met,
    NoticeSent: _notice_sent,
    NoticeFailed: _notice_failed,
}

every_type = pytest.mark.parametrize(
    "event_class", EVENT_TYPES, ids=[cls.event_type for cls in EVENT_TYPES]
)


def sample(event_class: type[EventData]) -> EventData:
    event = FACTORIES[event_class]()
    assert type(event) is event_class
    return event


def sealed(event_class: type[EventData]) -> Envelope:
    return seal(
        sample(event_class),
        producer="contract-test",
        occurred_at=AT,
        trace_id="trace-1",
    )


def wire(envelope: Envelope, **changes: Any) -> bytes:
    """The envelope as JSON bytes, with top-level `changes` applied."""
    raw = json.loads(envelope.to_bytes())
    raw.update(changes)
    return json.dumps(raw).encode("utf-8")


def test_every_event_type_has_a_factory() -> None:
    assert set(FACTORIES) == set(EVENT_TYPES)


def test_event_types_are_unique() -> None:
    names = [cls.event_type for cls in EVENT_TYPES]

    assert len(set(names)) == len(names)


@every_type
def test_event_type_declares_a_known_topic_and_version(
    event_class: type[EventData],
) -> None:
    assert event_class.topic in topic_names.ALL
    assert event_class.schema_version.split(".")[0] == "1"
    assert model_for(event_class.event_type, 1) is event_class


@every_type
def test_event_round_trips_through_the_wire(event_class: type[EventData]) -> None:
    event = sample(event_class)
    envelope = seal(event, producer="contract-test", occurred_at=AT, trace_id="t-1")

    opened = open_envelope(envelope.to_bytes())
    body = read(opened)

    assert opened == envelope
    assert opened.type == event_class.event_type
    assert opened.schema_version == event_class.schema_version
    assert opened.key == event.key()
    assert opened.occurred_at == AT
    assert opened.producer == "contract-test"
    assert opened.trace_id == "t-1"
    assert type(body) is event_class
    assert body == event


@every_type
def test_event_ignores_unknown_fields(event_class: type[EventData]) -> None:
    envelope = sealed(event_class)
    newer = envelope.model_copy(
        update={
            "schema_version": "1.9",
            "data": {**envelope.data, "added_in_a_minor_version": {"x": 1}},
        }
    )

    opened = open_envelope(wire(newer, envelope_field_from_the_future="x"))

    assert read(opened) == sample(event_class)


@every_type
def test_event_of_unknown_major_version_is_unreadable(
    event_class: type[EventData],
) -> None:
    opened = open_envelope(wire(sealed(event_class), schema_version="2.0"))

    assert opened.major_version == 2
    with pytest.raises(UnreadableEvent, match="major version 2"):
        read(opened)


@every_type
def test_event_missing_a_required_field_is_unreadable(
    event_class: type[EventData],
) -> None:
    envelope = sealed(event_class)
    first_field = next(iter(event_class.model_fields))
    data = {k: v for k, v in envelope.data.items() if k != first_field}

    opened = open_envelope(wire(envelope, data=data))

    with pytest.raises(UnreadableEvent, match="breaks its contract") as caught:
        read(opened)
    assert caught.value.retriable is False


@every_type
def test_event_with_a_naive_time_is_unreadable(event_class: type[EventData]) -> None:
    envelope = sealed(event_class)
    time_field = next(
        name for name, value in envelope.data.items() if name.endswith("_at")
    )
    data = {**envelope.data, time_field: "2026-10-09T09:30:00"}

    with pytest.raises(UnreadableEvent, match="breaks its contract"):
        read(open_envelope(wire(envelope, data=data)))


@every_type
def test_event_with_a_wrong_type_is_unreadable(event_class: type[EventData]) -> None:
    envelope = sealed(event_class)
    first_field = next(iter(event_class.model_fields))
    data = {**envelope.data, first_field: {"not": "a string"}}

    with pytest.raises(UnreadableEvent, match="breaks its contract"):
        read(open_envelope(wire(envelope, data=data)))


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe\x00",
        b"",
        b"[1, 2, 3]",
        b"null",
        b'{"type": "appeal.received"}',
    ],
    ids=["text", "binary", "empty", "list", "null", "no-envelope"],
)
def test_a_message_that_is_no_envelope_is_unreadable(raw: bytes) -> None:
    with pytest.raises(UnreadableEvent, match="not an event envelope"):
        open_envelope(raw)


@pytest.mark.parametrize("version", ["1", "v1.0", "1.0.0", ""])
def test_an_envelope_with_a_malformed_version_is_unreadable(version: str) -> None:
    raw = wire(sealed(AppealReceived), schema_version=version)

    with pytest.raises(UnreadableEvent):
        open_envelope(raw)


def test_an_unknown_event_type_is_unreadable() -> None:
    raw = wire(sealed(AppealReceived), type="appeal.teleported")

    with pytest.raises(UnreadableEvent, match="no contract"):
        read(open_envelope(raw))


def test_sealing_gives_every_envelope_its_own_id() -> None:
    first, second = sealed(AppealReceived), sealed(AppealReceived)

    assert first.event_id != second.event_id


def test_event_bodies_are_immutable() -> None:
    event = sample(AppealReceived)

    with pytest.raises(ValueError, match="frozen"):
        # Assigning to a frozen model on purpose, to see it refused.
        event.appeal_id = "other"  # type: ignore[misc]


def test_an_appeal_filed_before_1_3_reads_without_a_second_contact() -> None:
    envelope = sealed(AppealFiled)
    data = {
        k: v for k, v in envelope.data.items() if not k.startswith("second_contact")
    }

    filed = read(open_envelope(wire(envelope, schema_version="1.2", data=data)))

    assert isinstance(filed, AppealFiled)
    assert (filed.second_contact_kind, filed.second_contact_encrypted) == (None, None)
    assert filed.contact_encrypted == sample(AppealFiled).contact_encrypted


def test_an_appeal_s_events_are_keyed_by_the_appeal() -> None:
    assert sample(AppealFiled).key() == APPEAL
    assert sample(WorkOrderClosed).key() == APPEAL


def test_a_warning_is_keyed_by_its_cluster_so_one_cluster_stays_in_order() -> None:
    warning = sample(WarningRaised)

    assert warning.key() == "cluster-1"
    assert warning.model_copy(update={"cluster_id": None}).key() == "warning-1"
