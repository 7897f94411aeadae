"""The caller of a request, as every service sees it."""

from __future__ import annotations

from dataclasses import dataclass, field

from minsheng_common.auth.roles import CENTER_ROLES, SCOPES, Role, Scope


@dataclass(frozen=True)
class Principal:
    """Who is calling: a system with an API key or a person with a token."""

    subject: str
    role: Role
    unit_id: str | None = None
    channel_id: str | None = None
    via: str = "api_key"
    scopes: frozenset[Scope] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not self.scopes:
            object.__setattr__(self, "scopes", SCOPES[self.role])
        if self.role is Role.UNIT and not self.unit_id:
            raise ValueError("a unit principal needs its unit")
        if self.role is Role.CHANNEL and not self.channel_id:
            raise ValueError("a channel principal needs its channel")

    def can(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def is_center(self) -> bool:
        return self.role in CENTER_ROLES

    def label(self) -> str:
        """How logs and audit rows name the caller (never a secret)."""
        where = self.unit_id or self.channel_id
        return f"{self.role}:{self.subject}" + (f"@{where}" if where else "")
