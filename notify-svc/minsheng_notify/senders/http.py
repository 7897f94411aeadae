"""Calling a provider's JSON API over HTTP, its failures told in senders' terms.

A timeout, a refused connection, 429 and 5xx may pass: `SendFailed`, tried again.
Any other 4xx refuses this message for good: `SendRefused`. Nothing a provider
answers is kept but its status code and, when it is a short plain code, its error
code: the rest may repeat the recipient's number or address.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from minsheng_notify.senders.base import SendFailed, SendRefused

# httpx logs every request line at INFO, and WeChat's API takes its access token
# and app secret in the query: that line must never reach a log.
logging.getLogger("httpx").setLevel(logging.WARNING)

_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,50}")
_PASSING = frozenset({401, 403, 408, 409, 425, 429})
"""4xx answers that say nothing about the message: a key being rotated, a
provider's own conflict or throttling. Tried again."""


def client(timeout: float) -> httpx.AsyncClient:
    """A client for one send: no proxy from the environment, no redirects."""
    return httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False)


async def post(
    http: httpx.AsyncClient,
    url: str,
    *,
    what: str,
    json: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """POST to a provider; a transport failure is `SendFailed`."""
    try:
        return await http.post(
            url, json=json, content=content, headers=headers, params=params
        )
    except httpx.TimeoutException as error:
        raise SendFailed(f"{what} did not answer in time") from error
    except httpx.HTTPError as error:
        raise SendFailed(f"{what} unreachable: {type(error).__name__}") from error


async def get(
    http: httpx.AsyncClient, url: str, *, what: str, params: dict[str, str]
) -> httpx.Response:
    """GET from a provider; a transport failure is `SendFailed`."""
    try:
        return await http.get(url, params=params)
    except httpx.TimeoutException as error:
        raise SendFailed(f"{what} did not answer in time") from error
    except httpx.HTTPError as error:
        raise SendFailed(f"{what} unreachable: {type(error).__name__}") from error


def check_status(response: httpx.Response, *, what: str) -> None:
    """Raise unless the provider answered 2xx."""
    status = response.status_code
    if 200 <= status < 300:
        return
    code = error_code(response)
    said = f"{what} answered {status}" + (f" ({code})" if code else "")
    if status >= 500 or status in _PASSING:
        raise SendFailed(said)
    raise SendRefused(said)


def read_json(response: httpx.Response, *, what: str) -> dict[str, Any]:
    """The JSON object a provider answered; anything else is `SendFailed`."""
    try:
        body = response.json()
    except ValueError:
        raise SendFailed(f"{what} answered something that is not JSON") from None
    if not isinstance(body, dict):
        raise SendFailed(f"{what} answered JSON that is not an object")
    return body


def message_id(body: dict[str, Any], key: str, *, what: str) -> str:
    """The provider's id for the message, from `body[key]`."""
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise SendFailed(f"{what} answered without a message id")
    text = str(value).strip()
    if not text or len(text) > 200:
        raise SendFailed(f"{what} answered an unusable message id")
    return text


def error_code(response: httpx.Response) -> str | None:
    """A short plain error code from a JSON error answer, if it has one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    for key in ("code", "error", "errcode"):
        value = body.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            text = str(value)
            if _ERROR_CODE.fullmatch(text):
                return text
    return None
