"""Intake's `POST /v1/appeals` as an adapter calls it: with its own channel key, its
answers turned into our vocabulary.

A 401 or 403 is the key's fault, not the appeal's, and an operator can fix it; logs
name the key by its public id and the setting it comes from, never its secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from minsheng_common.adapters import queue
from minsheng_common.adapters.errors import (
    AnswerNotRecordable,
    AppealRefused,
    IntakeCredentialsRejected,
    IntakeUnavailable,
)
from minsheng_common.auth import hashing
from minsheng_common.auth.api import api_key_header
from minsheng_common.web import TRACE_HEADER

APPEALS_PATH = "/v1/appeals"
KEY_HEADER = api_key_header.model.name


@dataclass(frozen=True)
class IntakeKey:
    """One key for intake and the setting it comes from."""

    value: str | None
    setting: str

    @property
    def label(self) -> str:
        """How logs name the key: its public id only, never its secret."""
        if self.value is None:
            return f"no key ({self.setting} is not set)"
        parts = hashing.split_api_key(self.value)
        if parts is None:
            return f"a key not shaped like a Minsheng key ({self.setting})"
        return f"key {parts[0]} ({self.setting})"


@dataclass(frozen=True)
class IntakeKeys:
    """The key for each channel an adapter submits for; `default` for the rest.

    A channel's key submits only for its own channel, so an adapter that carries
    several channels (the hotline's lines) holds a key for each.
    """

    default: IntakeKey
    by_channel: Mapping[str, IntakeKey] = field(default_factory=dict)

    def for_channel(self, channel: str) -> IntakeKey:
        return self.by_channel.get(channel, self.default)


@dataclass(frozen=True)
class Answer:
    """Intake's answer to a delivered appeal."""

    status_code: int
    appeal_id: str
    tracking_code: str
    decision: str
    instant_answer: str | None = None
    """The knowledge base's answer to a consultation answered at once (秒回, Art.
    44), for a channel that can pass it on while the citizen waits."""


class IntakeClient:
    """Intake's `POST /v1/appeals` called with the key of the appeal's channel."""

    def __init__(self, http: httpx.AsyncClient, *, keys: IntakeKeys) -> None:
        self._http = http
        self._keys = keys

    async def submit(self, payload: dict[str, Any], *, trace_id: str) -> Answer:
        """Send one canonical appeal; `AppealRefused` on 422,
        `IntakeCredentialsRejected` on 401/403, `AnswerNotRecordable` when intake
        took it but answered a value too long to keep, `IntakeUnavailable` when
        trying again later may succeed."""
        key = self._keys.for_channel(str(payload.get("channel", "")))
        headers = {TRACE_HEADER: trace_id}
        if key.value is not None:
            headers[KEY_HEADER] = key.value
        try:
            response = await self._http.post(
                APPEALS_PATH, json=payload, headers=headers
            )
        except httpx.TimeoutException as error:
            raise IntakeUnavailable("intake did not answer in time") from error
        except httpx.HTTPError as error:
            raise IntakeUnavailable(
                f"intake unreachable: {type(error).__name__}"
            ) from error

        if response.status_code in (401, 403):
            raise IntakeCredentialsRejected(
                f"intake answered {response.status_code} to {key.label}",
                answer_status=response.status_code,
            )
        if response.status_code == 422:
            raise AppealRefused("intake refused the appeal", body=response.text)
        if response.status_code not in (200, 201):
            raise IntakeUnavailable(f"intake answered {response.status_code}")
        return _answer(response)


ANSWER_LIMITS = {
    "appeal_id": queue.APPEAL_ID_CHARS,
    "tracking_code": queue.TRACKING_CODE_CHARS,
    "decision": queue.DECISION_CHARS,
}
"""The longest value of each field of an answer the queue can keep."""


def _answer(response: httpx.Response) -> Answer:
    try:
        body = response.json()
        answer = Answer(
            status_code=response.status_code,
            appeal_id=str(body["id"]),
            tracking_code=str(body["tracking_code"]),
            decision=str(body["decision"]["status"]),
            instant_answer=_instant_answer(body),
        )
    except (ValueError, KeyError, TypeError) as error:
        # Intake has the appeal but its answer was unreadable: sending again returns
        # the first result, by the channel reference.
        raise IntakeUnavailable("intake's answer could not be read") from error

    _check_fits(answer)
    return answer


def _instant_answer(body: Any) -> str | None:
    """The instant answer's text, when intake gave one."""
    given = body.get("instant_answer") if isinstance(body, dict) else None
    text = given.get("answer") if isinstance(given, dict) else None
    return text if isinstance(text, str) and text.strip() else None


def _check_fits(answer: Answer) -> None:
    """Refuse an answer the queue could not store: writing it would fail (or, on
    SQLite, keep it whole past its column), and a resend gets the same answer."""
    for name, limit in ANSWER_LIMITS.items():
        length = len(getattr(answer, name))
        if length > limit:
            raise AnswerNotRecordable(
                f"intake answered {answer.status_code}, but its {name} has "
                f"{length} characters; the queue keeps at most {limit}",
                answer_status=answer.status_code,
                field=name,
            )
