"""The refusals of special dispatch, each with its stable code and its article in
the message."""

from __future__ import annotations

from minsheng_common.errors import Conflict, InvalidInput, NotFound


class MergeSameOrder(Conflict):
    """An order cannot be merged into itself (Art. 18)."""

    code = "merge_same_order"


class OrderFinished(Conflict):
    """Orders are merged, split or sent in parallel only before they are finished:
    not once closed, nor once the unit asked to close them or to tell the citizen
    the result (Art. 18)."""

    code = "order_finished"


class ParallelMember(Conflict):
    """An order of a parallel group moves with its group (Art. 20, 22)."""

    code = "parallel_member"


class UnitsRepeated(InvalidInput):
    """Each unit takes one part of a split or one place in a parallel group."""

    code = "units_repeated"


class NotCandidate(Conflict):
    """Only a candidate of a parallel group confirms ownership (Art. 20)."""

    code = "not_candidate"


class CandidateConfirms(Conflict):
    """A candidate does not sign: it confirms ownership or returns the order
    (Art. 20)."""

    code = "candidate_confirms"


class OwnerConfirmed(Conflict):
    """Another unit of the group confirmed ownership first (Art. 20)."""

    code = "owner_confirmed"


class NotCooperating(Conflict):
    """Only a cooperating unit (协同单位) gives an opinion to the lead (Art. 20)."""

    code = "not_cooperating"


class LeadReplies(Conflict):
    """Only the lead unit (牵头单位) tells the citizen and asks to close (Art. 20)."""

    code = "lead_replies"


class OpinionAlreadyGiven(Conflict):
    """A cooperating order carries one opinion, given or waived (Art. 20)."""

    code = "opinion_already_given"


class OpinionMissing(Conflict):
    """The lead gathers every cooperating unit's opinion before its single reply,
    unless the center waived one (Art. 20)."""

    code = "opinion_missing"


class ParallelGroupNotFound(NotFound):
    """The order belongs to no parallel group (or is not the caller's)."""

    code = "parallel_group_not_found"
