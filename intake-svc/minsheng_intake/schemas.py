"""What intake's API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from minsheng_common.rules import AppealType

ContactKind = Literal["phone", "email", "forum_account", "wechat_openid"]


class ContactIn(BaseModel):
    """How to reach the citizen (a real registered contact, Art. 11(2)1)."""

    kind: ContactKind = Field(description="phone, email, or an account on the channel")
    value: str = Field(min_length=1, max_length=200)


class Coordinates(BaseModel):
    """A position as the channel gave it (WeChat location, camera), kept as given."""

    model_config = ConfigDict(allow_inf_nan=False)

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class AppealIn(BaseModel):
    """An appeal in canonical form, as every channel adapter sends it."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(min_length=1, max_length=50, description="channel id")
    channel_ref: str = Field(
        min_length=1,
        max_length=200,
        description="the channel's own reference: the idempotency key; sending the "
        "same reference again returns the first result",
    )
    type: AppealType | None = Field(
        default=None,
        description="consultation 咨询, complaint 投诉, suggestion 建议; when the "
        "channel does not say, intake reads it from the text (`type_inferred`)",
    )
    category_hint: str | None = Field(default=None, max_length=50)
    title: str = Field(default="", max_length=400)
    content: str = Field(default="", max_length=20_000)
    contact: ContactIn | None = None
    second_contact: ContactIn | None = Field(
        default=None,
        description="another way to reach the citizen, of another kind than "
        "`contact` (e.g. an email besides a phone number): notices fall back to it "
        "when the first cannot be reached",
    )
    address: str | None = Field(default=None, max_length=500)
    coordinates: Coordinates | None = None
    received_at: datetime = Field(
        description="when the channel received it; a time without offset is read as "
        "Asia/Shanghai"
    )
    attachments: list[HttpUrl] = Field(default_factory=list, max_length=20)
    name: str | None = Field(
        default=None,
        max_length=50,
        description="the citizen's name, if given; stored encrypted and shown only "
        "through a recorded disclosure",
    )
    consent_to_disclose: bool = Field(
        default=False,
        description="the citizen agrees that the handling unit may see the contact "
        "and name",
    )


class Place(BaseModel):
    subdistrict_id: str | None
    community: str | None
    found_in: str | None = Field(description="address or text")


class Evidence(BaseModel):
    """What a decision rests on: the field read and what was found there."""

    field: str
    found: str


class Decision(BaseModel):
    """The filing decision; `reason_code`, `article`, `evidence` and `advice` only
    when not filed. `pending_verification` waits for a grid worker's check,
    `pending_classification` for an operator to choose the category; `answered` is
    a consultation answered at once from the knowledge base (closed, not filed)."""

    status: str = Field(
        description="filed, rejected, pending_verification, pending_classification "
        "or answered"
    )
    reason_code: str | None = None
    article: str | None = None
    detail: str | None = None
    evidence: Evidence | None = None
    advice: str | None = Field(
        default=None, description="where the citizen can turn instead"
    )
    repeat_of: str | None = Field(
        default=None, description="the earlier appeal this one repeats"
    )
    held_reason: str | None = None
    rules_edition: str | None = Field(
        default=None, description="intake's rule edition in force at receipt"
    )
    decided_at: AwareDatetime


class ComponentOut(BaseModel):
    kind: str = Field(description="lamp_post, manhole_cover, hydrant, elevator…")
    number: str


class AddressParts(BaseModel):
    """The address read into its parts, and where each was found (address, text,
    coordinates)."""

    district: str | None = None
    subdistrict_id: str | None = None
    subdistrict: str | None = None
    community: str | None = None
    road: str | None = None
    junction: str | None = None
    number: str | None = None
    estate: str | None = None
    landmark: str | None = None
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    component: ComponentOut | None = None
    coordinates: bool = False
    found: list[str] = Field(default_factory=list)
    found_in: dict[str, str] = Field(default_factory=dict)
    precise: bool = False


class GradeOut(BaseModel):
    """The level (Art. 9): 1 public safety or major social impact, 2 possible
    hazard, 3 ordinary; and what it rests on."""

    level: Literal[1, 2, 3]
    basis: str


class ContactOut(BaseModel):
    kind: str
    masked: str


class InstantAnswerOut(BaseModel):
    """The answer a consultation got at once from the knowledge base (秒回, Art.
    44), as the entry read when it was given; the citizen also gets it as a
    notice."""

    knowledge_entry_id: str
    entry_version: int
    unit_id: str
    category_id: str
    question: str
    answer: str
    confidence: float = Field(description="how surely the consultation asks it, 0-1")


class AppealOut(BaseModel):
    """An appeal as intake holds it, with personal data masked in its texts and its
    channel reference, and the contact masked (Art. 41); the originals only through
    a recorded contact disclosure."""

    id: str
    tracking_code: str
    channel: str
    channel_ref: str
    type: AppealType
    type_inferred: bool = Field(
        default=False, description="the type was read from the text"
    )
    category_id: str | None
    title: str
    content: str
    address: str | None
    place: Place
    address_parts: AddressParts | None = None
    grade: GradeOut | None = None
    cluster_id: str | None = None
    contact: ContactOut | None
    second_contact: ContactOut | None = None
    received_at: AwareDatetime
    received_zone_assumed: bool
    decision: Decision
    instant_answer: InstantAnswerOut | None = None


class AppealStatusOut(BaseModel):
    """The status of a channel's own submission: no personal data, no content;
    the instant answer, if the consultation got one, to pass on to the citizen."""

    id: str
    tracking_code: str
    channel: str
    channel_ref: str
    type: AppealType
    type_inferred: bool = False
    decision: Decision
    received_at: AwareDatetime
    instant_answer: InstantAnswerOut | None = None


class AppealPage(BaseModel):
    items: list[AppealOut]
    total: int


class AppealCounts(BaseModel):
    """How many appeals intake holds, by decision and by reason."""

    total: int
    filed: int
    rejected: int
    pending: int = Field(default=0, description="held before the decision")
    answered: int = Field(
        default=0, description="consultations answered at once (closed, not filed)"
    )
    by_reason: dict[str, int]
    by_channel: dict[str, int]
    by_status: dict[str, int] = Field(default_factory=dict)


class DisclosureIn(BaseModel):
    """Why the caller needs the citizen's contact in clear; kept in the record."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=4,
        max_length=200,
        description="in words: at least 4 letters or Chinese characters",
    )


class ClearContact(BaseModel):
    kind: str
    value: str


class DisclosureOut(BaseModel):
    """The citizen's contact, name and texts as written, in clear; this answer is
    recorded."""

    appeal_id: str
    contact: ClearContact | None
    name: str | None
    title: str = Field(description="the title as the citizen wrote it")
    content: str = Field(description="the content as the citizen wrote it")
    address: str | None = Field(description="the address as the citizen wrote it")
    disclosed_at: AwareDatetime


class DisclosureRecord(BaseModel):
    """One disclosure: who saw the contact of which appeal, when and why."""

    id: str
    appeal_id: str
    who: str
    role: str
    unit_id: str | None
    reason: str
    at: AwareDatetime


class DisclosureList(BaseModel):
    items: list[DisclosureRecord]


class VerificationIn(BaseModel):
    """A grid worker's finding on site (Art. 11): true files the appeal; the others
    reject it with the verification reason (Art. 11(3)6)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["true", "address_untrue", "content_untrue", "invented"]
    note: str = Field(min_length=1, max_length=1000, description="what was seen")


class GradeIn(BaseModel):
    """An operator's grade and why, in words."""

    model_config = ConfigDict(extra="forbid")

    level: Literal[1, 2, 3]
    reason: str = Field(min_length=4, max_length=200)


class GradeChangeOut(BaseModel):
    appeal_id: str
    level: Literal[1, 2, 3]
    previous_level: Literal[1, 2, 3] | None
    basis: str
    graded_by: str
    graded_at: AwareDatetime


Keyword = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^\S(.*\S)?$")]
"""A word to look for, without surrounding spaces."""


class GradingRulesIn(BaseModel):
    """A new version of the grading keywords; it grades appeals received from now
    on."""

    model_config = ConfigDict(extra="forbid")

    level_1: list[Keyword] = Field(min_length=1, max_length=500)
    level_2: list[Keyword] = Field(min_length=1, max_length=500)
    hypothetical_markers: list[Keyword] = Field(default_factory=list, max_length=100)
    note: str = Field(min_length=1, max_length=200, description="why it changed")


class GradingRulesOut(BaseModel):
    """One version of the grading keywords; `version` is None for the rule
    edition's own."""

    version: int | None
    source: str
    level_1: list[str]
    level_2: list[str]
    hypothetical_markers: list[str]
    note: str | None = None
    changed_by: str | None = None
    changed_at: AwareDatetime | None = None


class GradingRulesPage(BaseModel):
    current: GradingRulesOut
    history: list[GradingRulesOut] = Field(description="saved versions, newest first")


StatusState = Literal[
    "received",
    "pending_verification",
    "pending_classification",
    "filed",
    "rejected",
    "answered",
    "dispatched",
]


class StatusStep(BaseModel):
    """One dated step of an appeal's handling, in plain Chinese."""

    step: StatusState
    at: AwareDatetime
    summary: str
    reason: str | None = None
    advice: str | None = None
    answer: str | None = Field(
        default=None, description="the answer given at once, for a consultation"
    )
    unit: str | None = Field(default=None, description="the unit's public name")


class CitizenStatus(BaseModel):
    """Where an appeal stands, for the citizen: no personal data, no notes."""

    tracking_code: str
    type: AppealType
    state: StatusState
    steps: list[StatusStep]
