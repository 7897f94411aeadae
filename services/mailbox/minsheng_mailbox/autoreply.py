"""Mail no person wrote: auto-replies (out of office, "your message was received")
and bounces. They are recorded as ignored and never reach intake, and nothing is
ever sent back to them, so two robots cannot answer each other forever.

The signs, each enough on its own: Auto-Submitted other than "no" (RFC 3834),
X-Autoreply or X-Autorespond (the common vacation programs), Precedence bulk, junk,
auto_reply or list, a delivery or read report (multipart/report of
delivery-status or disposition-notification, RFC 6522), a sender named
MAILER-DAEMON or postmaster, and an empty Return-Path (<>), which only bounces and
auto-replies carry.
"""

from __future__ import annotations

from email.message import Message
from email.utils import getaddresses

_PRECEDENCE = frozenset({"bulk", "junk", "auto_reply", "list"})
_REPORTS = frozenset({"delivery-status", "disposition-notification"})
_DAEMONS = frozenset({"mailer-daemon", "postmaster"})


def reason(message: Message) -> str | None:
    """Why `message` was written by a machine (a short code for the record), or
    None when a person wrote it."""
    auto_submitted = _token(message.get("Auto-Submitted"))
    if auto_submitted and auto_submitted != "no":
        return "auto_submitted"
    if message.get("X-Autoreply") is not None or message.get("X-Autorespond"):
        return "autoreply_header"
    if _token(message.get("Precedence")) in _PRECEDENCE:
        return "precedence"
    if (
        message.get_content_type() == "multipart/report"
        and _token(message.get_param("report-type", header="content-type")) in _REPORTS
    ):
        return "delivery_report"
    if _from_daemon(message):
        return "mailer_daemon"
    if _null_return_path(message):
        return "null_return_path"
    return None


def _token(value: object) -> str:
    """A header's first word, lower case: "auto-replied; owner=..." → auto-replied."""
    if not isinstance(value, str):
        return ""
    return value.split(";", 1)[0].strip().strip('"').lower()


def _from_daemon(message: Message) -> bool:
    for _name, address in getaddresses([str(v) for v in message.get_all("From", [])]):
        if address.partition("@")[0].lower() in _DAEMONS:
            return True
    return False


def _null_return_path(message: Message) -> bool:
    paths = [str(value).strip() for value in message.get_all("Return-Path", [])]
    return any(path.replace(" ", "") == "<>" for path in paths)
