"""WeChat over its HTTP APIs: template messages (模板消息) to citizens who gave their
openid, and government WeChat (政务微信) text messages to leaders and units (Art. 23,
39: "real-time pushes by government WeChat").

Both APIs want an access token, fetched with the app's credentials and valid for
about two hours; it is kept until five minutes before it expires, and fetched again
at once when the API calls it invalid or expired (then the message is sent once
more; the cache is `minsheng_common.wechat_token`'s, which the WeChat adapter's
courier shares). Both de-duplicate for us: a template message carries the notice id as
`client_msg_id`, and government WeChat is asked to drop a repeat of the same text to
the same person, so a retry after a lost answer sends nothing twice.

Base URLs are configurable (the real ones are https://api.weixin.qq.com and the
government deployment's own host); the paths and answers are WeChat's: every answer
has `errcode` (0 is success) and a successful send a `msgid`, the provider reference
receipts name.
"""

from __future__ import annotations

from typing import Any

import httpx

from minsheng_common import wechat_token
from minsheng_common.wechat_token import STALE_TOKEN_CODES, AccessTokens
from minsheng_notify.senders import http
from minsheng_notify.senders.base import (
    GOV_WECHAT,
    GOV_WECHAT_USER,
    WECHAT_OPENID,
    WECHAT_TEMPLATE,
    OutgoingNotice,
    SendFailed,
    SendRefused,
    SendResult,
)

# Government WeChat drops a repeat of the same text to the same person within this
# many seconds (its maximum is four hours).
DUPLICATE_CHECK_SECONDS = 14_400


class _WeChatSender:
    """What both WeChat senders share: the token, the send, reading the answer."""

    channel: str
    what: str
    contact_kind: str
    send_path: str
    grant_path: str
    refused_codes: frozenset[int]

    def __init__(self, *, base_url: str, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.tokens = AccessTokens(self._fetch_token)

    def _token_params(self) -> dict[str, str]:
        raise NotImplementedError

    def _payload(self, message: OutgoingNotice) -> dict[str, Any]:
        raise NotImplementedError

    async def send(self, message: OutgoingNotice) -> SendResult:
        """Send the message; a stale token is replaced and the send tried once more."""
        if message.contact_kind != self.contact_kind:
            raise SendRefused(
                f"{self.what} sends to {self.contact_kind}, not {message.contact_kind}"
            )

        payload = self._payload(message)
        async with http.client(self.timeout) as client:
            body = await self._post(client, payload)
            code = _errcode(body)
            if code in STALE_TOKEN_CODES:
                body = await self._post(client, payload)
                code = _errcode(body)

        self._check(code, body)
        return SendResult(provider_ref=http.message_id(body, "msgid", what=self.what))

    async def _post(
        self, client: httpx.AsyncClient, payload: dict[str, Any]
    ) -> dict[str, Any]:
        token = await self.tokens.get(client)
        response = await http.post(
            client,
            f"{self.base_url}{self.send_path}",
            what=self.what,
            json=payload,
            params={"access_token": token},
        )
        http.check_status(response, what=self.what)
        body = http.read_json(response, what=self.what)
        if _errcode(body) in STALE_TOKEN_CODES:
            self.tokens.forget(token)
        return body

    def _check(self, code: int, body: dict[str, Any]) -> None:
        if code == 0:
            return
        if code in self.refused_codes:
            raise SendRefused(f"{self.what} refused the recipient (errcode {code})")
        raise SendFailed(f"{self.what} answered errcode {code}")

    async def _fetch_token(self, client: httpx.AsyncClient) -> tuple[str, float]:
        response = await http.get(
            client,
            f"{self.base_url}{self.grant_path}",
            what=self.what,
            params=self._token_params(),
        )
        http.check_status(response, what=self.what)
        body = http.read_json(response, what=self.what)
        grant = wechat_token.read_grant(body)
        if grant is None:
            raise SendFailed(
                f"{self.what} gave no access token (errcode {_errcode(body)}); "
                "check the app's credentials"
            )
        return grant


class WeChatTemplateSender(_WeChatSender):
    """A template message (模板消息) of the official account to a citizen's openid;
    the message text goes into one field of the configured template."""

    channel = WECHAT_TEMPLATE
    what = "WeChat"
    contact_kind = WECHAT_OPENID
    send_path = "/cgi-bin/message/template/send"
    grant_path = "/cgi-bin/token"
    # 40003 not an openid of the account, 43004 the citizen unfollowed it, 43101
    # the citizen refused its messages.
    refused_codes = frozenset({40003, 43004, 43101})

    def __init__(
        self,
        *,
        base_url: str,
        app_id: str,
        app_secret: str,
        template_id: str,
        field: str = "content",
        timeout: float = 10.0,
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout)
        self._app_id = app_id
        self._app_secret = app_secret
        self.template_id = template_id
        self.field = field

    def _token_params(self) -> dict[str, str]:
        return {
            "grant_type": "client_credential",
            "appid": self._app_id,
            "secret": self._app_secret,
        }

    def _payload(self, message: OutgoingNotice) -> dict[str, Any]:
        return {
            "touser": message.contact,
            "template_id": self.template_id,
            "client_msg_id": message.notice_id,
            "data": {self.field: {"value": message.body}},
        }


class GovWeChatSender(_WeChatSender):
    """A text message of the government WeChat app (政务微信) to a person's user id."""

    channel = GOV_WECHAT
    what = "government WeChat"
    contact_kind = GOV_WECHAT_USER
    send_path = "/cgi-bin/message/send"
    grant_path = "/cgi-bin/gettoken"
    # 40031 and 81013: no such user in the organisation; 60111: unknown user id.
    refused_codes = frozenset({40031, 60111, 81013})

    def __init__(
        self,
        *,
        base_url: str,
        corp_id: str,
        corp_secret: str,
        agent_id: int,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout)
        self._corp_id = corp_id
        self._corp_secret = corp_secret
        self.agent_id = agent_id

    def _token_params(self) -> dict[str, str]:
        return {"corpid": self._corp_id, "corpsecret": self._corp_secret}

    def _payload(self, message: OutgoingNotice) -> dict[str, Any]:
        return {
            "touser": message.contact,
            "msgtype": "text",
            "agentid": self.agent_id,
            "text": {"content": message.body},
            "enable_duplicate_check": 1,
            "duplicate_check_interval": DUPLICATE_CHECK_SECONDS,
        }

    def _check(self, code: int, body: dict[str, Any]) -> None:
        super()._check(code, body)
        # Success with the user listed as invalid: nobody got the message.
        if body.get("invaliduser"):
            raise SendRefused(f"{self.what} refused the recipient (invaliduser)")


def _errcode(body: dict[str, Any]) -> int:
    """WeChat's error code; an answer without one (a token answer) is success."""
    code = body.get("errcode", 0)
    if isinstance(code, bool) or not isinstance(code, int):
        raise SendFailed("WeChat answered an errcode that is not a number")
    return code
