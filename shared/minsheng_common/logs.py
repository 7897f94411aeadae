"""Logging setup: plain text for people, one JSON object a line for machines.

A filter masks personal data (phone and ID numbers, emails) with the same rules as
intake's texts, as a last line of defence: code must never log a citizen's contact in
the first place. It drops the values of secret query parameters, and of those that
name a citizen, from any URL logged (the access log writes every request's path and
query), and it escapes line breaks, so a value from a request cannot forge a log
line of its own.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from urllib.parse import unquote_plus

from minsheng_common import redaction
from minsheng_common.tracing import current_trace_id

_BREAKS = str.maketrans({"\n": "\\n", "\r": "\\r"})

SECRET_QUERY_PARAMETERS = frozenset({"last4"})
"""Query parameters whose values are never logged: `last4` with a tracking code
opens an appeal's status to anyone who reads them (the citizen's status read)."""
PERSONAL_QUERY_PARAMETERS = frozenset({"openid", "unionid", "touser", "fromusername"})
"""Query parameters whose values name a citizen and are never logged: a WeChat
user's openid (WeChat's push carries `openid=` in its query), unionid, or the
addressee or sender of a message."""
_NEVER_LOGGED = SECRET_QUERY_PARAMETERS | PERSONAL_QUERY_PARAMETERS
_DROPPED = "***"
_QUERY_PARAMETER = re.compile(r"(?<=[?&;])([^=&;#\s\"'?]+)=([^&;#\s\"']*)")


def _redact(text: str) -> str:
    return redaction.redact(_drop_secret_parameters(text)).translate(_BREAKS)


def _drop_secret_parameters(text: str) -> str:
    """`text` with the value of every secret or personal query parameter masked,
    the name matched as the server decodes it, in any case (`last%34` is `last4`
    too, `OpenID` is `openid`)."""

    def mask(match: re.Match[str]) -> str:
        name = match.group(1)
        if unquote_plus(name).strip().lower() not in _NEVER_LOGGED:
            return match.group()
        return f"{name}={_DROPPED}"

    return _QUERY_PARAMETER.sub(mask, text)


class RedactingFilter(logging.Filter):
    """Masks personal data and escapes line breaks in the final message, and adds
    the current trace id."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        record.trace_id = current_trace_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "trace_id": getattr(record, "trace_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    *, service: str, level: str = "INFO", as_json: bool = False
) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if as_json:
        handler.setFormatter(JsonFormatter())
    else:
        layout = "%(asctime)s %(levelname)-7s {} %(name)s [%(trace_id)s] %(message)s"
        handler.setFormatter(logging.Formatter(layout.format(service)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in (
        "aiokafka",
        "kafka",
        "sqlalchemy.engine",
        "alembic.runtime.migration",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    # uvicorn's own set-up (when anything ran it with its default log config) gives
    # its loggers handlers that bypass the redacting filter: route them to ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
        server_logger.disabled = False
        server_logger.setLevel(logging.NOTSET)
