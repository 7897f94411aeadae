"""Topic names: one per producing aggregate, each with a dead-letter twin."""

from __future__ import annotations

from dataclasses import dataclass

APPEALS = "appeals"
WORK_ORDERS = "work-orders"
DEADLINES = "deadlines"
NOTICES = "notices"
ALERTS = "alerts"

ALL = (APPEALS, WORK_ORDERS, DEADLINES, NOTICES, ALERTS)


@dataclass(frozen=True)
class TopicNames:
    """Topic names with the installation's prefix (empty in production by default;
    tests use one per run so they can share a broker)."""

    prefix: str = ""

    def name(self, topic: str) -> str:
        return f"{self.prefix}{topic}"

    def dead_letter(self, topic: str) -> str:
        """The dead-letter topic of an already prefixed topic name."""
        return f"{topic}.dlq"

    def all_with_dead_letters(self) -> list[str]:
        names = [self.name(topic) for topic in ALL]
        return names + [self.dead_letter(name) for name in names]
