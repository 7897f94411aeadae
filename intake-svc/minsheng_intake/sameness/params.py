"""The rule parameters of sameness (Art. 11(3)5, Art. 18), with their defaults.

They are data with an effective date: the integration fills them from intake's rule
edition in force; until then the defaults below apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class SamenessParams:
    """Thresholds and windows for "the same problem", repeats and clusters."""

    same_problem_threshold: float = 0.5
    """Two problems at least this similar (0..1) are the same problem."""

    repeat_working_days: int = 3
    """Art. 11(3)5(a): a repeat within this many working days of the earlier appeal,
    counted as rules.md §11 says (day 1 is the next working day; the window ends
    when business stops on the last day)."""

    cluster_threshold: float = 0.5
    """Art. 18: a report at least this similar to a cluster's first report joins it."""

    cluster_window_hours: int = 72
    """Art. 18: a report joins a cluster when it arrives within this many hours of
    the cluster's first or latest report."""

    concept_weight: float = 0.75
    """How much the problem words (what is wrong with what) weigh in the text
    similarity; the rest is the plain overlap of words and character pairs."""

    unknown_agreement: float = 0.7
    """Agreement assumed on a side of the problem one text does not name (what, or
    what is wrong with it)."""

    place_factor_precise: float = 1.0
    """Text similarity kept when both name the same lamp post, estate, or road and
    number."""

    place_factor_community: float = 0.85
    """Kept when the community (社区) is the same and nothing more precise agrees."""

    place_factor_subdistrict: float = 0.7
    """Kept when only the subdistrict (街道) is known to agree."""


DEFAULTS = SamenessParams()


def params_from(values: Mapping[str, Any]) -> SamenessParams:
    """The parameters an edition gives (its `thresholds`), the defaults for the
    rest; keys of other rules are ignored."""
    known = {field.name for field in fields(SamenessParams)}
    return SamenessParams(**{k: v for k, v in values.items() if k in known})
