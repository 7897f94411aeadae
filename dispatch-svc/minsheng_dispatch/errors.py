"""Dispatch's domain errors, each with its own stable code."""

from __future__ import annotations

from minsheng_common.errors import Conflict, MinshengError, NotFound, Unavailable


class WorkOrderNotFound(NotFound):
    """No such order, or it belongs to another unit (never revealed)."""

    code = "work_order_not_found"


class UnitNotFound(NotFound):
    code = "unit_not_found"


class AlreadySigned(Conflict):
    """The order was signed already, by the unit or by default (Art. 13)."""

    code = "already_signed"


class NotSigned(Conflict):
    """The acceptance notice follows the signing (Art. 28)."""

    code = "not_signed"


class AcceptanceNoticeAlreadyRequested(Conflict):
    """Exactly one acceptance notice per order."""

    code = "acceptance_notice_already_requested"


class RoutingTableNotReady(Unavailable):
    """The routing table is still empty: the store is being seeded. Retried."""

    code = "routing_table_not_ready"


class NoRulesEdition(MinshengError):
    """No rule edition was in force when the appeal was filed; retrying cannot help."""

    status_code = 500
    code = "no_rules_edition"
