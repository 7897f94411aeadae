"""What the knowledge base's API takes and gives."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# The stated limits, counted after spaces are trimmed; the schema lets through twice
# as much so that the service can answer `too_long` with the field at fault.
QUESTION_CHARS = 200
ANSWER_CHARS = 4000
KEYWORD_CHARS = 30
KEYWORDS = 20
NOTE_CHARS = 200


class EntryIn(BaseModel):
    """A new question and its answer (知识库条目)."""

    model_config = ConfigDict(extra="forbid")

    unit_id: str | None = Field(
        default=None,
        max_length=50,
        description="the unit that keeps the entry; a unit's key may leave it out "
        "(its own unit), the center names one",
    )
    category_id: str = Field(min_length=1, max_length=50)
    question: str = Field(
        min_length=1,
        max_length=2 * QUESTION_CHARS,
        description=f"as a citizen would ask it; at most {QUESTION_CHARS} characters",
    )
    answer: str = Field(
        min_length=1,
        max_length=2 * ANSWER_CHARS,
        description=f"the answer given to the citizen; at most {ANSWER_CHARS} "
        "characters",
    )
    keywords: list[str] = Field(
        default_factory=list,
        max_length=KEYWORDS,
        description=f"other words citizens use for it; at most {KEYWORDS}, "
        f"{KEYWORD_CHARS} characters each",
    )
    valid_from: datetime | None = Field(
        default=None,
        description="from when the answer holds (default: now); a time without "
        "offset is read as Asia/Shanghai",
    )
    valid_to: datetime | None = Field(
        default=None,
        description="from when it no longer holds (default: until changed); after "
        "valid_from",
    )


class EntryUpdate(BaseModel):
    """The entry's new wording; it replaces the current one and is kept as a new
    version."""

    model_config = ConfigDict(extra="forbid")

    unit_id: str | None = Field(
        default=None, max_length=50, description="move it to this unit (center only)"
    )
    category_id: str = Field(min_length=1, max_length=50)
    question: str = Field(min_length=1, max_length=2 * QUESTION_CHARS)
    answer: str = Field(min_length=1, max_length=2 * ANSWER_CHARS)
    keywords: list[str] = Field(default_factory=list, max_length=KEYWORDS)
    valid_from: datetime | None = Field(
        default=None, description="left out: the current start stays"
    )
    valid_to: datetime | None = Field(
        default=None, description="left out or null: until changed"
    )
    version: int | None = Field(
        default=None,
        ge=1,
        description="the version you edited; if someone changed the entry since, "
        "the change is refused (409 `version_conflict`)",
    )
    note: str | None = Field(
        default=None, max_length=NOTE_CHARS, description="why, kept in the history"
    )


class RetireIn(BaseModel):
    """Why an entry is retired, kept in its history."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=NOTE_CHARS)


class EntryOut(BaseModel):
    """A knowledge entry in its current version."""

    id: str
    unit_id: str
    category_id: str
    question: str
    answer: str
    keywords: list[str]
    valid_from: AwareDatetime
    valid_to: AwareDatetime | None
    created_by: str
    created_at: AwareDatetime
    updated_at: AwareDatetime
    retired_at: AwareDatetime | None
    version: int


class EntryVersionOut(BaseModel):
    """The entry as it stood after one change."""

    version: int
    action: str = Field(description="created, updated or retired")
    unit_id: str
    category_id: str
    question: str
    answer: str
    keywords: list[str]
    valid_from: AwareDatetime
    valid_to: AwareDatetime | None
    retired_at: AwareDatetime | None
    changed_by: str
    changed_at: AwareDatetime
    note: str | None


class EntryHistory(BaseModel):
    entry_id: str
    versions: list[EntryVersionOut] = Field(description="oldest first")


class KnowledgeHit(EntryOut):
    """An entry found by a search, with how well it matches."""

    score: float | None = Field(
        description="0 to 1, higher matches better; null when no words were given"
    )


class KnowledgePage(BaseModel):
    items: list[KnowledgeHit]
    total: int
    valid_at: AwareDatetime = Field(description="the moment the entries hold at")


class AnswerRate(BaseModel):
    """The one-time answer rate of consultations (一次性答复率, Art. 43): the
    consultations received in the period that were answered at once from the
    knowledge base, over all consultations received in the period, whatever their
    filing decision."""

    period_from: AwareDatetime = Field(description="start, included")
    period_to: AwareDatetime = Field(description="end, excluded")
    consultations: int
    answered_at_once: int
    rate: float | None = Field(description="null when no consultation arrived")
    target: float = Field(description="the rate Art. 43 asks for")
    meets_target: bool | None


TEMPLATE_CHARS = 2000


class ReplyTemplatesIn(BaseModel):
    """The two templates a unit sends for one kind of appeal it has handled three
    times (Art. 43)."""

    model_config = ConfigDict(extra="forbid")

    handling_notice_template: str = Field(
        min_length=1,
        max_length=2 * TEMPLATE_CHARS,
        description="办理告知模板: how the unit tells a citizen the result of an "
        f"appeal of this kind (Art. 29); at most {TEMPLATE_CHARS} characters",
    )
    handling_feedback_template: str = Field(
        min_length=1,
        max_length=2 * TEMPLATE_CHARS,
        description="办理反馈模板: how the unit reports the handling to the center "
        f"when it asks to close (Art. 17); at most {TEMPLATE_CHARS} characters",
    )


class ReplyTemplateRequestOut(BaseModel):
    """A request for reply templates after a unit's third closure of one category
    (Art. 43), with the templates once they arrived."""

    id: str
    unit_id: str
    category_id: str
    work_order_id: str = Field(description="the third closed order")
    appeal_id: str
    closed_work_order_ids: list[str]
    closed_at: AwareDatetime = Field(
        description="the third closure; the templates are due 3 working days after "
        "its day"
    )
    requested_at: AwareDatetime
    status: Literal["requested", "received"]
    handling_notice_template: str | None
    handling_feedback_template: str | None
    received_at: AwareDatetime | None
    received_by: str | None


class ReplyTemplatePage(BaseModel):
    items: list[ReplyTemplateRequestOut]
    total: int
