"""The parameters of warning detection (预警, Art. 23), as data.

The hotspot thresholds and the watched topics are the district's reference data
(`hotspot_rules`, `watched_topics`: the Art. 23 examples, 5 reports in 24 hours and
20 in 72 hours). Everything else is analytics' own rule data, packaged as
`data/warning_rules.json`; a district points `ANALYTICS_WARNING_RULES_FILE` at its own
file of the same shape:

- `high_frequency`: the same category at the same place (subdistrict and community)
  counts as high-frequency once `min_reports` reports, received within `window_days`
  of each other, fall in at least `min_weeks` distinct ISO weeks (Asia/Shanghai).
  The packaged values, 3 reports over 2 weeks within 30 days, read the Art. 23
  example "a road section often reported for noise within a month".
- `safety_hazard`: a grade at one of `levels` is a hazard whatever its basis (Art. 9
  level 1); a lower grade is one when intake's basis starts with one of
  `basis_prefixes` (a level-2 word, or a level-1 word said as a possibility), unless
  the word it names is one of `not_hazard_words` (wage arrears are graded level 2
  for their social risk; they are a sensitive topic, not a hazard).
- `sensitive`: the words of each watched topic, and the categories that are always
  that topic. A watched topic without an entry here matches its own name; an entry
  with no words and no categories (the catch-all 其他) matches nothing. A word
  matches within the title or within the content, never across the two.

The places of high-frequency warnings are the reference data's communities: what a
citizen writes as community is kept only when it is the official name of a community
of the appeal's subdistrict; anything else (a building, a flat) is personal data and
names no place.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import timedelta
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from minsheng_common.reference import ReferenceData
from minsheng_common.text import strip_invisible

_QUOTED = re.compile(r"'([^']*)'")
_SPACES = re.compile(r"\s+")


class HotspotRule(BaseModel):
    """At least `min_reports` reports of one event cluster within `window_hours`."""

    model_config = ConfigDict(frozen=True)

    window_hours: int = Field(ge=1)
    min_reports: int = Field(ge=2)

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)


class HighFrequencyRule(BaseModel):
    """The same category at the same place recurring over weeks."""

    model_config = ConfigDict(frozen=True)

    window_days: int = Field(ge=1)
    min_reports: int = Field(ge=2)
    min_weeks: int = Field(ge=1)

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)


class SafetyHazardRule(BaseModel):
    """Which grades (appeal.graded) say an appeal is a safety hazard."""

    model_config = ConfigDict(frozen=True)

    levels: list[int] = Field(min_length=1)
    basis_prefixes: list[str] = Field(default_factory=list)
    not_hazard_words: list[str] = Field(default_factory=list)

    def is_hazard(self, level: int, basis: str | None) -> bool:
        if level in self.levels:
            return True
        if basis is None or not basis.startswith(tuple(self.basis_prefixes)):
            return False
        quoted = _QUOTED.search(basis)
        return quoted is None or quoted.group(1) not in self.not_hazard_words


class Topic(BaseModel):
    """How one watched topic is recognised in an appeal."""

    model_config = ConfigDict(frozen=True)

    words: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)


class WarningRuleData(BaseModel):
    """The shape of `warning_rules.json`."""

    model_config = ConfigDict(frozen=True)

    about: str = ""
    high_frequency: HighFrequencyRule
    safety_hazard: SafetyHazardRule
    sensitive: dict[str, Topic] = Field(default_factory=dict)


class WarningRules(BaseModel):
    """Everything detection needs, reference data and rule data together."""

    model_config = ConfigDict(frozen=True)

    hotspots: list[HotspotRule]
    high_frequency: HighFrequencyRule
    safety_hazard: SafetyHazardRule
    watched: dict[str, Topic]
    communities: dict[str, frozenset[str]] = Field(default_factory=dict)
    """The official community names of each subdistrict, by subdistrict id."""

    def sensitive_topic(
        self, *, category_id: str | None, texts: list[str | None]
    ) -> str | None:
        """The first watched topic the appeal's category or one of its texts is
        about, compared with full-width and half-width forms (and spaces) made
        alike; each text is searched alone, so a word split between the title and
        the content is no match."""
        folded = [fold(text) for text in texts if text]
        for name, topic in self.watched.items():
            if category_id is not None and category_id in topic.categories:
                return name
            if any(word and word in text for word in topic.words for text in folded):
                return name
        return None

    def community(self, subdistrict_id: str | None, written: str | None) -> str | None:
        """The official name of the community the citizen wrote, when it is one of
        the subdistrict's; None for anything else."""
        if subdistrict_id is None or written is None:
            return None
        name = strip_invisible(written).strip()
        return name if name in self.communities.get(subdistrict_id, ()) else None


def fold(text: str) -> str:
    """Text as compared with topic words: NFKC (full-width letters, digits and
    punctuation become half-width, compatibility ideographs the unified ones),
    case-folded, without invisible characters or spaces of any width."""
    text = unicodedata.normalize("NFKC", strip_invisible(text))
    return _SPACES.sub("", text.casefold())


def load_warning_rules(
    reference: ReferenceData, path: Path | None = None
) -> WarningRules:
    """The hotspot rules and watched topics of `reference` with the rule data at
    `path`, or the packaged default."""
    if path is None:
        text = (
            resources.files("minsheng_analytics.data")
            .joinpath("warning_rules.json")
            .read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    data = WarningRuleData.model_validate(json.loads(text))

    watched: dict[str, Topic] = {}
    for name in reference.watched_topics:
        topic = data.sensitive.get(name, Topic(words=[name]))
        watched[name] = Topic(
            words=[fold(word) for word in topic.words if fold(word)],
            categories=topic.categories,
        )
    return WarningRules(
        hotspots=[HotspotRule.model_validate(rule) for rule in reference.hotspot_rules],
        high_frequency=data.high_frequency,
        safety_hazard=data.safety_hazard,
        watched=watched,
        communities={
            subdistrict.id: frozenset(subdistrict.communities)
            for subdistrict in reference.subdistricts
        },
    )
