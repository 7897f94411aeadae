"""The envelope every event travels in, and how it is read off the wire."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from minsheng_common.errors import MinshengError
from minsheng_common.ids import new_id


class EventData(BaseModel):
    """Base of every event body. Unknown fields are ignored, so a producer may add
    fields in a minor version without breaking older consumers."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    schema_version: ClassVar[str] = "1.0"
    topic: ClassVar[str]

    def key(self) -> str:
        """The partition key: the appeal id, so one appeal's events stay in order."""
        appeal_id = getattr(self, "appeal_id", None)
        if not isinstance(appeal_id, str):
            raise TypeError(f"{type(self).__name__} has no appeal_id to key it by")
        return appeal_id


class Envelope(BaseModel):
    """What goes on the bus: identity, type and version, origin, and the body."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(default_factory=new_id)
    type: str
    schema_version: str = Field(pattern=r"^\d+\.\d+$")
    occurred_at: AwareDatetime
    producer: str
    key: str
    trace_id: str | None = None
    data: dict[str, Any]

    @property
    def major_version(self) -> int:
        return int(self.schema_version.split(".", 1)[0])

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode("utf-8")


class UnreadableEvent(MinshengError):
    """A message that is not an event we can read: not JSON, no envelope, a body that
    does not match its contract, or a major version we do not know. It goes to the
    dead-letter topic; retrying would not help."""

    code = "unreadable_event"
    retriable = False


def seal(
    data: EventData,
    *,
    producer: str,
    occurred_at: datetime,
    trace_id: str | None = None,
) -> Envelope:
    """Put an event body into a fresh envelope."""
    return Envelope(
        type=data.event_type,
        schema_version=data.schema_version,
        occurred_at=occurred_at,
        producer=producer,
        key=data.key(),
        trace_id=trace_id,
        data=data.model_dump(mode="json"),
    )


def open_envelope(raw: bytes) -> Envelope:
    """Read an envelope off the wire, or raise `UnreadableEvent`."""
    try:
        return Envelope.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as error:
        raise UnreadableEvent(f"not an event envelope: {error}") from error
