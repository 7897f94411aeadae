"""The unit wall: whose notices a caller may see.

A unit sees only the notices sent for its own work orders; another unit's notice
answers exactly as a missing one (Art. 41). Center roles with `notices:read` see
every notice.
"""

from __future__ import annotations

from minsheng_common.auth.authenticator import Forbidden
from minsheng_common.auth.principal import Principal
from minsheng_common.auth.roles import Scope


def visible_unit(principal: Principal) -> str | None:
    """The one unit whose notices the caller may see, or None when it may see
    every unit's (a center role)."""
    if principal.can(Scope.NOTICES_READ):
        return None
    if principal.unit_id is None:
        raise Forbidden("only a unit or the center may read notices")
    return principal.unit_id
