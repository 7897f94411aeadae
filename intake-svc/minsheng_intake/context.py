"""What intake's rules need besides the store, built once when the app starts."""

from __future__ import annotations

from dataclasses import dataclass, field

from minsheng_common import pii
from minsheng_common.bus.outbox import Outbox
from minsheng_common.clock import Clock
from minsheng_common.reference import ReferenceData
from minsheng_common.working_calendar import WorkingCalendar, default_calendar
from minsheng_intake.intake_rules import IntakeRuleBook, load_intake_rules
from minsheng_intake.models import Appeal
from minsheng_intake.places import Gazetteer


@dataclass(frozen=True)
class IntakeContext:
    """What the intake rules need besides the store."""

    reference: ReferenceData
    gazetteer: Gazetteer
    vault: pii.PiiVault
    hash_key: str
    outbox: Outbox
    clock: Clock
    tracking_prefix: str
    max_title_chars: int
    max_content_chars: int
    attachment_types: frozenset[str] = frozenset()
    rules: IntakeRuleBook | None = None
    """Intake's rule editions; the packaged ones when not given."""
    calendar: WorkingCalendar = field(default_factory=default_calendar)
    """Working days and hours, for the repeat window (Art. 11(3)5)."""
    place_names: tuple[str, ...] = ()
    """The gazetteer's subdistrict and community names, taken out of texts before
    two problems are compared."""

    def rule_book(self) -> IntakeRuleBook:
        return self.rules if self.rules is not None else _packaged()


_PACKAGED: list[IntakeRuleBook] = []


def _packaged() -> IntakeRuleBook:
    if not _PACKAGED:
        _PACKAGED.append(load_intake_rules())
    return _PACKAGED[0]


def citizen_name(context: IntakeContext, appeal: Appeal) -> str | None:
    """The citizen's name in clear, for masking it in texts; None if not given."""
    if appeal.name_encrypted is None:
        return None
    return context.vault.decrypt(appeal.name_encrypted)
