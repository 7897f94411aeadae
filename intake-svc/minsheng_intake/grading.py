"""Grading an appeal (Art. 9): level 1 may endanger public safety or cause a major
negative social impact (handled at once, warned both ways), level 2 is a possible
safety hazard, level 3 is ordinary.

The keywords are data: the rule edition in force gives them, and the center edits
them through the API; every edit is a new version, kept. An appeal is graded by
the newest version in force when it is received, unless a newer rule edition took
effect since. An operator may change an appeal's grade, with a reason; every grade
given is recorded and said on the bus (`appeal.graded`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import ids, redaction
from minsheng_common.auth.principal import Principal
from minsheng_common.bus.outbox import Outbox
from minsheng_common.events import AppealGraded
from minsheng_common.timeutil import SHANGHAI
from minsheng_intake import normalise
from minsheng_intake.errors import NotGradable
from minsheng_intake.intake_rules import GradingKeywords, IntakeRuleEdition
from minsheng_intake.models import Appeal, GradeChange, GradingRuleVersion

log = logging.getLogger(__name__)

Level = Literal[1, 2, 3]

RULES_GRADER = "rules"
"""Who graded an appeal when the rules did."""

_CLAUSE_END = re.compile(r"[，。；！？,.;!?\n]")


@dataclass(frozen=True)
class Grade:
    level: Level
    basis: str


@dataclass(frozen=True)
class ActiveRules:
    """The grading keywords in force, and where they come from."""

    keywords: GradingKeywords
    source: str
    """"edition <id>" or "version <n>"."""
    version: int | None = None


def grade(text: str, active: ActiveRules) -> Grade:
    """The level of a text by the keywords in force. A level-1 word after a word of
    supposition in the same clause ("一旦发生火灾") is a possible hazard: level 2."""
    keywords = active.keywords
    supposed: str | None = None
    for keyword in keywords.level_1:
        for position in _positions(text, keyword):
            if not _supposed(text, position, keywords.hypothetical_markers):
                return Grade(1, f"rule: level-1 word '{keyword}' ({active.source})")
            supposed = supposed or keyword
    if supposed is not None:
        return Grade(
            2, f"rule: level-1 word '{supposed}' as a possibility ({active.source})"
        )
    for keyword in keywords.level_2:
        if keyword in text:
            return Grade(2, f"rule: level-2 word '{keyword}' ({active.source})")
    return Grade(3, f"rule: no level-1 or level-2 word ({active.source})")


def _positions(text: str, keyword: str) -> list[int]:
    return [match.start() for match in re.finditer(re.escape(keyword), text)]


def _supposed(text: str, position: int, markers: list[str]) -> bool:
    ends = [match.end() for match in _CLAUSE_END.finditer(text, 0, position)]
    clause = text[ends[-1] if ends else 0 : position]
    return any(marker in clause for marker in markers)


async def rules_in_force(
    session: AsyncSession, edition: IntakeRuleEdition, at: datetime
) -> ActiveRules:
    """The newest version the center saved at or before `at`, unless the edition
    took effect after it; else the edition's own keywords."""
    version = await session.scalar(
        select(GradingRuleVersion)
        .where(GradingRuleVersion.changed_at <= at)
        .order_by(GradingRuleVersion.version.desc())
        .limit(1)
    )
    if (
        version is not None
        and version.changed_at.astimezone(SHANGHAI).date() >= edition.effective_from
    ):
        return ActiveRules(
            keywords=GradingKeywords(
                level_1=version.level_1,
                level_2=version.level_2,
                hypothetical_markers=version.hypothetical_markers,
            ),
            source=f"version {version.version}",
            version=version.version,
        )
    return ActiveRules(keywords=edition.grading, source=f"edition {edition.id}")


async def versions(session: AsyncSession) -> list[GradingRuleVersion]:
    """Every saved version, newest first."""
    rows = await session.scalars(
        select(GradingRuleVersion).order_by(GradingRuleVersion.version.desc())
    )
    return list(rows)


def keywords_from(
    *, level_1: list[str], level_2: list[str], hypothetical_markers: list[str]
) -> GradingKeywords:
    """The keywords as an operator sent them, each cleaned of invisible and control
    characters; a keyword with nothing visible left is refused (422 with its
    field), never stored blank."""
    lists = {
        "level_1": level_1,
        "level_2": level_2,
        "hypothetical_markers": hypothetical_markers,
    }
    cleaned = {
        name: [
            normalise.required(word, field=f"{name}.{number}")
            for number, word in enumerate(words)
        ]
        for name, words in lists.items()
    }
    return GradingKeywords(
        level_1=cleaned["level_1"],
        level_2=cleaned["level_2"],
        hypothetical_markers=cleaned["hypothetical_markers"],
    )


async def save_rules(
    *,
    session: AsyncSession,
    keywords: GradingKeywords,
    note: str,
    principal: Principal,
    now: datetime,
) -> GradingRuleVersion:
    """Save a new version of the grading keywords; it grades appeals received from
    now on. Earlier versions are kept."""
    note = normalise.required(note, field="note")
    version = GradingRuleVersion(
        level_1=keywords.level_1,
        level_2=keywords.level_2,
        hypothetical_markers=keywords.hypothetical_markers,
        note=note,
        changed_by=principal.label(),
        changed_at=now,
    )
    session.add(version)
    await session.commit()
    log.info(
        "grading rules version %s saved by %s (%d level-1, %d level-2 words)",
        version.version,
        principal.label(),
        len(keywords.level_1),
        len(keywords.level_2),
    )
    return version


def record(
    session: AsyncSession,
    appeal: Appeal,
    *,
    level: Level,
    basis: str,
    graded_by: str,
    at: datetime,
    previous_level: int | None,
) -> GradeChange:
    """Give the appeal a level and keep the record; the caller stages the event."""
    change = GradeChange(
        id=ids.new_id(),
        appeal_id=appeal.id,
        level=level,
        previous_level=previous_level,
        basis=basis,
        graded_by=graded_by,
        graded_at=at,
    )
    session.add(change)
    appeal.level = level
    appeal.grade_basis = basis
    return change


def event(appeal: Appeal, change: GradeChange) -> AppealGraded:
    previous = change.previous_level
    return AppealGraded(
        appeal_id=appeal.id,
        tracking_code=appeal.tracking_code,
        level=as_level(change.level),
        previous_level=as_level(previous) if previous is not None else None,
        basis=change.basis,
        graded_at=change.graded_at,
        graded_by=change.graded_by,
    )


GRADABLE = frozenset({"filed", "pending_verification", "pending_classification"})
"""States in which an appeal's grade can change: not once it is rejected."""


async def override(
    *,
    session: AsyncSession,
    outbox: Outbox,
    appeal: Appeal,
    level: Level,
    reason: str,
    principal: Principal,
    now: datetime,
) -> GradeChange:
    """An operator's grade, with the reason in words; recorded and announced as
    `appeal.graded` with basis "operator: <reason>"."""
    if appeal.status not in GRADABLE:
        raise NotGradable(
            f"appeal {appeal.id} is {appeal.status}; only a filed or pending appeal "
            "is graded",
            field="appeal_id",
        )
    reason = normalise.required(reason, field="reason")
    basis = f"operator: {redaction.redact(reason)}"
    change = record(
        session,
        appeal,
        level=level,
        basis=basis,
        graded_by=principal.label(),
        at=now,
        previous_level=appeal.level,
    )
    await outbox.stage(session, event(appeal, change), occurred_at=now)
    await session.commit()
    log.warning(
        "appeal %s graded level %s (was %s) by %s",
        appeal.id,
        level,
        change.previous_level,
        principal.label(),
    )
    return change


async def history(session: AsyncSession, appeal_id: str) -> list[GradeChange]:
    rows = await session.scalars(
        select(GradeChange)
        .where(GradeChange.appeal_id == appeal_id)
        .order_by(GradeChange.graded_at, GradeChange.id)
    )
    return list(rows)


def as_level(value: int) -> Level:
    """A stored level as the catalogue's type."""
    if value == 1:
        return 1
    if value == 2:
        return 2
    return 3
