"""Answers going back the way the appeal came: notify hands an adapter the text for a
citizen, the adapter keeps it in its own store and its courier carries it over the
channel (a WeChat customer-service message, a forum reply post, an email reply, an
Open311 update), with retries, then reports what became of it to notify as
evidence (Art. 36).

A courier is the channel's own part: `carry` hands one answer to the channel and
returns the channel's reference for it, or raises `AnswerFailed` (try again later)
or `AnswerRefused` (the channel will never take it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from minsheng_common.errors import MinshengError


@dataclass(frozen=True)
class Answer:
    """One message for a citizen, as notify handed it over.

    `contact` is what the channel knows the citizen by (an openid, a forum account,
    an email address, an Open311 request); it stays out of `repr`, so an answer can
    appear in a traceback without exposing anyone.
    """

    notice_id: str
    appeal_id: str | None
    kind: str
    contact_kind: str
    contact: str = field(repr=False)
    text: str


class AnswerFailed(MinshengError):
    """The channel did not take the answer (down, timed out, a 5xx); it is tried
    again later. The message never quotes the contact."""

    status_code = 502
    code = "answer_failed"
    retriable = True


class AnswerRefused(AnswerFailed):
    """The channel will never take this answer (an unknown recipient, one outside
    the channel's reply window); it is reported undelivered at once."""

    code = "answer_refused"
    retriable = False


class Courier(Protocol):
    """Carries answers over one channel."""

    channel: str
    """The channel id the answers go out on (`wechat`, `forum-people`, …)."""

    async def carry(self, answer: Answer) -> str:
        """Hand `answer` to the channel; the channel's own reference for it."""
        ...
