"""Senders, and the one place that decides which sender carries which message.

A recipient is reached by a route: an ordered list of senders, each with the
contact it uses, tried one after the other (the fallback). For a citizen who came
through a channel that can answer and whose adapter is configured, that channel's
adapter comes first; then a sender for each contact the recipient gave, in the
order given (SMS for a mobile number, email for an address, a WeChat template
message for an openid, government WeChat for an official's user id). A recipient
no configured sender can reach gets the default: the embedded mailbox folder, so an
installation without any gateway (`make run`) still sends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from minsheng_notify.senders.base import (
    CALL,
    EMAIL,
    EMAIL_ADDRESS,
    FORUM_ACCOUNT,
    GOV_WECHAT,
    GOV_WECHAT_USER,
    MAILBOX,
    PHONE,
    REPLY_PREFIX,
    SMS,
    TELEPHONE,
    WECHAT_OPENID,
    WECHAT_TEMPLATE,
    OutgoingNotice,
    Sender,
    SendFailed,
    SendRefused,
    SendResult,
)
from minsheng_notify.senders.mailbox import MailboxFolderSender
from minsheng_notify.senders.reply import ChannelReplySender
from minsheng_notify.senders.sms import SmsGatewaySender
from minsheng_notify.senders.smtp import SmtpSender
from minsheng_notify.senders.wechat import GovWeChatSender, WeChatTemplateSender
from minsheng_notify.settings import NotifySettings

__all__ = [
    "CALL",
    "EMAIL",
    "EMAIL_ADDRESS",
    "FORUM_ACCOUNT",
    "GOV_WECHAT",
    "GOV_WECHAT_USER",
    "MAILBOX",
    "PHONE",
    "REPLY_PREFIX",
    "SMS",
    "TELEPHONE",
    "WECHAT_OPENID",
    "WECHAT_TEMPLATE",
    "ChannelReplySender",
    "GovWeChatSender",
    "MailboxFolderSender",
    "OutgoingNotice",
    "Route",
    "SendFailed",
    "SendRefused",
    "SendResult",
    "Sender",
    "SenderChoice",
    "SmsGatewaySender",
    "SmtpSender",
    "WeChatTemplateSender",
    "build_senders",
]


@dataclass(frozen=True)
class Route:
    """One step of a recipient's route: a sender and which of the recipient's
    contacts (by position) it sends to."""

    sender: Sender
    contact: int


class SenderChoice:
    """Which senders carry a message: by the channel the citizen came through (its
    reply adapter), by the kind of contact (phone, email, wechat_openid,
    gov_wechat_user, …), and `default` when nothing else can."""

    def __init__(
        self,
        *,
        default: Sender,
        by_contact_kind: Mapping[str, Sender] | None = None,
        by_channel: Mapping[str, Sender] | None = None,
    ) -> None:
        self.default = default
        self._by_contact_kind = dict(by_contact_kind or {})
        self._by_channel = dict(by_channel or {})

    def register(self, contact_kind: str, sender: Sender) -> None:
        """Let `sender` carry every message to a contact of `contact_kind` (e.g. an
        OA system's sender for agencies' `oa` addresses)."""
        self._by_contact_kind[contact_kind] = sender

    def register_channel(self, channel_id: str, sender: Sender) -> None:
        """Let `sender` answer citizens who came through `channel_id`."""
        self._by_channel[channel_id] = sender

    def for_contact(self, contact_kind: str) -> Sender:
        """The sender for a contact of this kind; `default` when none is set up."""
        return self._by_contact_kind.get(contact_kind, self.default)

    def route(
        self, *, channel: str | None, contact_kinds: Sequence[str]
    ) -> list[Route]:
        """The senders to try, in order, for a recipient who came through `channel`
        (None: not a citizen's channel) and gave contacts of `contact_kinds`. A
        sender appears once, at its first place; a telephone number is left to
        staff. Empty only when no contact is given or every one is a telephone."""
        automatic = [
            (position, kind)
            for position, kind in enumerate(contact_kinds)
            if kind != TELEPHONE
        ]
        if not automatic:
            return []
        steps: list[Route] = []
        answering = self._by_channel.get(channel) if channel is not None else None
        if answering is not None:
            steps.append(Route(answering, automatic[0][0]))
        for position, kind in automatic:
            sender = self._by_contact_kind.get(kind)
            if sender is not None and all(s.sender is not sender for s in steps):
                steps.append(Route(sender, position))
        return steps or [Route(self.default, automatic[0][0])]


def build_senders(settings: NotifySettings) -> SenderChoice:
    """The senders of this installation: each gateway that is configured, the
    embedded mailbox folder for everything else."""
    by_kind: dict[str, Sender] = {}
    if settings.sms_gateway_url:
        by_kind[PHONE] = SmsGatewaySender(
            url=settings.sms_gateway_url,
            key=settings.sms_gateway_key.get_secret_value(),
            timeout=settings.sms_timeout_seconds,
        )
    if settings.smtp_host:
        by_kind[EMAIL_ADDRESS] = SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            from_address=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            starttls=settings.smtp_starttls,
            implicit_tls=settings.smtp_implicit_tls,
            ca_file=settings.smtp_ca_file,
            timeout=settings.smtp_timeout_seconds,
        )
    if settings.wechat_api_url:
        by_kind[WECHAT_OPENID] = WeChatTemplateSender(
            base_url=settings.wechat_api_url,
            app_id=settings.wechat_app_id,
            app_secret=settings.wechat_app_secret.get_secret_value(),
            template_id=settings.wechat_template_id,
            field=settings.wechat_template_field,
            timeout=settings.wechat_timeout_seconds,
        )
    if settings.gov_wechat_api_url:
        by_kind[GOV_WECHAT_USER] = GovWeChatSender(
            base_url=settings.gov_wechat_api_url,
            corp_id=settings.gov_wechat_corp_id,
            corp_secret=settings.gov_wechat_corp_secret.get_secret_value(),
            agent_id=settings.gov_wechat_agent_id,
            timeout=settings.wechat_timeout_seconds,
        )

    secret = settings.channel_reply_secret.get_secret_value()
    by_channel: dict[str, Sender] = {
        channel_id: ChannelReplySender(
            channel_id=channel_id,
            url=url,
            secret=secret,
            timeout=settings.channel_reply_timeout_seconds,
        )
        for channel_id, url in settings.channel_reply_urls.items()
    }
    return SenderChoice(
        default=MailboxFolderSender(settings.mailbox_path()),
        by_contact_kind=by_kind,
        by_channel=by_channel,
    )
