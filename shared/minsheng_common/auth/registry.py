"""The credentials file: API keys and people, with hashes only.

Every service reads the same file (a mounted secret in production) and notices when
it changes, so a key is rotated without downtime: add the new key, move the client
to it, then revoke the old one; each service picks up each step within a second.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from minsheng_common.auth.roles import Role


class ApiKeyRecord(BaseModel):
    """A system's key: only the hash of its secret is kept."""

    key_id: str
    name: str
    secret_hash: str
    role: Role
    unit_id: str | None = None
    channel_id: str | None = None
    created_at: AwareDatetime
    expires_at: AwareDatetime | None = None
    revoked_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _walls_named(self) -> ApiKeyRecord:
        if self.role is Role.UNIT and not self.unit_id:
            raise ValueError("a unit key needs unit_id")
        if self.role is Role.CHANNEL and not self.channel_id:
            raise ValueError("a channel key needs channel_id")
        return self

    def usable_at(self, moment: datetime) -> bool:
        if self.revoked_at is not None and self.revoked_at <= moment:
            return False
        return self.expires_at is None or moment < self.expires_at


# Channels, dashboards and operations are systems with keys, not people.
PERSON_ROLES = frozenset({Role.UNIT, Role.OPERATOR, Role.SUPERVISOR, Role.LEADER})


class UserRecord(BaseModel):
    """A person who signs in with a password."""

    username: str = Field(min_length=1, max_length=100)
    display_name: str = ""
    password_hash: str
    role: Role
    unit_id: str | None = None
    disabled: bool = False

    @model_validator(mode="after")
    def _a_person_with_a_persons_role(self) -> UserRecord:
        if self.role not in PERSON_ROLES:
            raise ValueError(f"a person cannot have the system role {self.role}")
        if self.role is Role.UNIT and not self.unit_id:
            raise ValueError("a unit clerk needs unit_id")
        return self


class Credentials(BaseModel):
    api_keys: list[ApiKeyRecord] = Field(default_factory=list)
    users: list[UserRecord] = Field(default_factory=list)

    def key(self, key_id: str) -> ApiKeyRecord | None:
        return next((k for k in self.api_keys if k.key_id == key_id), None)

    def user(self, username: str) -> UserRecord | None:
        return next((u for u in self.users if u.username == username), None)


class CredentialStore:
    """The credentials file, re-read when it changes (checked at most once a second)."""

    def __init__(self, path: Path, *, recheck_seconds: float = 1.0) -> None:
        self.path = path
        self._recheck = recheck_seconds
        self._checked = 0.0
        self._seen: tuple[int, int] | None = None
        self._credentials = Credentials()

    def current(self) -> Credentials:
        now = time.monotonic()
        if now - self._checked >= self._recheck:
            self._checked = now
            self._reload_if_changed()
        return self._credentials

    def _reload_if_changed(self) -> None:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            self._credentials, self._seen = Credentials(), None
            return
        seen = (status.st_ino, status.st_mtime_ns)
        if seen != self._seen:
            self._credentials = load(self.path)
            self._seen = seen


def load(path: Path) -> Credentials:
    if not path.exists():
        return Credentials()
    return Credentials.model_validate_json(path.read_text(encoding="utf-8"))


def save(path: Path, credentials: Credentials) -> None:
    """Replace the file atomically and privately (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".credentials-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(credentials.model_dump(mode="json"), indent=2))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def utc_now() -> datetime:
    return datetime.now(UTC)
