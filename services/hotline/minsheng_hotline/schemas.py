"""The call record a call centre pushes, and what the adapter's API gives."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, Field, HttpUrl

from minsheng_common.adapters.schemas import DeliveryState, ItemStatus
from minsheng_common.rules import AppealType

REFERENCE = r"^[A-Za-z0-9._:-]+$"
"""Ids the call centre gives: plain, so they are safe in logs and references."""


class CallRecord(BaseModel):
    """A call record (来电工单) as the agent entered it, pushed by the line's call
    centre (POST /v1/lines/{line}/calls) and signed with the line's secret.

    `called_at` without an offset is read as Asia/Shanghai. The caller's number and
    the address are passed to intake and never shown or logged here.
    """

    call_id: str = Field(
        min_length=1,
        max_length=100,
        pattern=REFERENCE,
        description="the call centre's id of the call: the idempotency key",
    )
    caller_number: str | None = Field(
        default=None,
        max_length=32,
        pattern=r"^\+?[0-9][0-9 ()-]*$",
        description="the number the citizen called from (where the citizen is "
        "answered); absent for a withheld number",
    )
    called_at: datetime = Field(description="when the call was taken")
    agent: str = Field(
        min_length=1,
        max_length=100,
        pattern=REFERENCE,
        description="the agent's id (话务员工号)",
    )
    summary: str = Field(
        min_length=1,
        max_length=20_000,
        description="the agent's summary of the call (诉求内容): the appeal's content",
    )
    title: str | None = Field(
        default=None,
        max_length=500,
        description="the record's subject; when absent, the summary's first sentence",
    )
    type: str = Field(
        default="",
        max_length=20,
        description="as entered: 咨询, 投诉, 举报, 求助, 建议, 意见 (or consultation, "
        "complaint, suggestion); anything else lets intake read the type from the "
        "text",
    )
    category: str = Field(
        default="",
        max_length=100,
        description="as entered: a category of the reference data by name (市容环卫) "
        "or id, optionally with a second level after a slash (市容环卫/占道经营)",
    )
    address: str | None = Field(
        default=None, max_length=500, description="the address as the agent entered it"
    )
    recording_url: HttpUrl | None = Field(
        default=None,
        description="the recording reference: where the call centre serves the "
        "call's recording (an audio file of HOTLINE_RECORDING_TYPES); attached to "
        "the appeal",
    )


class CallAccepted(BaseModel):
    """A pushed record taken on (or one taken before: the same call id)."""

    id: str = Field(description="the item that carries the call to intake")
    line: str
    call_id: str
    status: ItemStatus
    duplicate: bool = Field(
        description="the call id was pushed before on this line; that item is answered"
    )


class CallOut(DeliveryState):
    """One call record on its way to intake; the caller's number, the address and
    the summary are not shown."""

    line: str
    call_id: str
    agent: str
    title: str
    type: AppealType | None = Field(description="the type sent to intake, if any")
    type_as_entered: str
    category_hint: str | None = Field(description="the category sent to intake")
    category_as_entered: str
    has_recording: bool
    called_at: AwareDatetime
