"""Identifiers: UUIDs for records and events, readable tracking codes for citizens."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from minsheng_common.timeutil import SHANGHAI


def new_id() -> str:
    """A random UUID as text; every record and event id."""
    return str(uuid.uuid4())


def tracking_code(prefix: str, moment: datetime) -> str:
    """A code a citizen can read out on the phone: prefix, local date, six digits."""
    day = moment.astimezone(SHANGHAI).strftime("%Y%m%d")
    return f"{prefix}{day}{secrets.randbelow(1_000_000):06d}"
