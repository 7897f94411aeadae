"""Alerts to agencies and units (Art. 9, 23): a level-1 appeal at once to the
agencies the reference routes level 1 to (the Political-Legal Committee, the
Emergency Management Bureau, the Petition Bureau); each warning to the agencies
its kind is routed to, the subdistrict office it names and the units handling its
appeals, a unit dispatched later included. Each by an OA reminder letter; the
special urgent cases the contacts name (level 1, safety hazards) also by a
telephone letter (电函) to each routed agency. District leaders read them in the
next morning report.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common.events import WarningRaised, WorkOrderDispatched
from minsheng_notify import addressed, official_texts, projections, recipients
from minsheng_notify.models import Notice
from minsheng_notify.official_context import OfficialContext
from minsheng_notify.official_models import AppealSummary, RaisedWarning

log = logging.getLogger(__name__)


async def alert_level_1(
    *, session: AsyncSession, context: OfficialContext, summary: AppealSummary
) -> list[Notice]:
    """Tell the routed agencies of a level-1 appeal at once (Art. 9), one letter
    per agency however often the appeal is graded or filed level 1."""
    directory = context.directory
    agencies = directory.routed(recipients.LEVEL_1)
    by_phone = directory.telephone_letter(recipients.LEVEL_1)
    at = summary.level_1_at or summary.filed_at or context.now()
    notices = []
    for unit_id in agencies:
        addressee = directory.unit(unit_id, recipients.LETTER_ROUTES)
        body = official_texts.level_1_alert(
            context.texts,
            to=addressee.name,
            code=summary.tracking_code,
            title=summary.title,
            place=directory.subdistrict_name(summary.subdistrict_id),
            category=directory.category_name(summary.category_id),
            basis=summary.basis,
            at=at,
        )
        notices.append(
            await addressed.queue(
                session=session,
                context=context.notify,
                addressee=addressee,
                kind=official_texts.LEVEL_1_ALERT,
                subject=summary.appeal_id,
                body=body,
                appeal_id=summary.appeal_id,
                unit_id=unit_id,
            )
        )
        if by_phone:
            about = f"编号{summary.tracking_code}的一级民生诉求"
            if summary.title:
                about += f"“{summary.title}”"
            notices.append(
                await _telephone_letter(
                    session,
                    context,
                    unit_id,
                    subject=f"level_1:{summary.appeal_id}",
                    about=about,
                    appeal_id=summary.appeal_id,
                )
            )

    log.info(
        "appeal %s (level 1): %d agency message(s) queued",
        summary.appeal_id,
        len(notices),
    )
    return notices


async def warn(
    *, session: AsyncSession, context: OfficialContext, raised: WarningRaised
) -> list[Notice]:
    """Send a warning (Art. 23) to the agencies its kind is routed to, the
    subdistrict office it names and the units already holding its appeals."""
    warning = await projections.keep_warning(session, raised)
    directory = context.directory
    agencies = directory.routed(raised.kind)
    office = directory.subdistrict_office(raised.subdistrict_id)
    units = await projections.units_of_appeals(session, raised.appeal_ids)
    told = list(dict.fromkeys([*agencies, *([office] if office else []), *units]))

    notices = [
        await _send_warning(session, context, warning, raised.appeal_ids, unit_id)
        for unit_id in told
    ]
    if directory.telephone_letter(raised.kind):
        about = _warning_summary(context, warning)
        for unit_id in agencies:
            notices.append(
                await _telephone_letter(
                    session,
                    context,
                    unit_id,
                    subject=f"warning:{warning.warning_id}",
                    about=about,
                )
            )

    log.info(
        "warning %s (%s, %d appeal(s)): %d message(s) queued to %d office(s)",
        warning.warning_id,
        warning.kind,
        len(raised.appeal_ids),
        len(notices),
        len(told),
    )
    return notices


async def warn_dispatched_unit(
    *,
    session: AsyncSession,
    context: OfficialContext,
    dispatched: WorkOrderDispatched,
) -> list[Notice]:
    """A unit given an appeal of an earlier warning is told that warning too."""
    notices = []
    for warning in await projections.warnings_of_appeal(session, dispatched.appeal_id):
        appeal_ids = await projections.appeals_of_warning(session, warning.warning_id)
        notices.append(
            await _send_warning(
                session, context, warning, appeal_ids, dispatched.unit_id
            )
        )
    return notices


async def _send_warning(
    session: AsyncSession,
    context: OfficialContext,
    warning: RaisedWarning,
    appeal_ids: list[str],
    unit_id: str,
) -> Notice:
    directory = context.directory
    addressee = directory.unit(unit_id, recipients.LETTER_ROUTES)
    summaries = await projections.summaries(session, appeal_ids)
    codes = [summaries[a].tracking_code for a in appeal_ids if a in summaries]
    body = official_texts.warning(
        context.texts,
        to=addressee.name,
        kind=warning.kind,
        place=directory.subdistrict_name(warning.subdistrict_id),
        count=warning.count,
        window_hours=warning.window_hours,
        codes=codes,
        at=warning.raised_at,
    )
    return await addressed.queue(
        session=session,
        context=context.notify,
        addressee=addressee,
        kind=official_texts.WARNING,
        subject=warning.warning_id,
        body=body,
        unit_id=unit_id,
    )


def _warning_summary(context: OfficialContext, warning: RaisedWarning) -> str:
    kind = official_texts.WARNING_WORDS.get(warning.kind, warning.kind)
    place = context.directory.subdistrict_name(warning.subdistrict_id) or ""
    return f"{place}{kind}预警，涉及诉求{warning.count}件"


async def _telephone_letter(
    session: AsyncSession,
    context: OfficialContext,
    unit_id: str,
    *,
    subject: str,
    about: str,
    appeal_id: str | None = None,
) -> Notice:
    directory = context.directory
    addressee = directory.unit(unit_id, recipients.TELEPHONE_ROUTES)
    body = official_texts.telephone_letter(
        context.texts, to=addressee.name, center=directory.center_name(), about=about
    )
    return await addressed.queue(
        session=session,
        context=context.notify,
        addressee=addressee,
        kind=official_texts.TELEPHONE_LETTER,
        subject=subject,
        body=body,
        appeal_id=appeal_id,
        unit_id=unit_id,
    )
