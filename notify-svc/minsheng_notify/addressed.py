"""Queueing a message to a unit, an agency or a leader, so it is sent, retried,
fallen back and evidenced (Art. 36) like every other message.

The message carries the office's addresses, in the order to try them (e.g.
government WeChat, then the OA system), sealed with the notify vault like a
citizen's contact. It is one message per (subject, office, kind) however often
the event arrives: the subject is what the message is about (a clock's urging
step, a warning, a level-1 appeal, a supervision list, a report's date), so two
events about the same thing (an appeal filed level 1, then graded level 1) still
make one message.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_notify import delivery
from minsheng_notify.models import Notice
from minsheng_notify.recipients import Addressee
from minsheng_notify.service import NotifyContext


def request_id(kind: str, subject: str, addressee: Addressee) -> str:
    """The request id of the one message of `kind` about `subject` to
    `addressee`."""
    return delivery.delivery_key(
        event_id=subject, recipient=addressee.party_id, kind=kind
    )


async def queue(
    *,
    session: AsyncSession,
    context: NotifyContext,
    addressee: Addressee,
    kind: str,
    subject: str,
    body: str,
    appeal_id: str | None = None,
    work_order_id: str | None = None,
    unit_id: str | None = None,
) -> Notice:
    """Queue `body` to `addressee` once per (kind, subject, addressee); the notice
    already queued when asked again. Without an address the notice fails at once,
    so the center sees who was not told; with only a telephone it waits for the
    staff's call record (the telephone letter, 电函)."""
    vault = context.vault
    return await delivery.queue_message(
        session=session,
        context=context,
        request_id=request_id(kind, subject, addressee),
        kind=kind,
        body=body,
        audience=delivery.Audience(addressee.audience),
        appeal_id=appeal_id,
        work_order_id=work_order_id,
        unit_id=unit_id,
        to=[
            delivery.Address.seal(vault, contact_kind, address)
            for contact_kind, address in addressee.contacts()
        ],
    )
