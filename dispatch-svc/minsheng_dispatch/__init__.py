"""Dispatch: routes every filed appeal to its unit as a work order (分拨), and keeps
the order's sign-off (签收) and the unit's acceptance notice (受理告知)."""
