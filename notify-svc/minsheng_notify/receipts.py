"""Delivery receipts a provider pushes (POST /v1/receipts/{provider}): what became of
each message it took, kept on the attempt and the notice as the evidence of
Art. 36 (delivery status and receipt time).

A receipt is taken only with a valid HMAC of its timestamp and body made with one
of the provider's secrets within the five-minute window (see
`minsheng_common.auth.webhooks`). Applying receipts is idempotent: the first final
status of a message (delivered or undelivered) stays, so a replayed or repeated
receipt changes nothing. An undelivered message is logged for a person to look at;
the citizen may still be called and the call recorded. An answer a channel's own
adapter could not deliver goes on to the next sender of the citizen's route.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from minsheng_common import redaction
from minsheng_common.auth import webhooks
from minsheng_common.timeutil import as_utc
from minsheng_notify import repository, sending
from minsheng_notify.errors import InvalidReceipt, ReceiptsNotTaken
from minsheng_notify.models import NoticeAttempt
from minsheng_notify.schemas import DeliveryReceipt, ReceiptBatch, ReceiptsApplied
from minsheng_notify.service import NotifyContext

log = logging.getLogger(__name__)


async def receive(
    *,
    session: AsyncSession,
    context: NotifyContext,
    provider: str,
    secrets: Sequence[str],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
) -> ReceiptsApplied:
    """Verify a provider's pushed receipts and apply them; `now` is the real time
    the signature's window is measured against."""
    if not secrets:
        raise ReceiptsNotTaken(
            f"receipts from {provider} are not taken: no secret is configured",
            field="provider",
        )
    webhooks.verify(
        secrets=secrets,
        timestamp=timestamp,
        signature=signature,
        body=body,
        now=now,
    )
    batch = _parse(body)

    counts = ReceiptsApplied(applied=0, unchanged=0, unknown=0)
    for receipt in batch.receipts:
        attempts = await repository.sent_attempts(
            session, channel=provider, provider_ref=receipt.message_id
        )
        if not attempts:
            counts.unknown += 1
        elif await _apply(session, context, provider, receipt, attempts):
            counts.applied += 1
        else:
            counts.unchanged += 1
    await session.commit()

    log.info(
        "receipts from %s: %d applied, %d unchanged, %d unknown",
        provider,
        counts.applied,
        counts.unchanged,
        counts.unknown,
    )
    return counts


def _parse(body: bytes) -> ReceiptBatch:
    try:
        return ReceiptBatch.model_validate_json(body)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise InvalidReceipt(f"{where}: {problem['msg']}", field=where) from None


async def _apply(
    session: AsyncSession,
    context: NotifyContext,
    provider: str,
    receipt: DeliveryReceipt,
    attempts: Sequence[NoticeAttempt],
) -> bool:
    at = as_utc(receipt.at) if receipt.at is not None else context.clock.now()
    changed = False
    for attempt in attempts:
        if attempt.delivery_status in repository.FINAL_DELIVERY:
            continue
        attempt.delivery_status = receipt.status
        attempt.receipt_at = at
        if receipt.detail:
            # The provider's words may quote the number or address: masked.
            attempt.detail = f"receipt: {redaction.redact(receipt.detail)}"[:500]
        changed = True

        notice = await repository.notice(session, attempt.notice_id)
        if (
            notice is not None
            and notice.channel == provider
            and notice.provider_ref == receipt.message_id
            and notice.delivery_status not in repository.FINAL_DELIVERY
        ):
            notice.delivery_status = receipt.status
            notice.receipt_at = at
            if receipt.status == repository.UNDELIVERED:
                await sending.fall_back_after_receipt(
                    session, context, notice, provider=provider, at=at
                )
        _log_receipt(attempt, provider, receipt.status, at)
    return changed


def _log_receipt(
    attempt: NoticeAttempt, provider: str, status: str, at: datetime
) -> None:
    if status == repository.DELIVERED:
        log.info(
            "notice %s: %s delivered at %s", attempt.notice_id, provider, at.isoformat()
        )
        return
    log.warning(
        "notice %s: %s could not deliver it (receipt at %s); the recipient was not "
        "told",
        attempt.notice_id,
        provider,
        at.isoformat(),
    )
