"""What the API of reminder letters, morning reports, template previews, return
visits and reopening candidates takes and gives."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Rating = Field(default=None, ge=1, le=5)


class ReminderLetterIn(BaseModel):
    """A reminder letter (催办函, Art. 40) to a unit about some of its orders."""

    model_config = ConfigDict(extra="forbid")

    unit_id: str = Field(min_length=1, max_length=50)
    work_order_ids: list[str] = Field(min_length=1, max_length=50)
    text: str = Field(min_length=1, max_length=2000, description="the center's words")
    request_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="the caller's id of this letter: sent again, the same letter is "
        "answered and no second one written",
    )

    @model_validator(mode="after")
    def _words_and_ids_not_blank(self) -> ReminderLetterIn:
        if not self.text.strip():
            raise ValueError("text is blank")
        if any(not order.strip() or len(order) > 36 for order in self.work_order_ids):
            raise ValueError("a work order id is blank or longer than 36 characters")
        return self


class ReminderLetterOut(BaseModel):
    id: str
    unit_id: str
    work_order_ids: list[str]
    text: str = Field(description="as sent, personal data masked")
    requested_by: str
    requested_at: AwareDatetime
    notice_id: str = Field(description="the notice that carries it, with its evidence")
    notice_status: str
    body: str = Field(description="the letter as the unit's OA system receives it")


class Level1Item(BaseModel):
    appeal_id: str
    code: str
    title: str
    place: str | None
    category: str | None


class WarningItem(BaseModel):
    warning_id: str
    kind: str
    kind_name: str
    place: str | None
    count: int
    window_hours: int | None
    codes: list[str]


class OverdueItemOut(BaseModel):
    work_order_id: str
    appeal_id: str
    code: str
    unit_id: str
    unit: str
    what: str
    due: str


class MorningReportOut(BaseModel):
    """The daily morning report (民生诉求每日早报) sent on `report_date`, covering the
    day before."""

    report_date: date
    covers: date
    compiled_at: AwareDatetime
    level_1: list[Level1Item]
    warnings: list[WarningItem]
    overdue: list[OverdueItemOut]
    body: str = Field(description="the text the leaders received")


class TemplatePreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: dict[str, Any] = Field(
        default_factory=dict,
        description="values over the kind's samples; GET /v1/templates lists them",
    )


class TemplatePreviewOut(BaseModel):
    kind: str
    body: str
    values: dict[str, Any] = Field(description="every value the text was made from")


class TemplateOut(BaseModel):
    kind: str
    sample: dict[str, Any]


class TemplateList(BaseModel):
    items: list[TemplateOut]


class QuestionOut(BaseModel):
    id: Literal["speed", "effect", "service", "system"]
    text: str


class SurveyOut(BaseModel):
    """A return-visit survey (回访, Art. 30) as its citizen sees it: no personal
    data."""

    tracking_code: str
    unit: str
    status: Literal["open", "answered", "expired"]
    expires_at: AwareDatetime
    questions: list[QuestionOut]
    scale: dict[str, str] = Field(description="what each rating, 1 to 5, means")
    answered_at: AwareDatetime | None
    speed: int | None
    effect: int | None
    service: int | None
    system: int | None
    solved: bool | None


class SurveyAnswerIn(BaseModel):
    """Ratings 1 (very unsatisfied) to 5 (very satisfied); at least one."""

    model_config = ConfigDict(extra="forbid")

    speed: int | None = Rating
    effect: int | None = Rating
    service: int | None = Rating
    system: int | None = Rating
    solved: bool | None = Field(default=None, description="was the problem solved")
    comment: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _rates_something(self) -> SurveyAnswerIn:
        if not self.ratings():
            raise ValueError("rate at least one of speed, effect, service, system")
        return self

    def ratings(self) -> dict[str, int]:
        given = {
            "speed": self.speed,
            "effect": self.effect,
            "service": self.service,
            "system": self.system,
        }
        return {name: value for name, value in given.items() if value is not None}


class SmsReplyIn(BaseModel):
    """A citizen's SMS reply, as the gateway passes it on (signed)."""

    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(
        min_length=1, max_length=100, description="the gateway's id of the reply"
    )
    phone: str = Field(min_length=5, max_length=30, description="the sender's number")
    text: str = Field(min_length=1, max_length=1000)
    provider_ref: str | None = Field(
        default=None,
        max_length=200,
        description="the gateway's reference of the message replied to, if known",
    )


class SmsReplyOut(BaseModel):
    survey_id: str
    work_order_id: str
    speed: int | None
    effect: int | None
    service: int | None
    system: int | None
    solved: bool | None
    satisfied: bool
    reopen_candidate: bool
    duplicate: bool = Field(description="the same reply was received before")


class ReopenCandidateOut(BaseModel):
    """An unsatisfied return visit (Art. 31): the center may reopen the order
    through dispatch."""

    survey_id: str
    work_order_id: str
    appeal_id: str
    unit_id: str
    tracking_code: str
    answered_at: AwareDatetime
    channel: str
    speed: int | None
    effect: int | None
    service: int | None
    system: int | None
    solved: bool | None
    reply: str | None = Field(description="the citizen's words, personal data masked")
    reopened_at: AwareDatetime | None


class ReopenCandidateList(BaseModel):
    items: list[ReopenCandidateOut]
