"""SLA's domain errors."""

from __future__ import annotations

from minsheng_common.errors import InvalidInput, NotFound


class WorkOrderNotFound(NotFound):
    """No clock runs on this work order: it is unknown here, or its dispatch event
    has not arrived yet."""

    code = "work_order_not_found"


class NoRuleEdition(InvalidInput):
    """No edition of the time limits was in force when the work order was created;
    retrying cannot help, so the event goes to the dead-letter topic."""

    code = "no_rule_edition"


class InvalidPeriod(InvalidInput):
    """A calendar question that names neither or both of working days and hours."""

    code = "invalid_period"


class InvalidRange(InvalidInput):
    """A date range that ends before it starts or is too long to list."""

    code = "invalid_range"


class InvalidPreview(InvalidInput):
    """A deadline preview that cannot be counted: a missing or needless appeal type,
    an unknown rules edition, or a start no calendar or edition covers."""

    code = "invalid_preview"
