"""The refusals of ownership disputes, each with its stable code and Art. 24 in its
message."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput, NotFound


class DisputeNotFound(NotFound):
    code = "dispute_not_found"


class DisputeAlreadyOpen(Conflict):
    """An order has one open dispute at a time; it climbs the ladder (Art. 24)."""

    code = "dispute_already_open"


class DisputeDecided(Conflict):
    """A decided dispute takes no further step (Art. 24)."""

    code = "dispute_decided"


class DisputeLevelMismatch(Conflict):
    """Only the level a dispute stands at may decide or escalate it (Art. 24)."""

    code = "dispute_level_mismatch"


class DisputeAtTopLevel(Conflict):
    """The district leader's meeting is the last level: it decides (Art. 24)."""

    code = "dispute_at_top_level"


class DisputeOrderEnded(Conflict):
    """The order ended without a closure (merged, split or sent in parallel); its
    appeal goes on in other orders, where a dispute belongs (Art. 24)."""

    code = "order_ended"


class DecisionDocumentRequired(InvalidInput):
    """A decision of the bureau's leadership or the district leader's meeting is
    recorded with its written decision attached (Art. 24)."""

    code = "decision_document_required"
