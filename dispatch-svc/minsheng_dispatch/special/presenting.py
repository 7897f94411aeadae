"""Special dispatch's results as the API shows them."""

from __future__ import annotations

from typing import Any, cast

from minsheng_dispatch.presenting import present
from minsheng_dispatch.special.merge import Merged, Suggestion
from minsheng_dispatch.special.models import CooperationOpinion
from minsheng_dispatch.special.parallel import GroupView
from minsheng_dispatch.special.schemas import (
    MemberOut,
    MergeOut,
    MergeSuggestionOut,
    OpinionOut,
    ParallelGroupOut,
    SplitOut,
)
from minsheng_dispatch.special.split import Split


def present_merged(merged: Merged) -> MergeOut:
    return MergeOut(
        work_order=present(merged.survivor),
        merged=[present(order) for order in merged.merged],
    )


def present_suggestion(suggestion: Suggestion) -> MergeSuggestionOut:
    survivor = suggestion.survivor
    return MergeSuggestionOut(
        cluster_id=suggestion.cluster_id,
        same_channel=suggestion.same_channel,
        same_category=suggestion.same_category,
        same_unit=suggestion.same_unit,
        channels=suggestion.channels,
        suggested_work_order_id=survivor.id if survivor else None,
        orders=[present(order) for order in suggestion.orders],
    )


def present_split(split: Split) -> SplitOut:
    return SplitOut(
        work_order=present(split.origin),
        parts=[present(part) for part in split.parts],
    )


def present_opinion(given: CooperationOpinion) -> OpinionOut:
    return OpinionOut(
        work_order_id=given.work_order_id,
        unit_id=given.unit_id,
        status=cast(Any, given.status),
        opinion=given.opinion,
        reason=given.reason,
        at=given.at,
        by=given.by,
        due_at=given.due_at,
        on_time=given.on_time,
    )


def present_group(view: GroupView) -> ParallelGroupOut:
    group = view.group
    return ParallelGroupOut(
        id=group.id,
        appeal_id=group.appeal_id,
        tracking_code=view.tracking_code,
        mode=cast(Any, group.mode),
        origin_work_order_id=group.origin_work_order_id,
        reason=group.reason,
        created_at=group.created_at,
        created_by=group.created_by,
        owner_work_order_id=group.owner_work_order_id,
        owner_confirmed_at=group.owner_confirmed_at,
        members=[
            MemberOut(
                work_order_id=member.id,
                unit_id=member.unit_id,
                role=cast(Any, member.role),
                status=cast(Any, member.status),
                dispatched_at=member.dispatched_at,
                handling_due_at=member.handling_due_at,
                opinion=(
                    present_opinion(view.opinions[member.id])
                    if member.id in view.opinions
                    else None
                ),
            )
            for member in view.members
        ],
        opinions_missing=view.missing,
    )
