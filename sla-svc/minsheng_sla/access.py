"""The unit wall: whose clocks a caller may see.

A unit sees only the clocks on its own work orders; another unit's work order
answers exactly as a missing one (Art. 41). Center roles with `deadlines:read` see
every unit's clocks.
"""

from __future__ import annotations

from minsheng_common.auth.authenticator import Forbidden
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope


def visible_unit(principal: Principal) -> str | None:
    """The one unit whose clocks the caller may see, or None when it may see every
    unit's (a center role)."""
    if principal.can(Scope.DEADLINES_READ):
        return None
    if principal.unit_id is None:
        raise Forbidden("only a unit or the center may read deadlines")
    return principal.unit_id
