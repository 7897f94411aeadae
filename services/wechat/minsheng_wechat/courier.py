"""Answers back to the citizen through the official account's customer-service
message API (客服消息): `POST {api}/cgi-bin/message/custom/send` with a text
message to the citizen's openid.

The API wants an access token (`GET {api}/cgi-bin/token` with the AppID and
AppSecret), kept until shortly before it expires by the cache notify's WeChat
senders share (`minsheng_common.wechat_token`); a token the API calls invalid or
expired is fetched again and the message sent once more.

WeChat answers `errcode` 0 for a message taken. 45015 (the citizen has not written
within the last 48 hours, outside the reply window), 40003 (not an openid of this
account) and 43004 (the citizen unfollowed the account) will never pass:
`AnswerRefused`. Any other errcode, a status that is not 2xx, an answer that is
not JSON, a timeout or a refused connection may pass later: `AnswerFailed`. No
message names the openid.

The customer-service API gives no message id and does not de-duplicate: the
reference returned is the notice's own (`custom:<notice id>`), and a retry after
an answer that never came may show the citizen the text twice.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any, Final

import httpx

from minsheng_common import wechat_token
from minsheng_common.adapters.answers import Answer, AnswerFailed, AnswerRefused
from minsheng_common.wechat_token import STALE_TOKEN_CODES, AccessTokens
from minsheng_wechat.mapping import CONTACT_KIND

GRANT_PATH: Final = "/cgi-bin/token"
SEND_PATH: Final = "/cgi-bin/message/custom/send"
REFUSED_CODES: Final = {
    45015: "outside the 48-hour reply window",
    40003: "not an openid of this account",
    43004: "the citizen does not follow the account",
}
WHAT: Final = "WeChat's customer-service API"


class WechatCourier:
    """Carries answers to citizens as customer-service text messages."""

    channel: str = "wechat"

    def __init__(
        self,
        *,
        api_url: str,
        app_id: str,
        app_secret: str,
        timeout: float = 10.0,
        channel: str = "wechat",
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.channel = channel
        self._app_id = app_id
        self._app_secret = app_secret
        self.tokens = AccessTokens(self._fetch_token)

    async def carry(self, answer: Answer) -> str:
        """Send `answer` to the citizen's openid; the reference kept for it."""
        if answer.contact_kind != CONTACT_KIND:
            raise AnswerRefused(
                f"the WeChat courier answers {CONTACT_KIND}, not {answer.contact_kind}"
            )
        message = {
            "touser": answer.contact,
            "msgtype": "text",
            "text": {"content": answer.text},
        }
        async with httpx.AsyncClient(
            timeout=self.timeout, trust_env=False, follow_redirects=False
        ) as client:
            body = await self._send(client, message)
            if _errcode(body) in STALE_TOKEN_CODES:
                body = await self._send(client, message)

        code = _errcode(body)
        if code in REFUSED_CODES:
            raise AnswerRefused(
                f"{WHAT} refused the message (errcode {code}: {REFUSED_CODES[code]})"
            )
        if code != 0:
            raise AnswerFailed(f"{WHAT} answered errcode {code}")
        return f"custom:{answer.notice_id}"

    async def _send(
        self, client: httpx.AsyncClient, message: dict[str, Any]
    ) -> dict[str, Any]:
        token = await self.tokens.get(client)
        # Unescaped UTF-8: WeChat may show \u escapes in a text as written.
        content = json.dumps(message, ensure_ascii=False).encode("utf-8")
        body = await _call(
            client.post(
                f"{self.api_url}{SEND_PATH}",
                params={"access_token": token},
                content=content,
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
        )
        if _errcode(body) in STALE_TOKEN_CODES:
            self.tokens.forget(token)
        return body

    async def _fetch_token(self, client: httpx.AsyncClient) -> tuple[str, float]:
        body = await _call(
            client.get(
                f"{self.api_url}{GRANT_PATH}",
                params={
                    "grant_type": "client_credential",
                    "appid": self._app_id,
                    "secret": self._app_secret,
                },
            )
        )
        grant = wechat_token.read_grant(body)
        if grant is None:
            raise AnswerFailed(
                f"{WHAT} gave no access token (errcode {_errcode(body)}); check "
                "WECHAT_APP_ID and WECHAT_APP_SECRET"
            )
        return grant


async def _call(request: Awaitable[httpx.Response]) -> dict[str, Any]:
    """The JSON object WeChat answered to `request` (a pending httpx call); every
    way it can fail is `AnswerFailed`."""
    try:
        response = await request
    except httpx.TimeoutException:
        raise AnswerFailed(f"{WHAT} did not answer in time") from None
    except httpx.HTTPError as error:
        raise AnswerFailed(f"{WHAT} is unreachable: {type(error).__name__}") from None
    if not 200 <= response.status_code < 300:
        raise AnswerFailed(f"{WHAT} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise AnswerFailed(f"{WHAT} answered something that is not JSON") from None
    if not isinstance(body, dict):
        raise AnswerFailed(f"{WHAT} answered JSON that is not an object")
    return body


def _errcode(body: dict[str, Any]) -> int:
    """WeChat's error code; an answer without one is success."""
    code = body.get("errcode", 0)
    if isinstance(code, bool) or not isinstance(code, int):
        raise AnswerFailed(f"{WHAT} answered an errcode that is not a number")
    return code
