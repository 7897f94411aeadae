"""Dispatch's domain errors, each with its own stable code."""

from __future__ import annotations

from minsheng_common.errors import (
    Conflict,
    InvalidInput,
    MinshengError,
    NotFound,
    Unavailable,
)


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


# The life of an order (Art. 13, 16, 17, 28, 29). Every refusal names its article
# in the message; the code is what a unit's system branches on.


class ReturnPending(Conflict):
    """The unit asked to return the order; the center decides first (Art. 13)."""

    code = "return_pending"


class NoReturnRequested(Conflict):
    """Only a return the unit asked for can be approved or refused (Art. 13)."""

    code = "no_return_requested"


class OrderReturned(Conflict):
    """A returned order is ended; the appeal lives on in the order that replaced it."""

    code = "order_returned"


class OrderEnded(Conflict):
    """The order ended without a closure: merged into another (并案, Art. 18), split
    into several (拆分, Art. 19) or sent to several units in parallel (并行, Art. 20);
    the appeal lives on in the orders that took its place."""

    code = "order_ended"


class ClosurePending(Conflict):
    """The order waits for the center's closure review (Art. 17)."""

    code = "closure_pending"


class NoClosureRequested(Conflict):
    """Only a requested closure can be approved or rejected (Art. 17)."""

    code = "no_closure_requested"


class AlreadyClosed(Conflict):
    """The order is closed; the center may reopen it (重办)."""

    code = "already_closed"


class NotClosed(Conflict):
    """Only a closed order can be reopened (重办)."""

    code = "not_closed"


class HandlingNoticeNotSent(Conflict):
    """The citizen has not been told the result yet (Art. 17, 29)."""

    code = "handling_notice_not_sent"


class HandlingNoticeAlreadyRequested(Conflict):
    """One handling notice per round, unless the closure was sent back (Art. 29)."""

    code = "handling_notice_already_requested"


class HandlingDeadlineUnknown(Conflict):
    """sla has not told dispatch the handling deadline yet; try again shortly."""

    code = "handling_deadline_unknown"


class ExtensionPending(Conflict):
    """One extension request at a time (Art. 16)."""

    code = "extension_pending"


class NoExtensionPending(Conflict):
    """No extension request waits for a decision (Art. 16)."""

    code = "no_extension_pending"


class LeaderApprovalRequired(InvalidInput):
    """More than one extension, or more than the edition's first extension (5
    working days), needs the district leader's written approval (Art. 16)."""

    code = "leader_approval_required"


class ExtensionBeyondLimit(InvalidInput):
    """The handling period plus extensions would pass the edition's total (20
    working days, Art. 16)."""

    code = "extension_beyond_limit"


class StagedCheckNotPending(Conflict):
    """Only a staged closure waiting for its check can be verified (Art. 17)."""

    code = "staged_check_not_pending"


class ReplyIncomplete(InvalidInput):
    """A closure request lacks part of its reply: when, what was done, the result
    (Art. 17)."""

    code = "reply_incomplete"


class HandledAtInvalid(InvalidInput):
    """The handling time lies in the future or before the order began."""

    code = "handled_at_invalid"


class PhotosRequired(InvalidInput):
    """A component (部件) complaint closes with before and after photos (Art. 17)."""

    code = "photos_required"


class AttachmentRepeated(InvalidInput):
    """A closure request names one attachment twice, e.g. the same file as the
    photo before and after the handling (Art. 17)."""

    code = "attachment_repeated"


class StagedClosureIncomplete(InvalidInput):
    """A staged closure carries its supporting document and a check date (Art. 17)."""

    code = "staged_closure_incomplete"


class RedispatchUnitInvalid(InvalidInput):
    """A returned appeal goes to another existing unit."""

    code = "redispatch_unit_invalid"


# Attachments.


class AttachmentNotFound(NotFound):
    """No such attachment, or not one the caller may see (never revealed which)."""

    code = "attachment_not_found"


class AttachmentRefused(InvalidInput):
    """An attachment named in a request is unknown or not the caller's to use."""

    code = "attachment_unusable"


class AttachmentTooLarge(MinshengError):
    status_code = 413
    code = "attachment_too_large"


class AttachmentTypeRefused(MinshengError):
    """The file is not one of the accepted kinds, judged by its first bytes."""

    status_code = 415
    code = "unsupported_attachment_type"


class AttachmentEmpty(InvalidInput):
    code = "attachment_empty"


# Idempotency keys.


class IdempotencyKeyReused(Conflict):
    """The same key came with another request; a key names one request only."""

    code = "idempotency_key_reused"


class IdempotencyRequestInProgress(Conflict):
    """The first request with this key is still being handled; try again shortly."""

    code = "idempotency_request_in_progress"


class IdempotencyKeyInvalid(InvalidInput):
    code = "idempotency_key_invalid"
