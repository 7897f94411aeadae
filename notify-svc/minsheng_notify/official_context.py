"""What the messages to units, agencies and leaders, the morning report and the
return visits need besides notify's own context: the directory of offices, the
survey's link and keys, and the morning report's time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from minsheng_common.bus.outbox import Outbox
from minsheng_common.reference import ReferenceData
from minsheng_notify.recipients import Directory
from minsheng_notify.rendering import NoticeTexts
from minsheng_notify.service import NotifyContext
from minsheng_notify.settings import NotifySettings

OFFICIAL_CONTEXT_KEY = "notify_official_context"
"""Where the runtime keeps the context, for the routes and the morning-report loop."""


@dataclass(frozen=True)
class SurveyPolicy:
    """Where return-visit links point, how long a survey stays open, the key of
    the phone hash an SMS reply is matched by, and the secrets replies are signed
    with."""

    base_url: str
    valid_for: timedelta
    hash_key: str
    reply_secrets: tuple[str, ...]

    def link(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/v1/surveys/{token}"


@dataclass(frozen=True)
class OfficialContext:
    """Notify's context with the directory, the survey policy and the morning
    report's time (Asia/Shanghai)."""

    notify: NotifyContext
    directory: Directory
    survey: SurveyPolicy
    report_at: time
    report_check: timedelta

    @property
    def texts(self) -> NoticeTexts:
        return self.notify.texts

    @property
    def outbox(self) -> Outbox:
        return self.notify.outbox

    def now(self) -> datetime:
        return self.notify.clock.now()


def build(
    settings: NotifySettings, *, notify: NotifyContext, reference: ReferenceData
) -> OfficialContext:
    """The context of this installation: its reference data and contacts, its
    survey link and keys."""
    return OfficialContext(
        notify=notify,
        directory=Directory.load(reference, settings.contacts_file),
        survey=SurveyPolicy(
            base_url=settings.survey_base_url,
            valid_for=timedelta(days=settings.survey_valid_days),
            hash_key=settings.hash_key,
            reply_secrets=tuple(settings.sms_reply_secret_list()),
        ),
        report_at=settings.morning_report_at,
        report_check=timedelta(seconds=settings.morning_report_check_seconds),
    )
