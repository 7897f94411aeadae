"""What an order's role in a parallel group (并行, Art. 20, 22) allows, checked by the
order's life where it would otherwise treat the order as any other.

- `candidate`: ownership is unclear; the unit confirms it (and handles it) or returns
  it. It is never signed, by its clerk or by default.
- `lead` (牵头单位): handles it, gathers the cooperating units' opinions and gives the
  citizen the single reply.
- `cooperating` (协同单位): gives its opinion to the lead; it does not reply to the
  citizen nor ask to close.
- `sole`: an ordinary order, or the candidate that confirmed ownership.
"""

from __future__ import annotations

from minsheng_dispatch.models import WorkOrder
from minsheng_dispatch.special.errors import CandidateConfirms, LeadReplies

SOLE = "sole"
LEAD = "lead"
COOPERATING = "cooperating"
CANDIDATE = "candidate"


def check_may_sign(order: WorkOrder) -> None:
    """Refuse (409) to sign a candidate's order: it confirms or returns (Art. 20)."""
    if order.role == CANDIDATE:
        raise CandidateConfirms(
            f"work order {order.id} is a candidate of parallel group "
            f"{order.parallel_group_id}: confirm that it is your unit's (POST "
            "/confirm) or return it (Art. 20)"
        )


def check_may_reply(order: WorkOrder) -> None:
    """Refuse (409) a handling notice or closure request of a cooperating unit: the
    lead gives the single reply (Art. 20)."""
    if order.role == COOPERATING:
        raise LeadReplies(
            f"work order {order.id} is a cooperating order of parallel group "
            f"{order.parallel_group_id}: the lead unit gives the citizen the single "
            "reply and asks to close; give your opinion to it (POST /opinion) "
            "(Art. 20)"
        )
