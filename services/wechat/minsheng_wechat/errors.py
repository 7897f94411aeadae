"""The WeChat adapter's own errors: a push it cannot read or that is not for this
account, a mode it is not configured for, a picture it does not keep. What intake
answers is every adapter's (`minsheng_common.adapters.errors`); a bad or stale
signature and a replay are every push's (`minsheng_common.auth.webhooks`)."""

from __future__ import annotations

from minsheng_common.errors import InvalidInput, MinshengError, NotFound, Unavailable


class InvalidXml(MinshengError):
    """The body is not well-formed XML of the shape WeChat pushes, or declares a
    DTD or entities (refused unread: no entity expansion)."""

    status_code = 400
    code = "invalid_xml"


class InvalidMessage(InvalidInput):
    """Well-formed XML that is not a WeChat message: an element missing or of the
    wrong shape (the element is the field at fault)."""

    code = "invalid_message"


class UndecryptableMessage(MinshengError):
    """A correctly signed `Encrypt` element that does not decrypt with the
    EncodingAESKey into a message."""

    status_code = 400
    code = "undecryptable_message"


class WrongAppId(MinshengError):
    """The encrypted message names another account's AppID."""

    status_code = 401
    code = "wrong_app_id"


class PushNotConfigured(Unavailable):
    """No token (or, for an encrypted push, no EncodingAESKey and AppID) is set:
    the push cannot be verified, so none is taken."""

    code = "wechat_not_configured"
    retriable = False


class PhotoNotFound(NotFound):
    """No picture of that name is kept here."""
