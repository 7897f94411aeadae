"""The ladder of Art. 24: who coordinates a dispute, and who comes next.

The center coordinates first (区民生诉求服务中心协调); unresolved, the bureau's
leadership (区政务服务数据管理局局领导协调); still unresolved, a meeting chaired by the
district leader in charge (分管区领导召开专题协调会议), which must decide.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    CENTER = "center"
    BUREAU_LEADERSHIP = "bureau_leadership"
    DISTRICT_MEETING = "district_meeting"


LADDER: tuple[Level, ...] = (
    Level.CENTER,
    Level.BUREAU_LEADERSHIP,
    Level.DISTRICT_MEETING,
)

NAMES: dict[Level, str] = {
    Level.CENTER: "the center (中心协调)",
    Level.BUREAU_LEADERSHIP: "the bureau's leadership (局领导协调)",
    Level.DISTRICT_MEETING: "the district leader's meeting (区领导专题协调会议)",
}

DOCUMENT_REQUIRED: frozenset[Level] = frozenset(
    {Level.BUREAU_LEADERSHIP, Level.DISTRICT_MEETING}
)
"""The levels above the center do not use the platform themselves: the center
records their decision, and their written decision (minutes, a signed note) is
attached as its evidence."""


def above(level: Level) -> Level | None:
    """The level a dispute goes to when `level` cannot resolve it; None at the top."""
    index = LADDER.index(level)
    return LADDER[index + 1] if index + 1 < len(LADDER) else None
