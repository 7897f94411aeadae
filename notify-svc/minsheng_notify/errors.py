"""Notify's domain errors."""

from __future__ import annotations

from minsheng_common.errors import InvalidInput, NotFound


class NoticeNotFound(NotFound):
    code = "notice_not_found"


class FilterRequired(InvalidInput):
    """Listing every notice at once is refused: name an appeal or a work order."""

    code = "filter_required"


class UnknownTemplate(InvalidInput):
    """No message template exists for the kind of notice asked for."""

    code = "unknown_template"


class ReceiptsNotTaken(NotFound):
    """No secret is configured for this provider, so its receipts are not taken."""

    code = "unknown_provider"


class InvalidReceipt(InvalidInput):
    """A delivery receipt that cannot be read."""

    code = "invalid_receipt"


class InvalidCallRecord(InvalidInput):
    """A call record that cannot be true (a call in the future, a call that
    reached the citizen in no time)."""

    code = "invalid_call_record"
