"""Creating and revoking credentials in the credentials file."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from minsheng_common.auth import hashing, registry
from minsheng_common.auth.registry import ApiKeyRecord, UserRecord
from minsheng_common.auth.roles import Role
from minsheng_common.reference import ReferenceData


def add_key(
    path: Path,
    *,
    name: str,
    role: Role,
    unit_id: str | None = None,
    channel_id: str | None = None,
    expires_in: timedelta | None = None,
) -> str:
    """Add an API key and return its plain form, which is not stored anywhere."""
    credentials = registry.load(path)
    key = hashing.new_api_key()
    now = datetime.now(UTC)
    credentials.api_keys.append(
        ApiKeyRecord(
            key_id=key.key_id,
            name=name,
            secret_hash=key.secret_hash,
            role=role,
            unit_id=unit_id,
            channel_id=channel_id,
            created_at=now,
            expires_at=now + expires_in if expires_in else None,
        )
    )
    registry.save(path, credentials)
    return key.plain


def revoke_key(path: Path, key_id: str, *, at: datetime | None = None) -> None:
    """Revoke a key now, or at `at` (a grace period while clients move to a new key)."""
    credentials = registry.load(path)
    record = credentials.key(key_id)
    if record is None:
        raise KeyError(key_id)
    record.revoked_at = at or datetime.now(UTC)
    registry.save(path, credentials)


MIN_PASSWORD = 10


def add_user(
    path: Path, *, username: str, password: str, role: Role, unit_id: str | None = None
) -> None:
    credentials = registry.load(path)
    if credentials.user(username) is not None:
        raise ValueError(f"user {username} exists")
    if len(password) < MIN_PASSWORD or len(set(password)) < 4:
        raise ValueError(
            f"a password needs at least {MIN_PASSWORD} characters, not all alike"
        )
    credentials.users.append(
        UserRecord(
            username=username,
            password_hash=hashing.hash_password(password),
            role=role,
            unit_id=unit_id,
        )
    )
    registry.save(path, credentials)


def change_user(
    path: Path,
    username: str,
    *,
    disabled: bool | None = None,
    role: Role | None = None,
    unit_id: str | None = None,
) -> None:
    """Disable or enable a person, or change their role (and unit)."""
    credentials = registry.load(path)
    user = credentials.user(username)
    if user is None:
        raise KeyError(username)
    changed = user.model_copy(
        update={
            "disabled": user.disabled if disabled is None else disabled,
            "role": role or user.role,
            "unit_id": unit_id if role is not None else user.unit_id,
        }
    )
    credentials.users[credentials.users.index(user)] = (
        registry.UserRecord.model_validate(changed.model_dump())
    )
    registry.save(path, credentials)


def remove_user(path: Path, username: str) -> None:
    credentials = registry.load(path)
    user = credentials.user(username)
    if user is None:
        raise KeyError(username)
    credentials.users.remove(user)
    registry.save(path, credentials)


@dataclass(frozen=True)
class DevCredentials:
    """Plain credentials for local development, kept beside the hashed file."""

    keys: dict[str, str]
    passwords: dict[str, str]

    def unit_key(self, unit_id: str) -> str:
        return self.keys[f"unit:{unit_id}"]

    def channel_key(self, channel_id: str) -> str:
        return self.keys[f"channel:{channel_id}"]


def ensure_dev_credentials(data_dir: Path, reference: ReferenceData) -> DevCredentials:
    """Local development credentials: a key for every unit and channel and for each
    center and reading role, and a person for each center role. Created once, then
    read back from `<data_dir>/dev-credentials.json` (plain, 0600, never used in
    production)."""
    plain_path = data_dir / "dev-credentials.json"
    if plain_path.exists():
        raw = json.loads(plain_path.read_text(encoding="utf-8"))
        return DevCredentials(keys=raw["keys"], passwords=raw["passwords"])

    hashed_path = data_dir / "credentials.json"
    keys: dict[str, str] = {}
    for unit in reference.units:
        keys[f"unit:{unit.id}"] = add_key(
            hashed_path, name=f"{unit.name} (dev)", role=Role.UNIT, unit_id=unit.id
        )
    for channel in reference.channels:
        keys[f"channel:{channel.id}"] = add_key(
            hashed_path,
            name=f"{channel.name} (dev)",
            role=Role.CHANNEL,
            channel_id=channel.id,
        )
    for role in (
        Role.OPERATOR,
        Role.SUPERVISOR,
        Role.LEADER,
        Role.DASHBOARD,
        Role.OPERATIONS,
    ):
        keys[role.value] = add_key(hashed_path, name=f"{role.value} (dev)", role=role)
    passwords: dict[str, str] = {}
    for role in (Role.OPERATOR, Role.SUPERVISOR, Role.LEADER):
        passwords[role.value] = secrets.token_urlsafe(12)
        add_user(
            hashed_path, username=role.value, password=passwords[role.value], role=role
        )

    body = json.dumps(
        {"keys": keys, "passwords": passwords}, indent=2, ensure_ascii=False
    )
    fd = os.open(plain_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(body)
    return DevCredentials(keys=keys, passwords=passwords)
