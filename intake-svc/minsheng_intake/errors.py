"""Intake's domain errors."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput, MinshengError, NotFound


class AppealNotFound(NotFound):
    code = "appeal_not_found"


class UnknownChannel(InvalidInput):
    code = "unknown_channel"


class UnknownCategory(InvalidInput):
    code = "unknown_category"


class TooLong(InvalidInput):
    """A text over its stated limit; refused, never cut."""

    code = "too_long"


class InvalidSecondContact(InvalidInput):
    """A second contact that is not a usable number or address, not of another
    kind than the first, or given without a first."""

    code = "invalid_second_contact"


class ReceivedAtOutOfRange(InvalidInput):
    """A receipt time that cannot be true (in the future, or long before)."""

    code = "received_at_out_of_range"


class ChannelMismatch(MinshengError):
    """A channel submitting an appeal in another channel's name."""

    status_code = 403
    code = "channel_mismatch"


class NoConsent(MinshengError):
    """A unit asking for a contact the citizen did not agree to disclose (Art. 41)."""

    status_code = 403
    code = "no_consent"


class PersonalDataErased(Conflict):
    """The appeal's personal data was anonymised after its retention period."""

    code = "personal_data_erased"


class AttachmentNotAllowed(InvalidInput):
    """An attachment of a kind the platform does not take."""

    code = "attachment_not_allowed"


class NotPendingVerification(Conflict):
    """A verification for an appeal that is not waiting for one."""

    code = "not_pending_verification"


class NotGradable(Conflict):
    """A grade for an appeal that was not filed."""

    code = "not_gradable"


class TooManyAttempts(MinshengError):
    """Too many wrong tries on one tracking code; wait a minute."""

    status_code = 429
    code = "too_many_attempts"


class InvalidGradingRules(InvalidInput):
    code = "invalid_grading_rules"


class InvalidSearch(InvalidInput):
    code = "invalid_search"
