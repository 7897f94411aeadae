"""Notify's API for the center and the leaders: reminder letters to units
(催办函, Art. 40), the daily morning report (民生诉求每日早报, Art. 23), template
previews, and the reopening candidates that unsatisfied return visits raise
(Art. 31).

The return-visit survey (回访, Art. 30) answers the citizen without an account:
the link's token is the credential. SMS replies come from the gateway, signed
with a shared secret instead of a key.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import ValidationError

from minsheng_common.auth import webhooks
from minsheng_common.auth.api import require
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope
from minsheng_common.errors import InvalidInput
from minsheng_notify import (
    morning_report,
    previews,
    return_visits,
    unit_messages,
)
from minsheng_notify.deps import NoticesReader, Session
from minsheng_notify.official_context import OFFICIAL_CONTEXT_KEY, OfficialContext
from minsheng_notify.official_errors import (
    RepliesNotConfigured,
)
from minsheng_notify.official_models import MorningReport, Survey
from minsheng_notify.official_schemas import (
    Level1Item,
    MorningReportOut,
    OverdueItemOut,
    QuestionOut,
    ReminderLetterIn,
    ReminderLetterOut,
    ReopenCandidateList,
    ReopenCandidateOut,
    SmsReplyIn,
    SmsReplyOut,
    SurveyAnswerIn,
    SurveyOut,
    TemplateList,
    TemplateOut,
    TemplatePreviewIn,
    TemplatePreviewOut,
    WarningItem,
)
from minsheng_notify.unit_messages import LetterRecord


def _context(request: Request) -> OfficialContext:
    context: OfficialContext = request.app.state.runtime.extras[OFFICIAL_CONTEXT_KEY]
    return context


Context = Annotated[OfficialContext, Depends(_context)]
LetterWriter = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_OPERATE))]
"""A center operator or supervisor."""
ReportReader = Annotated[
    Principal, Depends(require(Scope.NOTICES_READ, Scope.ANALYTICS_READ))
]
"""The center, or a district leader."""
CandidateReader = Annotated[Principal, Depends(require(Scope.WORK_ORDERS_READ))]
"""The center."""

router = APIRouter(prefix="/v1")

QUESTIONS = [
    QuestionOut(id="speed", text="办理速度"),
    QuestionOut(id="effect", text="办理效果"),
    QuestionOut(id="service", text="服务态度"),
    QuestionOut(id="system", text="平台体验"),
]
SCALE = {"1": "很不满意", "2": "不满意", "3": "基本满意", "4": "满意", "5": "非常满意"}


@router.post(
    "/reminder-letters",
    response_model=ReminderLetterOut,
    status_code=201,
    tags=["units"],
    responses={
        200: {
            "model": ReminderLetterOut,
            "description": "The letter its request id was used for before",
        }
    },
)
async def send_reminder_letter(
    letter: ReminderLetterIn,
    response: Response,
    session: Session,
    context: Context,
    principal: LetterWriter,
) -> ReminderLetterOut:
    """Write a reminder letter (催办函, Art. 40) to a unit's OA system about some
    of its orders, in the center's words; sent and evidenced like every notice.

    201 with the letter; 200 with the first letter when `request_id` was used
    before for the same letter, 409 `reminder_letter_conflict` when for another.
    422 `unknown_unit` for a unit the reference data does not know.
    """
    record = await unit_messages.send_reminder_letter(
        session=session,
        context=context,
        unit_id=letter.unit_id,
        work_order_ids=letter.work_order_ids,
        text=letter.text,
        request_id=letter.request_id,
        principal=principal,
    )
    if not record.created:
        response.status_code = 200
    return _letter(record)


def _letter(record: LetterRecord) -> ReminderLetterOut:
    letter = record.letter
    return ReminderLetterOut(
        id=letter.id,
        unit_id=letter.unit_id,
        work_order_ids=record.work_order_ids,
        text=letter.text,
        requested_by=letter.requested_by,
        requested_at=letter.requested_at,
        notice_id=letter.notice_id,
        notice_status=record.notice.status,
        body=record.notice.body,
    )


@router.get(
    "/morning-reports/{report_date}",
    response_model=MorningReportOut,
    tags=["leaders"],
)
async def get_morning_report(
    report_date: date, session: Session, principal: ReportReader
) -> MorningReportOut:
    """The daily morning report (民生诉求每日早报) sent on `report_date`
    (YYYY-MM-DD) at 08:00 Asia/Shanghai: the day before's level-1 appeals,
    warnings and orders that ran out, and the text the leaders received. 404
    `morning_report_not_found` for a day without one (yet)."""
    report = await morning_report.get_report(session=session, report_date=report_date)
    return _report(report)


def _report(report: MorningReport) -> MorningReportOut:
    content = json.loads(report.content)
    return MorningReportOut(
        report_date=report.report_date,
        covers=report.covers,
        compiled_at=report.compiled_at,
        level_1=[Level1Item.model_validate(item) for item in content["level_1"]],
        warnings=[WarningItem.model_validate(item) for item in content["warnings"]],
        overdue=[OverdueItemOut.model_validate(item) for item in content["overdue"]],
        body=report.body,
    )


@router.get("/templates", response_model=TemplateList, tags=["templates"])
async def list_templates(principal: NoticesReader) -> TemplateList:
    """Every message kind with the sample values its template is previewed with."""
    return TemplateList(
        items=[
            TemplateOut(kind=kind, sample=previews.sample(kind))
            for kind in previews.kinds()
        ]
    )


@router.post(
    "/templates/{kind}/preview", response_model=TemplatePreviewOut, tags=["templates"]
)
async def preview_template(
    kind: Annotated[str, Path(max_length=50)],
    request: TemplatePreviewIn,
    context: Context,
    principal: NoticesReader,
) -> TemplatePreviewOut:
    """The text of a message kind (Chinese, as sent) from its sample values, with
    the given `values` in their place. Nothing is sent. 422 `unknown_template`
    for a kind without a template, `template_values_invalid` for a value the
    template does not read or cannot use."""
    body, values = previews.preview(context.texts, kind, request.values)
    return TemplatePreviewOut(kind=kind, body=body, values=values)


@router.get(
    "/reopen-candidates", response_model=ReopenCandidateList, tags=["return visits"]
)
async def list_reopen_candidates(
    session: Session,
    principal: CandidateReader,
    include_reopened: bool = Query(
        default=False, description="also the orders dispatch has reopened since"
    ),
    unit_id: str | None = Query(default=None, max_length=50),
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> ReopenCandidateList:
    """Orders whose citizen answered the return visit unsatisfied (Art. 31),
    newest first: candidates for dispatch's reopening (重办). A reopened order
    leaves the list."""
    surveys = await return_visits.reopen_candidates(
        session=session,
        include_reopened=include_reopened,
        unit_id=unit_id,
        limit=limit,
        offset=offset,
    )
    return ReopenCandidateList(items=[_candidate(survey) for survey in surveys])


def _candidate(survey: Survey) -> ReopenCandidateOut:
    return ReopenCandidateOut(
        survey_id=survey.id,
        work_order_id=survey.work_order_id,
        appeal_id=survey.appeal_id,
        unit_id=survey.unit_id,
        tracking_code=survey.tracking_code,
        answered_at=survey.answered_at or survey.created_at,
        channel=survey.answer_channel or "",
        speed=survey.speed,
        effect=survey.effect,
        service=survey.service,
        system=survey.system,
        solved=survey.solved,
        reply=survey.reply_text,
        reopened_at=survey.reopened_at,
    )


surveys = APIRouter(prefix="/v1/surveys", tags=["return visits"])


@surveys.post(
    "/replies",
    response_model=SmsReplyOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SmsReplyIn.model_json_schema()}},
        }
    },
)
async def receive_sms_reply(
    request: Request,
    session: Session,
    context: Context,
    timestamp: Annotated[
        str | None,
        Header(alias=webhooks.TIMESTAMP_HEADER, description="Unix seconds"),
    ] = None,
    signature: Annotated[
        str | None,
        Header(
            alias=webhooks.SIGNATURE_HEADER,
            description='"sha256=" and the hex HMAC-SHA256 of "<timestamp>.<body>"',
        ),
    ] = None,
) -> SmsReplyOut:
    """A citizen's SMS reply to a return visit, passed on by the SMS gateway and
    signed with the shared secret (NOTIFY_SMS_REPLY_SECRETS) instead of a key:
    {message_id, phone, text, provider_ref}.

    The reply is read into ratings (numbers or words, full-width forms too: "1满意
    2不满意", "5 4 5 5", "满意", "不满意，问题没解决") and announced
    (return_visit.answered); unsatisfied, the order becomes a reopening
    candidate. The same message id again answers as the first time. 401 for a
    bad or stale signature, 503 without a secret; 404 `survey_not_found` when no
    open survey went to the number, 409 `survey_answered` / `survey_expired`,
    422 `reply_unreadable` when it rates nothing.
    """
    if not context.survey.reply_secrets:
        raise RepliesNotConfigured(
            "SMS replies are not taken: NOTIFY_SMS_REPLY_SECRETS is not set"
        )
    body = await request.body()
    webhooks.verify(
        secrets=context.survey.reply_secrets,
        timestamp=timestamp,
        signature=signature,
        body=body,
        # The gateway signs with its own (real) clock, never the demo clock.
        now=datetime.now(UTC),
    )
    reply = _parse_reply(body)
    outcome = await return_visits.answer_by_sms(
        session=session,
        context=context,
        reply=return_visits.SmsReply(
            message_id=reply.message_id,
            phone=reply.phone,
            text=reply.text,
            provider_ref=reply.provider_ref,
        ),
    )
    survey = outcome.survey
    return SmsReplyOut(
        survey_id=survey.id,
        work_order_id=survey.work_order_id,
        speed=survey.speed,
        effect=survey.effect,
        service=survey.service,
        system=survey.system,
        solved=survey.solved,
        satisfied=bool(survey.satisfied),
        reopen_candidate=survey.satisfied is False,
        duplicate=outcome.duplicate,
    )


def _parse_reply(body: bytes) -> SmsReplyIn:
    try:
        return SmsReplyIn.model_validate_json(body)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise InvalidInput(f"{where}: {problem['msg']}", field=where) from None


@surveys.get("/{token}", response_model=SurveyOut)
async def get_survey(
    token: Annotated[str, Path(min_length=1, max_length=64)],
    session: Session,
    context: Context,
) -> SurveyOut:
    """The return-visit survey (回访, Art. 30) behind a citizen's link: the
    questions, the scale and whether it is still open. No account: the link is
    the credential. 404 `survey_not_found` for an unknown link."""
    survey = await return_visits.by_token(session=session, token=token)
    return _survey(survey, context)


@surveys.post("/{token}", response_model=SurveyOut)
async def answer_survey(
    token: Annotated[str, Path(min_length=1, max_length=64)],
    answer: SurveyAnswerIn,
    session: Session,
    context: Context,
) -> SurveyOut:
    """Answer the survey: speed, effect, service and system, 1 (very unsatisfied)
    to 5 (very satisfied), at least one; whether the problem was solved. Announced
    as return_visit.answered; an unsatisfied answer makes the order a reopening
    candidate (Art. 31). 409 `survey_answered` or `survey_expired`."""
    survey = await return_visits.answer_by_link(
        session=session,
        context=context,
        token=token,
        ratings=answer.ratings(),
        solved=answer.solved,
        comment=answer.comment,
    )
    return _survey(survey, context)


def _survey(survey: Survey, context: OfficialContext) -> SurveyOut:
    return SurveyOut(
        tracking_code=survey.tracking_code,
        unit=context.directory.unit_name(survey.unit_id),
        status=return_visits.status(survey, context.now()),
        expires_at=survey.expires_at,
        questions=QUESTIONS,
        scale=SCALE,
        answered_at=survey.answered_at,
        speed=survey.speed,
        effect=survey.effect,
        service=survey.service,
        system=survey.system,
        solved=survey.solved,
    )
