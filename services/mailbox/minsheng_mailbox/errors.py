"""The mailbox adapter's own errors: a mail server it cannot read, and an attachment
it does not keep. What intake answers is every adapter's
(`minsheng_common.adapters.errors`)."""

from __future__ import annotations

from minsheng_common.errors import NotFound, Unavailable


class MailboxUnavailable(Unavailable):
    """The mail server could not be read (down, timed out, TLS, a NO or BAD): the
    poll is tried again later, with a growing wait."""

    code = "mailbox_unavailable"


class MailboxLoginRefused(MailboxUnavailable):
    """The mail server refused the adapter's login (MAILBOX_IMAP_USERNAME and
    MAILBOX_IMAP_PASSWORD): an operator must fix them; tried again meanwhile."""

    code = "mailbox_login_refused"


class MailboxNotConfigured(Unavailable):
    """No mail server is set (MAILBOX_IMAP_HOST): there is nothing to read."""

    code = "mailbox_not_configured"
    retriable = False


class AttachmentNotFound(NotFound):
    """No attachment of that name is kept here."""
