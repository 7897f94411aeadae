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
