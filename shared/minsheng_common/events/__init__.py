"""Event contracts: the envelope, the catalogue of event types, and topic names."""

from minsheng_common.events.catalogue import (
    EVENT_TYPES,
    AcceptanceNoticeRequested,
    AppealFiled,
    AppealReceived,
    AppealRejected,
    DeadlineKind,
    DeadlineMet,
    DeadlineReached,
    DeadlineSet,
    NoticeFailed,
    NoticeSent,
    WorkOrderDispatched,
    WorkOrderSigned,
    model_for,
    read,
)
from minsheng_common.events.envelope import (
    Envelope,
    EventData,
    UnreadableEvent,
    open_envelope,
    seal,
)
from minsheng_common.events.topics import TopicNames

__all__ = [
    "EVENT_TYPES",
    "AcceptanceNoticeRequested",
    "AppealFiled",
    "AppealReceived",
    "AppealRejected",
    "DeadlineKind",
    "DeadlineMet",
    "DeadlineReached",
    "DeadlineSet",
    "Envelope",
    "EventData",
    "NoticeFailed",
    "NoticeSent",
    "TopicNames",
    "UnreadableEvent",
    "WorkOrderDispatched",
    "WorkOrderSigned",
    "model_for",
    "open_envelope",
    "read",
    "seal",
]
