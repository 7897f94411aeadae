"""The administration's errors, each with its own stable code and, where a rule
forbids the change, the rule's article in its message."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput, NotFound, Unavailable


class RuleNotFound(NotFound):
    code = "routing_rule_not_found"


class UnitNotFound(NotFound):
    code = "unit_not_found"


class CategoryNotFound(NotFound):
    code = "category_not_found"


class ProjectNotFound(NotFound):
    """No such project, or it is another unit's (never revealed)."""

    code = "project_not_found"


class QueueEntryNotFound(NotFound):
    code = "queue_entry_not_found"


class UnknownUnit(InvalidInput):
    """The request names a unit that does not exist."""

    code = "unknown_unit"


class UnknownCategory(InvalidInput):
    code = "unknown_category"


class UnknownPlace(InvalidInput):
    """A subdistrict or community the reference data does not know."""

    code = "unknown_place"


class InvalidRule(InvalidInput):
    """A rule whose parts do not fit its kind."""

    code = "invalid_rule"


class InvalidValidity(InvalidInput):
    """A rule cannot start in the past: history is not rewritten."""

    code = "invalid_validity"


class RegisteredTooLate(InvalidInput):
    """A project registered less than the required working days before its works
    start (Art. 43), not marked urgent by the center."""

    code = "registered_too_late"


class InvalidDates(InvalidInput):
    code = "invalid_dates"


class UnitRetired(Conflict):
    """A retired unit receives nothing new (Art. 8)."""

    code = "unit_retired"


class CategoryRetired(Conflict):
    code = "category_retired"


class UnitExists(Conflict):
    """Unit ids are never reused, not even a retired unit's."""

    code = "unit_exists"


class CategoryExists(Conflict):
    code = "category_exists"


class AlreadyRetired(Conflict):
    code = "already_retired"


class UnitHasOpenOrders(Conflict):
    """A unit's open work orders must be moved before it is retired."""

    code = "unit_has_open_orders"


class UnitHasProjects(Conflict):
    """A unit in charge of registered projects cannot be retired before they move."""

    code = "unit_has_projects"


class FallbackUnit(Conflict):
    """The unit that takes what nothing else names cannot be retired."""

    code = "unit_is_fallback"


class RuleClosed(Conflict):
    code = "routing_rule_closed"


class ProjectWithdrawn(Conflict):
    code = "project_withdrawn"


class UrgentNeedsCenter(Conflict):
    """Only the center may waive the registration period (Art. 43)."""

    code = "urgent_needs_center"


class AlreadyDispatched(Conflict):
    """The queued appeal was dispatched already (Art. 12)."""

    code = "already_dispatched"


class FirstAskedNotUrgent(Conflict):
    """First-asked responsibility is for urgent appeals only (Art. 25)."""

    code = "first_asked_not_urgent"


class FirstAskedCannotReturn(Conflict):
    """The first-asked unit owns the order to the end (首问负责, Art. 25)."""

    code = "first_asked_cannot_return"


class FirstHandlerCannotReturn(Conflict):
    """The main unit named by the standard handles it (首办负责, Art. 26)."""

    code = "first_handler_cannot_return"


class QueueDispatchNotWired(Unavailable):
    """The service was started without the function that makes the order."""

    code = "queue_dispatch_unavailable"
    retriable = False
