"""The knowledge base's errors, each with its own code."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput, MinshengError, NotFound


class EntryNotFound(NotFound):
    """No such entry, or (for a change) another unit's entry: the same answer."""

    code = "knowledge_entry_not_found"


class UnitMismatch(MinshengError):
    """A unit keeping an entry in another unit's name."""

    status_code = 403
    code = "unit_mismatch"


class UnknownUnit(InvalidInput):
    code = "unknown_unit"


class UnknownCategory(InvalidInput):
    code = "unknown_category"


class EmptyText(InvalidInput):
    """A question or answer with nothing but spaces."""

    code = "empty_text"


class TooLong(InvalidInput):
    """A text over its stated limit; refused, never cut."""

    code = "too_long"


class InvalidValidity(InvalidInput):
    """A validity period that ends before it starts."""

    code = "invalid_validity"


class InvalidPeriod(InvalidInput):
    """A reporting period that ends before it starts."""

    code = "invalid_period"


class QueryWithoutTerms(InvalidInput):
    """A search made only of words of asking (怎么, 如何 …) and punctuation."""

    code = "query_without_terms"


class EntryRetired(Conflict):
    """The entry was retired; it can be read, not changed."""

    code = "entry_retired"


class VersionConflict(Conflict):
    """Someone changed the entry since the version the caller edited."""

    code = "version_conflict"


class UnitRequired(InvalidInput):
    """The center adding an entry without saying which unit keeps it."""

    code = "unit_required"


class TemplateRequestNotFound(NotFound):
    """No such request for reply templates, or another unit's: the same answer."""

    code = "reply_template_request_not_found"


class TemplatesAlreadyReceived(Conflict):
    """The unit already sent the templates of this request (Art. 43)."""

    code = "reply_templates_received"
