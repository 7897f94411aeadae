"""Answers going back to the mailbox sender as an email reply (the `Courier` of
`minsheng_common.adapters.answers`), over SMTP (`minsheng_common.smtp`).

The reply is plain UTF-8 text to the answer's contact. When the answer's appeal
is one this adapter delivered, it answers that mail: "Re: <its subject>", with
In-Reply-To and References naming its Message-ID, so the citizen's mail client
shows it in the same conversation. Its own Message-ID is made from the notice id
(`<notice id@domain of MAILBOX_SMTP_FROM>`): a retry after a lost answer carries
the same one, and it is the reference returned as evidence (Art. 36).

A 5xx refusal is final (`AnswerRefused`: an address that does not exist); a
server that is down, slow, answers 4xx or refuses our login fails the attempt
(`AnswerFailed`), to be tried again. Neither names the address.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from minsheng_common import smtp
from minsheng_common.adapters.answers import Answer, AnswerFailed, AnswerRefused
from minsheng_common.clock import Clock, SystemClock
from minsheng_mailbox import repository
from minsheng_mailbox.settings import MailboxSettings

log = logging.getLogger(__name__)

DEFAULT_SUBJECT = "民生诉求答复"
"""The subject of an answer to an appeal that did not come by mail."""
EMAIL = "email"


class MailboxCourier:
    """Carries answers to citizens who wrote to the government mailbox."""

    channel = "mailbox"

    def __init__(
        self,
        *,
        server: smtp.SmtpServer,
        from_address: str,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock | None = None,
    ) -> None:
        self.server = server
        self.from_address = from_address
        self._sessions = sessions
        self._clock = clock or SystemClock()
        # Read now: a CA file that cannot be read stops the service at start.
        _ = server.tls_context

    async def carry(self, answer: Answer) -> str:
        """Send the reply; its Message-ID."""
        if answer.contact_kind != EMAIL:
            raise AnswerRefused(
                f"the mailbox replies to email addresses, not {answer.contact_kind}"
            )
        mail = await self._mail(answer)
        try:
            await smtp.submit(self.server, mail)
        except smtp.SmtpRefused as error:
            raise AnswerRefused(error.message) from None
        except smtp.SmtpFailed as error:
            raise AnswerFailed(error.message) from None

        reference = str(mail["Message-ID"])
        log.info(
            "answer %s (appeal %s) sent as %s",
            answer.notice_id,
            answer.appeal_id,
            reference,
        )
        return reference

    async def _mail(self, answer: Answer) -> EmailMessage:
        subject, original = DEFAULT_SUBJECT, None
        if answer.appeal_id:
            async with self._sessions() as session:
                item = await repository.item_of_appeal(session, answer.appeal_id)
            if item is not None:
                subject = reply_subject(item.subject)
                original = item.message_id

        mail = EmailMessage()
        mail["From"] = self.from_address
        try:
            mail["To"] = answer.contact
        except (ValueError, IndexError):
            # A line break or nothing parseable: never a mailbox to write to.
            raise AnswerRefused("the contact is not an email address") from None
        mail["Subject"] = subject
        mail["Date"] = format_datetime(self._clock.now())
        mail["Message-ID"] = smtp.message_id(answer.notice_id, self.from_address)
        if original:
            mail["In-Reply-To"] = f"<{original}>"
            mail["References"] = f"<{original}>"
        mail.set_content(answer.text, charset="utf-8")
        return mail


def reply_subject(subject: str) -> str:
    """ "Re: " before the original subject, once: a subject that is already a reply
    is not made "Re: Re: …"."""
    subject = " ".join(subject.split())
    if not subject:
        return f"Re: {DEFAULT_SUBJECT}"
    if subject.lower().startswith(("re:", "re：", "回复:", "回复：")):
        return subject
    return f"Re: {subject}"


def make(
    settings: MailboxSettings,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock | None = None,
) -> MailboxCourier | None:
    """The courier of MAILBOX_SMTP_*, or None when no mail server is set for
    replies."""
    server = settings.smtp_server()
    if server is None:
        return None
    return MailboxCourier(
        server=server, from_address=settings.smtp_from, sessions=sessions, clock=clock
    )
