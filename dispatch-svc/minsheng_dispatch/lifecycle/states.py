"""Which transition each state allows, and the refusal when it does not.

    dispatched ──sign──> signed ──progress──> in_progress ──closure──> closure_requested
       │  ↑                 └─────────────────closure───────────────────┘    │   │
       │  └──return refused                  in_progress <──closure rejected─┘   │
       └──return──> return_requested ──return approved──> returned (ended; the   │
                                                           appeal goes on in a   │
                                                           new order)            │
    closed (on_time | overdue | staged) <──────────closure approved──────────────┘
       └──reopen (重办)──> dispatched, next round

An order is in progress from its first progress note; a unit may also ask for
closure straight after signing. Before it is finished, the center may end an order
by special dispatch (`minsheng_dispatch.special`): merged, split or parallel. Every
refusal is a 409 with its own code, naming the article of the rule.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NoReturn

from minsheng_dispatch import repository as r
from minsheng_dispatch.errors import (
    AlreadyClosed,
    AlreadySigned,
    ClosurePending,
    NoClosureRequested,
    NoReturnRequested,
    NotClosed,
    NotSigned,
    OrderEnded,
    OrderReturned,
    ReturnPending,
)
from minsheng_dispatch.models import WorkOrder


class Step(StrEnum):
    SIGN = "sign"
    REQUEST_RETURN = "request_return"
    DECIDE_RETURN = "decide_return"
    ADD_PROGRESS = "add_progress"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    HANDLING_NOTICE = "handling_notice"
    REQUEST_CLOSURE = "request_closure"
    DECIDE_CLOSURE = "decide_closure"
    CHECK_STAGED = "check_staged"
    REOPEN = "reopen"


ALLOWED: dict[Step, frozenset[str]] = {
    Step.SIGN: frozenset({r.DISPATCHED}),
    Step.REQUEST_RETURN: frozenset({r.DISPATCHED}),
    Step.DECIDE_RETURN: frozenset({r.RETURN_REQUESTED}),
    Step.ADD_PROGRESS: frozenset({r.SIGNED, r.IN_PROGRESS}),
    Step.REQUEST_EXTENSION: frozenset({r.SIGNED, r.IN_PROGRESS}),
    Step.DECIDE_EXTENSION: frozenset({r.SIGNED, r.IN_PROGRESS, r.CLOSURE_REQUESTED}),
    Step.HANDLING_NOTICE: frozenset({r.SIGNED, r.IN_PROGRESS, r.CLOSURE_REQUESTED}),
    Step.REQUEST_CLOSURE: frozenset({r.SIGNED, r.IN_PROGRESS}),
    Step.DECIDE_CLOSURE: frozenset({r.CLOSURE_REQUESTED}),
    Step.CHECK_STAGED: frozenset({r.CLOSED}),
    Step.REOPEN: frozenset({r.CLOSED}),
}

ARTICLE: dict[Step, str] = {
    Step.SIGN: "Art. 13",
    Step.REQUEST_RETURN: "Art. 13",
    Step.DECIDE_RETURN: "Art. 13",
    Step.ADD_PROGRESS: "Art. 15",
    Step.REQUEST_EXTENSION: "Art. 16",
    Step.DECIDE_EXTENSION: "Art. 16",
    Step.HANDLING_NOTICE: "Art. 29",
    Step.REQUEST_CLOSURE: "Art. 17",
    Step.DECIDE_CLOSURE: "Art. 17",
    Step.CHECK_STAGED: "Art. 17",
    Step.REOPEN: "Art. 17",
}

_WHAT: dict[Step, str] = {
    Step.SIGN: "be signed",
    Step.REQUEST_RETURN: "be returned",
    Step.DECIDE_RETURN: "have a return decided",
    Step.ADD_PROGRESS: "take a progress note",
    Step.REQUEST_EXTENSION: "take an extension request",
    Step.DECIDE_EXTENSION: "have an extension decided",
    Step.HANDLING_NOTICE: "take a handling notice",
    Step.REQUEST_CLOSURE: "be submitted for closure",
    Step.DECIDE_CLOSURE: "have a closure decided",
    Step.CHECK_STAGED: "have a staged closure checked",
    Step.REOPEN: "be reopened",
}


_ENDED: dict[str, str] = {
    r.MERGED: "it was merged into another order, which carries its appeal on (Art. 18)",
    r.SPLIT: "it was split into orders for several units (Art. 19)",
    r.PARALLEL: "its event went to several units at once, each with its own order "
    "(Art. 20, 22)",
}


def check(order: WorkOrder, step: Step) -> None:
    """Pass when the order's state allows `step`; otherwise refuse (409)."""
    if order.status not in ALLOWED[step]:
        refuse(order, step)


def refuse(order: WorkOrder, step: Step) -> NoReturn:
    """Raise the refusal that says why the order's state does not allow `step`."""
    article = ARTICLE[step]
    status = order.status
    cannot = f"work order {order.id} is {status} and cannot {_WHAT[step]}"
    if status == r.RETURNED:
        raise OrderReturned(
            f"{cannot}: it was returned and replaced by work order "
            f"{order.redispatched_to} (Art. 13)"
        )
    if status in r.REPLACED_STATUSES:
        raise OrderEnded(f"{cannot}: {_ENDED[status]}")
    if step is Step.REQUEST_RETURN and order.signed_at is not None:
        raise AlreadySigned(
            f"{cannot}: an order can no longer be returned after it is signed (Art. 13)"
        )
    if step is Step.DECIDE_RETURN:
        raise NoReturnRequested(
            f"{cannot}: its unit did not ask to return it ({article})"
        )
    if step is Step.DECIDE_CLOSURE:
        raise NoClosureRequested(
            f"{cannot}: its unit did not ask to close it ({article})"
        )
    if step in (Step.REOPEN, Step.CHECK_STAGED):
        raise NotClosed(f"{cannot}: only a closed order can ({article})")
    if status == r.RETURN_REQUESTED:
        raise ReturnPending(
            f"{cannot}: its unit asked to return it and the center decides first "
            "(Art. 13)"
        )
    if status == r.DISPATCHED:
        raise NotSigned(f"{cannot}: the unit signs it first (Art. 13, {article})")
    if status == r.CLOSURE_REQUESTED:
        raise ClosurePending(
            f"{cannot}: its closure request waits for the center's review "
            + ("(Art. 17)" if article == "Art. 17" else f"(Art. 17, {article})")
        )
    if status == r.CLOSED:
        raise AlreadyClosed(
            f"{cannot}: it is closed; the center may reopen it (重办) ({article})"
        )
    raise AlreadySigned(f"{cannot} ({article})")
