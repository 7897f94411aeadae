"""The detection the video platform pushes, and what the adapter's API gives."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, HttpUrl

from minsheng_aivideo.mapping import EventKind
from minsheng_common.adapters.schemas import DeliveryState

REFERENCE = r"^[A-Za-z0-9._:-]+$"
"""Ids the platform gives: plain, so they are safe in logs and references."""

Outcome = Literal["opened", "folded", "ignored"]


class Detection(BaseModel):
    """An event a camera's model detected (AI+视频), pushed by the video platform
    (POST /v1/detections) and signed with the shared secret.

    `detected_at` without an offset is read as Asia/Shanghai.
    """

    detection_id: str = Field(
        min_length=1,
        max_length=100,
        pattern=REFERENCE,
        description="the platform's id of the detection: the idempotency key",
    )
    camera_id: str = Field(min_length=1, max_length=100, pattern=REFERENCE)
    kind: EventKind = Field(description="what the model saw")
    snapshot_url: HttpUrl = Field(
        description="where the platform serves the snapshot: fetched once, kept "
        "here and attached to the appeal"
    )
    latitude: float = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: float = Field(ge=-180, le=180, allow_inf_nan=False)
    confidence: float = Field(ge=0, le=1, allow_inf_nan=False)
    detected_at: datetime
    address: str | None = Field(
        default=None,
        max_length=500,
        description="where the camera looks, as the platform registered it",
    )


class DetectionAccepted(BaseModel):
    """A pushed detection taken on (or one taken before: the same detection id)."""

    detection_id: str
    outcome: Outcome = Field(
        description="opened a new appeal, folded into the appeal of its camera and "
        "kind within the window, or ignored for its low confidence (recorded, not "
        "delivered)"
    )
    appeal_item: str | None = Field(
        description="the item that carries the appeal to intake; none when ignored"
    )
    duplicate: bool = Field(
        description="the detection id was pushed before; its first outcome is answered"
    )


class AppealOut(DeliveryState):
    """One appeal on its way to intake: its camera, kind and detections."""

    camera_id: str
    kind: str
    title: str
    first_detection_id: str
    first_detected_at: AwareDatetime
    last_detected_at: AwareDatetime
    detections: int = Field(description="the first and every one folded into it")
    snapshot_url: str


class DetectionOut(BaseModel):
    """A detection and what became of it."""

    detection_id: str
    camera_id: str
    kind: str
    confidence: float
    detected_at: AwareDatetime
    outcome: Outcome
    appeal_item: str | None
    snapshot_url: str | None


class DetectionPage(BaseModel):
    items: list[DetectionOut]
    total: int
