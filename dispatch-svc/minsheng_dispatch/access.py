"""The unit wall: which unit's work orders a caller may see and act on.

A unit reaches only its own orders; another unit's order answers exactly as a
missing one (Art. 41: nothing of one unit's work may reach another). Center roles
with `work-orders:read` see every unit's orders.
"""

from __future__ import annotations

from minsheng_common.auth.authenticator import Forbidden
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope


def visible_unit(principal: Principal) -> str | None:
    """The one unit whose orders the caller may see, or None when it may see every
    unit's (a center role)."""
    if principal.can(Scope.WORK_ORDERS_READ):
        return None
    return acting_unit(principal)


def acting_unit(principal: Principal) -> str:
    """The unit the caller acts for; signing and notices are always the caller's
    own unit's, never one named in a request."""
    if principal.unit_id is None:
        raise Forbidden("only a unit may do this")
    return principal.unit_id
