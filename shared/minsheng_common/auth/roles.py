"""Roles and the scopes each grants.

A route asks for a scope, never for a role, so a role can be widened or narrowed here
without touching any service. Unit and channel walls (a unit sees only its own
orders, a channel only its own submissions) are enforced on top of scopes, by the
service that owns the data.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CHANNEL = "channel"
    """A channel system (WeChat, hotline, mailbox, forum adapter): submits appeals and
    reads the status of its own submissions."""
    UNIT = "unit"
    """A handling unit's system or clerk: its own work orders only."""
    OPERATOR = "operator"
    """A center operator: reads everything, steers work orders."""
    SUPERVISOR = "supervisor"
    """A center supervisor: an operator who also manages routing and credentials."""
    LEADER = "leader"
    """A district leader: read-only reports."""
    DASHBOARD = "dashboard"
    """Another system's dashboard: read-only analytics."""
    OPERATIONS = "operations"
    """The operations team: health and metrics."""


class Scope(StrEnum):
    APPEALS_SUBMIT = "appeals:submit"
    APPEALS_READ_OWN = "appeals:read-own"
    APPEALS_READ_UNIT = "appeals:read-unit"
    APPEALS_READ = "appeals:read"
    CONTACT_DISCLOSE = "contact:disclose"
    WORK_ORDERS_UNIT = "work-orders:unit"
    WORK_ORDERS_READ = "work-orders:read"
    WORK_ORDERS_OPERATE = "work-orders:operate"
    ROUTING_READ = "routing:read"
    ROUTING_MANAGE = "routing:manage"
    DEADLINES_UNIT = "deadlines:unit"
    DEADLINES_READ = "deadlines:read"
    NOTICES_UNIT = "notices:unit"
    NOTICES_READ = "notices:read"
    CALENDAR_READ = "calendar:read"
    ANALYTICS_READ = "analytics:read"
    CHANNEL_OPERATE = "channel:operate"
    OPS_READ = "ops:read"


_CENTER = frozenset(
    {
        Scope.APPEALS_SUBMIT,
        Scope.APPEALS_READ,
        Scope.CONTACT_DISCLOSE,
        Scope.WORK_ORDERS_READ,
        Scope.WORK_ORDERS_OPERATE,
        Scope.ROUTING_READ,
        Scope.DEADLINES_READ,
        Scope.NOTICES_READ,
        Scope.CALENDAR_READ,
        Scope.ANALYTICS_READ,
        Scope.CHANNEL_OPERATE,
    }
)

SCOPES: dict[Role, frozenset[Scope]] = {
    Role.CHANNEL: frozenset(
        {Scope.APPEALS_SUBMIT, Scope.APPEALS_READ_OWN, Scope.CALENDAR_READ}
    ),
    Role.UNIT: frozenset(
        {
            Scope.APPEALS_READ_UNIT,
            Scope.CONTACT_DISCLOSE,
            Scope.WORK_ORDERS_UNIT,
            Scope.DEADLINES_UNIT,
            Scope.NOTICES_UNIT,
            Scope.CALENDAR_READ,
        }
    ),
    Role.OPERATOR: _CENTER,
    Role.SUPERVISOR: _CENTER | {Scope.ROUTING_MANAGE},
    Role.LEADER: frozenset({Scope.ANALYTICS_READ, Scope.CALENDAR_READ}),
    Role.DASHBOARD: frozenset({Scope.ANALYTICS_READ}),
    Role.OPERATIONS: frozenset({Scope.OPS_READ}),
}

CENTER_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})
