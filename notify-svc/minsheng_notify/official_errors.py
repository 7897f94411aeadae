"""Errors of the messages to units and leaders, the morning report and the return
visits; each answers with its own status and code."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput, MinshengError, NotFound


class UnknownUnit(InvalidInput):
    """The reference data knows no such unit."""

    code = "unknown_unit"


class ReminderLetterNotFound(NotFound):
    code = "reminder_letter_not_found"


class ReminderLetterConflict(Conflict):
    """The request id was used for a different reminder letter."""

    code = "reminder_letter_conflict"


class MorningReportNotFound(NotFound):
    """No morning report was compiled for that date (yet)."""

    code = "morning_report_not_found"


class SurveyNotFound(NotFound):
    """No survey has that link, or no open survey matches the reply."""

    code = "survey_not_found"


class SurveyAnswered(Conflict):
    """The survey was answered already; the first answer stands."""

    code = "survey_answered"


class SurveyExpired(Conflict):
    """The survey is past the time it could be answered in."""

    code = "survey_expired"


class ReplyUnreadable(InvalidInput):
    """The reply rates nothing the survey asked."""

    code = "reply_unreadable"


class TemplateValuesInvalid(InvalidInput):
    """The sample values do not fit the template."""

    code = "template_values_invalid"


class RepliesNotConfigured(MinshengError):
    """No secret is set for the SMS gateway, so no reply can be verified."""

    status_code = 503
    code = "replies_not_configured"
