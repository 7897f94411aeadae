"""The daily morning report (民生诉求每日早报, Art. 23): at 08:00 Asia/Shanghai the
district leaders get the previous day's level-1 appeals, warnings and orders that
ran out, each leader by SMS or government WeChat.

A day's report is compiled once: its row (keyed by the date) and the leaders'
notices are written in one transaction, so a second replica, or the loop coming
round again, finds the row and sends nothing. A service that was down at 08:00
sends the report when it runs again that day; a day that passed entirely is not
reported afterwards. Items are counted on the day they happened (Shanghai time).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common.db import is_connection_error
from minsheng_common.runtime import ServiceRuntime
from minsheng_common.timeutil import SHANGHAI, as_utc, local
from minsheng_notify import addressed, official_texts, projections
from minsheng_notify.official_context import OFFICIAL_CONTEXT_KEY, OfficialContext
from minsheng_notify.official_errors import MorningReportNotFound
from minsheng_notify.official_models import (
    AppealSummary,
    MorningReport,
    OverdueItem,
    RaisedWarning,
)

log = logging.getLogger(__name__)


async def send_daily(runtime: ServiceRuntime) -> None:
    """The background loop: compile and send the day's report once its time has
    come, checking every `NOTIFY_MORNING_REPORT_CHECK_SECONDS` on the service's
    clock (a demo clock moved forward sends it at once)."""
    context: OfficialContext = runtime.extras[OFFICIAL_CONTEXT_KEY]
    interval = context.report_check.total_seconds()
    while True:
        try:
            await run_due(sessions=runtime.sessions, context=context)
        except Exception as error:
            if not is_connection_error(error):
                raise
            log.error("store unreachable for the morning report: %r; retrying", error)
        await asyncio.sleep(interval)


def sending_time(report_date: date, at: time) -> datetime:
    """When the report of `report_date` goes out, in UTC."""
    return as_utc(datetime.combine(report_date, at, tzinfo=SHANGHAI))


async def run_due(
    *, sessions: async_sessionmaker[AsyncSession], context: OfficialContext
) -> MorningReport | None:
    """Compile and send today's report if its time has passed and it was not sent;
    the report compiled now, or None."""
    now = context.now()
    today = local(now).date()
    if now < sending_time(today, context.report_at):
        return None

    async with sessions() as session:
        try:
            async with session.begin():
                if await session.get(MorningReport, today) is not None:
                    return None
                return await compile_report(
                    session=session, context=context, report_date=today
                )
        except IntegrityError:
            # Another replica compiled the same day at the same moment; its
            # report stands, and this transaction sent nothing.
            log.info("morning report of %s compiled by another replica", today)
            return None


async def compile_report(
    *, session: AsyncSession, context: OfficialContext, report_date: date
) -> MorningReport:
    """Compile the report of `report_date` (covering the day before) and queue it
    to every leader, in the caller's transaction."""
    covers = report_date - timedelta(days=1)
    start = sending_time(covers, time(0, 0))
    end = start + timedelta(days=1)
    content = {
        "covers": official_texts.day(covers),
        "level_1": await _level_1(session, context, start, end),
        "warnings": await _warnings(session, context, start, end),
        "overdue": await _overdue(session, context, start, end),
    }
    body = official_texts.morning_report(context.texts, content)

    report = MorningReport(
        report_date=report_date,
        covers=covers,
        compiled_at=context.now(),
        level_1_count=len(content["level_1"]),
        warning_count=len(content["warnings"]),
        overdue_count=len(content["overdue"]),
        body=body,
        content=json.dumps(content, ensure_ascii=False),
    )
    session.add(report)
    await session.flush()

    leaders = context.directory.leaders()
    for leader in leaders:
        await addressed.queue(
            session=session,
            context=context.notify,
            addressee=leader,
            kind=official_texts.MORNING_REPORT,
            subject=report_date.isoformat(),
            body=body,
        )
    log.info(
        "morning report of %s (covering %s): %d level-1, %d warning(s), %d overdue; "
        "queued to %d leader(s)",
        report_date,
        covers,
        report.level_1_count,
        report.warning_count,
        report.overdue_count,
        len(leaders),
    )
    return report


async def get_report(*, session: AsyncSession, report_date: date) -> MorningReport:
    """The report sent on `report_date`; 404 `morning_report_not_found`."""
    report = await session.get(MorningReport, report_date)
    if report is None:
        raise MorningReportNotFound(
            f"no morning report was sent on {report_date.isoformat()}",
            field="report_date",
        )
    return report


async def _level_1(
    session: AsyncSession, context: OfficialContext, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    directory = context.directory
    result = await session.scalars(
        select(AppealSummary)
        .where(AppealSummary.level_1_at >= start, AppealSummary.level_1_at < end)
        .order_by(AppealSummary.level_1_at, AppealSummary.appeal_id)
    )
    return [
        {
            "appeal_id": summary.appeal_id,
            "code": summary.tracking_code,
            "title": summary.title or "",
            "place": directory.subdistrict_name(summary.subdistrict_id),
            "category": directory.category_name(summary.category_id),
        }
        for summary in result
    ]


async def _warnings(
    session: AsyncSession, context: OfficialContext, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    directory = context.directory
    result = await session.scalars(
        select(RaisedWarning)
        .where(RaisedWarning.raised_at >= start, RaisedWarning.raised_at < end)
        .order_by(RaisedWarning.raised_at, RaisedWarning.warning_id)
    )
    items = []
    for warning in list(result):
        appeal_ids = await projections.appeals_of_warning(session, warning.warning_id)
        summaries = await projections.summaries(session, appeal_ids)
        codes = [summaries[a].tracking_code for a in appeal_ids if a in summaries]
        items.append(
            {
                "warning_id": warning.warning_id,
                "kind": warning.kind,
                "kind_name": official_texts.WARNING_WORDS.get(
                    warning.kind, warning.kind
                ),
                "place": directory.subdistrict_name(warning.subdistrict_id),
                "count": warning.count,
                "window_hours": warning.window_hours,
                "codes": codes[: official_texts.CODES_SHOWN],
            }
        )
    return items


async def _overdue(
    session: AsyncSession, context: OfficialContext, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    directory = context.directory
    result = await session.scalars(
        select(OverdueItem)
        .where(OverdueItem.overdue_at >= start, OverdueItem.overdue_at < end)
        .order_by(OverdueItem.overdue_at, OverdueItem.deadline_id)
    )
    items = list(result)
    summaries = await projections.summaries(session, [i.appeal_id for i in items])
    return [
        {
            "work_order_id": item.work_order_id,
            "appeal_id": item.appeal_id,
            "code": (
                summaries[item.appeal_id].tracking_code
                if item.appeal_id in summaries
                else item.work_order_id
            ),
            "unit_id": item.unit_id,
            "unit": directory.unit_name(item.unit_id),
            "what": official_texts.deadline_words(item.kind),
            "due": official_texts.when(item.due_at),
        }
        for item in items
    ]
