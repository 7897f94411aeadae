"""Orders, their history, attachments and extensions as the API shows them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from minsheng_dispatch.attachments.models import Attachment, WorkOrderAttachment
from minsheng_dispatch.disputes.schemas import DisputeOut
from minsheng_dispatch.models import WorkOrder, WorkOrderAction, WorkOrderExtension
from minsheng_dispatch.schemas import (
    ActionOut,
    ExtensionOut,
    OrderAttachmentOut,
    RouteOut,
    WorkOrderDetail,
    WorkOrderOut,
)


def order_fields(order: WorkOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "appeal_id": order.appeal_id,
        "tracking_code": order.tracking_code,
        "unit_id": order.unit_id,
        "appeal_type": order.appeal_type,
        "category_id": order.category_id,
        "subdistrict_id": order.subdistrict_id,
        "community": order.community,
        "title": order.title,
        "content": order.content,
        "address": order.address,
        "status": order.status,
        "filed_at": order.filed_at,
        "created_at": order.created_at,
        "dispatched_at": order.dispatched_at,
        "dispatch_seconds": order.dispatch_seconds,
        "dispatched_within_target": order.dispatched_within_target,
        "route": RouteOut(
            rule_id=order.route_rule_id,
            reason=order.route_reason,
            basis=order.route_basis,
        ),
        "rules_edition": order.rules_edition,
        "sign_off_due_at": order.sign_off_due_at,
        "signed_at": order.signed_at,
        "sign_mode": order.sign_mode,
        "signed_by": order.signed_by,
        "acceptance_notice_requested_at": order.acceptance_notice_requested_at,
        "round": order.round,
        "clock_from": order.clock_from,
        "updated_at": order.updated_at,
        "handling_due_at": order.handling_due_at,
        "extended_working_days": order.extended_working_days,
        "progress_started_at": order.progress_started_at,
        "handling_notice_requested_at": order.handling_notice_requested_at,
        "handling_notice_sent_at": order.handling_notice_sent_at,
        "closure_requested_at": order.closure_requested_at,
        "handled_at": order.handled_at,
        "staged": order.staged,
        "check_date": order.check_date,
        "closed_at": order.closed_at,
        "closed_by": order.closed_by,
        "outcome": order.outcome,
        "staged_check": order.staged_check,
        "redispatched_from": order.redispatched_from,
        "redispatched_to": order.redispatched_to,
        "role": order.role,
        "parallel_group_id": order.parallel_group_id,
        "split_from": order.split_from,
        "merged_into": order.merged_into,
        "channel": order.channel,
        "cluster_id": order.cluster_id,
    }


def present(order: WorkOrder) -> WorkOrderOut:
    return WorkOrderOut(**order_fields(order))


def present_action(action: WorkOrderAction) -> ActionOut:
    return ActionOut(
        id=action.id,
        action=action.action,
        actor=action.actor,
        at=action.at,
        detail=action.detail,
    )


def present_extension(extension: WorkOrderExtension) -> ExtensionOut:
    return ExtensionOut(
        id=extension.id,
        round=extension.round,
        working_days=extension.working_days,
        reason=extension.reason,
        leader_approval=extension.leader_approval,
        status=cast(Any, extension.status),
        requested_at=extension.requested_at,
        requested_by=extension.requested_by,
        decided_at=extension.decided_at,
        decided_by=extension.decided_by,
        decision_reason=extension.decision_reason,
    )


def present_detail(
    order: WorkOrder,
    *,
    actions: Sequence[WorkOrderAction],
    attachments: Sequence[tuple[WorkOrderAttachment, Attachment]],
    extensions: Sequence[WorkOrderExtension],
    disputes: Sequence[DisputeOut] = (),
) -> WorkOrderDetail:
    return WorkOrderDetail(
        **order_fields(order),
        history=[present_action(action) for action in actions],
        attachments=[
            OrderAttachmentOut(
                id=link.attachment_id,
                role=link.role,
                content_type=stored.content_type,
                size=stored.size,
                round=link.round,
                added_by=link.added_by,
                added_at=link.added_at,
            )
            for link, stored in attachments
        ],
        extensions=[present_extension(extension) for extension in extensions],
        disputes=list(disputes),
    )
