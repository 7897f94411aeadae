"""How a request stands, in GeoReport v2's words: open or closed, a public note,
the unit responsible and the handling deadline; and the extended states of the
update feed (the FixMyStreet vocabulary many 311 clients read).

Notes are the district's fixed sentences with units' public names, never a unit's
internal notes, the citizen's text or personal data: anyone may read a request's
status. The plain reasons for not filing follow intake's own (Art. 11), without
the evidence intake quotes from the text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

from minsheng_open311.catalogue import Catalogue
from minsheng_open311.models import ProgressUpdate, ServiceRequest, WorkOrderView

Status = Literal["open", "closed"]

OPEN_STATES: Final = frozenset(
    {"open", "investigating", "action_scheduled", "in_progress"}
)
CLOSED_STATES: Final = frozenset(
    {
        "closed",
        "fixed",
        "duplicate",
        "not_councils_responsibility",
        "no_further_action",
        "internal_referral",
    }
)

REASONS: Final[Mapping[str, str]] = {
    "missing_contact": "未留真实有效的联系方式",
    "invalid_contact": "联系方式无效",
    "missing_content": "未描述诉求内容",
    "description_unclear": "诉求描述不规范，内容过短或无法辨认",
    "no_evident_request": "内容中没有明显的诉求",
    "law_litigation": "属于涉法涉诉事项",
    "outside_powers": "不属于本区行政职权范围",
    "outside_territory": "事发地点不在本区范围内",
    "no_place_in_district": "未写明本区范围内的地点",
    "complaint_subject_missing": "投诉未写明被投诉的对象或事项",
    "address_not_precise": "地址不够具体，未写明门牌号、楼栋或路灯杆号等",
    "repeat": "重复反映，同一问题正在办理中",
    "repeat_same_day": "同一天通过同一渠道多次反映同一事件，只受理一次",
    "verification_address_untrue": "经现场核实，地址不实",
    "verification_content_untrue": "经现场核实，反映内容不实",
    "verification_invented": "经现场核实，属故意捏造",
}
"""Why intake did not file an appeal (不予立案, Art. 11), by its reason code."""

_DUPLICATE: Final = frozenset({"repeat", "repeat_same_day"})
_NOT_OURS: Final = frozenset({"outside_powers", "outside_territory", "law_litigation"})
_HELD: Final[Mapping[str, str]] = {
    "pending_verification": "待网格员现场核实",
    "pending_classification": "待工作人员确定诉求分类",
}


@dataclass(frozen=True)
class Step:
    """An extended state and its public note."""

    state: str
    notes: str

    @property
    def status(self) -> Status:
        return "closed" if self.state in CLOSED_STATES else "open"


def waiting() -> Step:
    return Step("open", "已收到，正在转交受理")


def refused(body: str | None) -> Step:
    """Intake refused the appeal outright (422): its reason, as it wrote it."""
    return Step("closed", f"未能受理：{_refusal(body)}")


def _refusal(body: str | None) -> str:
    try:
        error = json.loads(body or "")["error"]
        message = str(error["message"])
    except (ValueError, KeyError, TypeError):
        return body or "受理方拒收"
    field = error.get("field")
    return f"{field}: {message}" if field and field not in message else message


def filed() -> Step:
    return Step("open", "已受理（立案），待分派承办单位")


def held(decision: str) -> Step:
    return Step("investigating", _HELD.get(decision, "待核实"))


def rejected(reason_code: str | None, advice: str | None) -> Step:
    """Not filed (不予立案): the plain reason, and where to turn instead."""
    reason = REASONS.get(reason_code or "", "不符合受理条件")
    notes = f"不予受理：{reason}。"
    if advice:
        notes += advice
    if reason_code in _DUPLICATE:
        return Step("duplicate", notes)
    if reason_code in _NOT_OURS:
        return Step("not_councils_responsibility", notes)
    return Step("no_further_action", notes)


def answered(answer: str | None) -> Step:
    """A consultation answered at once from the knowledge base (秒回, Art. 44)."""
    return Step("closed", f"已即时答复：{answer}" if answer else "已即时答复")


def dispatched(unit: str) -> Step:
    return Step("action_scheduled", f"已分派至{unit}办理")


def signed(unit: str) -> Step:
    return Step("in_progress", f"{unit}已签收，正在办理")


def closed(
    unit: str, *, outcome: str, check_date: date | None, appeal_closed: bool
) -> Step:
    """An order closed (Art. 17): the appeal is done when it was its last open
    order; a staged closure (阶段性办结) is checked again on its date."""
    if not appeal_closed:
        return Step("in_progress", f"{unit}已办结，其他承办单位仍在办理")
    if outcome == "staged":
        when = f"将于{check_date:%Y-%m-%d}" if check_date else "将"
        return Step("closed", f"{unit}阶段性办结，{when}复查办理情况")
    return Step("fixed", f"{unit}已办结")


def reopened(unit: str) -> Step:
    return Step("in_progress", f"已重新交由{unit}办理")


def merged() -> Step:
    return Step("in_progress", "已与反映同一事件的诉求合并办理")


def decided(request: ServiceRequest) -> Step | None:
    """What intake's answer said, before any event about the appeal is read."""
    decision = request.decision
    if decision is None:
        return None
    if decision == "filed":
        return filed()
    if decision == "rejected":
        return rejected(request.reason_code, request.advice)
    if decision == "answered":
        return answered(request.answer)
    return held(decision)


@dataclass(frozen=True)
class View:
    """A request as GeoReport v2 shows it."""

    step: Step
    agency: str
    expected_at: datetime | None
    updated_at: datetime

    @property
    def status(self) -> Status:
        return self.step.status


def view(
    request: ServiceRequest,
    *,
    updates: Sequence[ProgressUpdate],
    orders: Sequence[WorkOrderView],
    catalogue: Catalogue,
) -> View:
    """The request's state from intake's decision and the progress read since: the
    newest step wins (a step and the decision at the same instant: the step). A
    request still on its way to intake may already be tied to its appeal by the
    appeal's events."""
    moments = [request.requested_at]
    if request.status == "refused":
        step = refused(request.last_error)
        moments.append(request.decided_at or request.requested_at)
        return View(step, catalogue.center_name, None, max(moments))
    step = decided(request) or waiting()
    if request.decided_at is not None:
        moments.append(request.decided_at)
    newest = max(updates, key=lambda u: (u.occurred_at, u.id), default=None)
    if newest is not None and (
        request.decided_at is None or newest.occurred_at >= request.decided_at
    ):
        step = Step(newest.state, newest.notes)
    moments.extend(update.occurred_at for update in updates)
    moments.extend(order.changed_at for order in orders)
    return View(
        step=step,
        agency=_agency(orders, catalogue),
        expected_at=_expected(orders),
        updated_at=max(moments),
    )


def _agency(orders: Sequence[WorkOrderView], catalogue: Catalogue) -> str:
    """The units handling it now; when none is, those that handled it; before any
    dispatch, the center."""
    current = [order for order in orders if order.state == "open"]
    if not current:
        current = [order for order in orders if order.state == "closed"]
    if not current:
        return catalogue.center_name
    names: dict[str, None] = {}
    for order in sorted(current, key=lambda order: order.changed_at):
        names[catalogue.unit_name(order.unit_id)] = None
    return "、".join(names)


def _expected(orders: Sequence[WorkOrderView]) -> datetime | None:
    """The handling deadline: the latest of the orders being handled, else of those
    that were."""
    for state in ("open", "closed"):
        dues = [
            order.handling_due_at
            for order in orders
            if order.state == state and order.handling_due_at is not None
        ]
        if dues:
            return max(dues)
    return None
