"""What every adapter's API shows of its queue."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar, cast

from pydantic import AwareDatetime, BaseModel, Field

from minsheng_common.adapters.queue import QueueItem
from minsheng_common.rules import AppealType

ItemStatus = Literal["pending", "delivered", "refused"]
ContactKind = Literal["phone", "email", "wechat_openid"]
DECISION = (
    "intake's decision: filed (立案), rejected (不予立案), pending_verification, "
    "pending_classification, or answered (a consultation answered at once)"
)


class DeliveryState(BaseModel):
    """Where an item stands on its way to intake, and intake's answer."""

    id: str
    source: str = Field(description="the queue the item waits in, in order")
    position: int
    due_at: AwareDatetime
    status: ItemStatus
    attempts: int
    last_error: str | None
    next_attempt_at: AwareDatetime | None
    delivered_at: AwareDatetime | None
    already_received: bool = Field(
        description="intake answered 200: it had this channel reference already"
    )
    appeal_id: str | None
    tracking_code: str | None
    decision: str | None = Field(description=DECISION)


def delivery_of(item: QueueItem) -> dict[str, Any]:
    """The fields of `DeliveryState` read from a stored item, to build an adapter's own
    item view on top of them."""
    return {
        "id": item.id,
        "source": item.source,
        "position": item.position,
        "due_at": item.due_at,
        "status": cast(ItemStatus, item.status),
        "attempts": item.attempts,
        "last_error": item.last_error,
        "next_attempt_at": item.next_attempt_at,
        "delivered_at": item.delivered_at,
        "already_received": item.answer_status == 200,
        "appeal_id": item.appeal_id,
        "tracking_code": item.tracking_code,
        "decision": item.decision,
    }


Out = TypeVar("Out", bound=BaseModel)


class ItemPage(BaseModel, Generic[Out]):
    items: list[Out]
    total: int


class Stats(BaseModel):
    """Where the adapter's items stand."""

    total: int
    pending: int
    delivered: int
    refused: int
    already_received: int = Field(
        description="delivered items intake already had (answered 200)"
    )
    by_decision: dict[str, int] = Field(
        description="distinct appeals intake holds from this adapter, by its "
        "decision; filed and rejected always, the others once seen"
    )


class Contact(BaseModel):
    """How to reach whoever raised the appeal (Art. 11(2)1)."""

    kind: ContactKind
    value: str = Field(min_length=1, max_length=200)


class Coordinates(BaseModel):
    """A position as the channel gave it."""

    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)


class CanonicalAppeal(BaseModel):
    """An appeal in intake's canonical form (`POST /v1/appeals`), as an adapter
    stores it before sending. What the channel does not say stays None, and intake
    decides it (the type from the text, the place from the address or the text)."""

    channel: str
    channel_ref: str = Field(description="the channel's own id: the idempotency key")
    type: AppealType | None = None
    category_hint: str | None = None
    title: str
    content: str
    contact: Contact | None = None
    address: str | None = None
    coordinates: Coordinates | None = None
    received_at: AwareDatetime
    attachments: list[str] = Field(default_factory=list)
