"""Intake's rule parameters with the date each edition took effect: keyword lists of
the filing rules (Art. 11), of on-site verification and of grading (Art. 9), the
advice a citizen gets with each reason, and the thresholds of repeats, clusters,
classification and instant answers.

They are data, not code: a new edition of the regulation is a new entry in
`data/intake_rules.json` (or in the file `INTAKE_RULES_FILE` names), and an appeal
keeps the edition in force when it was received.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from minsheng_common.rules import AppealType
from minsheng_common.timeutil import SHANGHAI, as_utc

Keywords = list[str]


def _no_blank_keywords(values: Keywords) -> Keywords:
    cleaned = [value.strip() for value in values]
    if any(not value for value in cleaned):
        raise ValueError("a keyword list holds an empty keyword")
    return cleaned


class FilingRules(BaseModel):
    """What the filing requirements and the reasons for not filing look for."""

    model_config = ConfigDict(frozen=True)

    min_meaningful_chars: int = Field(
        ge=1, description="fewer letters, digits or Chinese characters is unclear"
    )
    min_distinct_chars: int = Field(
        ge=1, description="fewer different characters (啊啊啊啊) is unclear"
    )
    min_readable_share: float = Field(
        gt=0, le=1, description="below this share of readable characters: unclear"
    )
    garbled_markers: Keywords = Field(description="signs of a broken encoding")
    greetings: Keywords = Field(description="words that greet or thank, no request")
    exclamations: Keywords = Field(description="interjections, no request")
    request_markers: Keywords = Field(description="words that ask for something")
    problem_markers: Keywords = Field(description="words that report a problem")
    complaint_fillers: Keywords = Field(
        description="words a complaint uses besides its subject (投诉, 请处理…)"
    )
    min_subject_chars: int = Field(
        ge=1, description="a complaint names at least this much besides place"
    )
    unmarked_max_chars: int = Field(
        ge=0, description="a text this short needs a word that asks or reports"
    )
    law_litigation: Keywords = Field(description="涉法涉诉, Art. 11(3)4")
    outside_powers: Keywords = Field(description="outside the district's powers")
    other_territories: Keywords = Field(description="places outside the district")
    precise_address_required_for: list[AppealType] = Field(
        description="appeal types that need an address precise to the house "
        "number, building, lamp post or equivalent (Art. 11(2)3)"
    )

    _keywords = field_validator(
        "garbled_markers",
        "greetings",
        "exclamations",
        "request_markers",
        "problem_markers",
        "complaint_fillers",
        "law_litigation",
        "outside_powers",
        "other_territories",
    )(_no_blank_keywords)


class VerificationRules(BaseModel):
    """Which appeals a grid worker checks on site before they are filed (Art. 11)."""

    model_config = ConfigDict(frozen=True)

    appeal_types: list[AppealType]
    keywords: Keywords

    _keywords = field_validator("keywords")(_no_blank_keywords)


class GradingKeywords(BaseModel):
    """Words that make an appeal level 1 or level 2 (Art. 9); a level-1 word after
    a word of supposition in the same clause (一旦, 如果…) is a possible hazard,
    level 2."""

    model_config = ConfigDict(frozen=True)

    level_1: Keywords = Field(max_length=500)
    level_2: Keywords = Field(max_length=500)
    hypothetical_markers: Keywords = Field(default_factory=list, max_length=100)

    _keywords = field_validator("level_1", "level_2", "hypothetical_markers")(
        _no_blank_keywords
    )


class Thresholds(BaseModel):
    """Numbers of the repeat, cluster, classification and instant-answer rules.
    More keys may be added by a new edition; they are kept as given."""

    model_config = ConfigDict(frozen=True, extra="allow")

    repeat_working_days: int = Field(ge=1, description="Art. 11(3)5")
    same_problem_threshold: float = Field(
        ge=0, le=1, description="two problems this alike are the same (Art. 11(3)5)"
    )
    cluster_window_hours: int = Field(ge=1, description="Art. 18, 23")
    cluster_threshold: float = Field(
        ge=0, le=1, description="a report this alike joins an event cluster (Art. 18)"
    )
    concept_weight: float = Field(
        ge=0, le=1, description="weight of the problem words in the text similarity"
    )
    unknown_agreement: float = Field(
        ge=0, le=1, description="agreement assumed on a side a text leaves unsaid"
    )
    place_factor_precise: float = Field(ge=0, le=1)
    place_factor_community: float = Field(ge=0, le=1)
    place_factor_subdistrict: float = Field(ge=0, le=1)
    category_confidence_threshold: float = Field(
        ge=0, le=1, description="below it the appeal waits in triage (Art. 8)"
    )
    instant_answer_threshold: float = Field(ge=0, le=1, description="Art. 44")
    one_time_answer_target: float = Field(ge=0, le=1, description="Art. 43")
    reply_template_after_closures: int = Field(
        default=3,
        ge=1,
        description="a unit that closed this many orders of one category is asked "
        "for reply templates (Art. 43)",
    )


class AppealTypeWords(BaseModel):
    """The words that tell a consultation, a complaint and a suggestion apart when
    the channel does not say (Art. 2); see `classification.appeal_type`."""

    model_config = ConfigDict(frozen=True)

    suggestion_markers: Keywords
    wish_opener: str = Field(min_length=1, max_length=1)
    wish_closer: str = Field(min_length=1, max_length=4)
    not_wishes: Keywords
    asking_words: Keywords
    question_words: Keywords
    complaint_markers: Keywords

    _keywords = field_validator(
        "suggestion_markers",
        "not_wishes",
        "asking_words",
        "question_words",
        "complaint_markers",
    )(_no_blank_keywords)


class ProblemConcept(BaseModel):
    """A thing an appeal is about (路灯) or a trouble (不亮), the words that name it
    and the concepts it implies; see `sameness.vocabulary`."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["thing", "trouble"]
    words: Keywords = Field(min_length=1)
    implies: Keywords = Field(default_factory=list)

    _keywords = field_validator("words", "implies")(_no_blank_keywords)


class IntakeRuleEdition(BaseModel):
    """One edition of intake's rules."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=40)
    title: str = ""
    effective_from: date
    filing: FilingRules
    verification: VerificationRules
    grading: GradingKeywords
    advice: dict[str, str] = Field(
        description="reason code → where the citizen can turn instead (Chinese)"
    )
    thresholds: Thresholds
    appeal_type: AppealTypeWords
    problem_vocabulary: dict[str, ProblemConcept] = Field(
        description="the problem words of repeats and clusters (Art. 11(3)5, 18)"
    )
    problem_words_ignored: Keywords = Field(
        default_factory=list,
        description="words that contain a problem word but name none (坑梓, 灯光秀)",
    )

    def advice_for(self, reason: str) -> str | None:
        return self.advice.get(reason)


class IntakeRuleBook(BaseModel):
    """Every edition, oldest first."""

    editions: list[IntakeRuleEdition]

    @field_validator("editions")
    @classmethod
    def _sorted_and_unique(
        cls, editions: list[IntakeRuleEdition]
    ) -> list[IntakeRuleEdition]:
        if not editions:
            raise ValueError("intake's rule book needs at least one edition")
        ordered = sorted(editions, key=lambda edition: edition.effective_from)
        dates = [edition.effective_from for edition in ordered]
        if len(set(dates)) != len(dates):
            raise ValueError("two editions take effect on the same day")
        ids = [edition.id for edition in ordered]
        if len(set(ids)) != len(ids):
            raise ValueError("two editions have the same id")
        return ordered

    def in_force(self, at: datetime) -> IntakeRuleEdition:
        """The edition in force at `at` (local date in Asia/Shanghai); before the
        first edition, the first one."""
        day = as_utc(at).astimezone(SHANGHAI).date()
        current = [e for e in self.editions if e.effective_from <= day]
        return current[-1] if current else self.editions[0]

    def by_id(self, edition_id: str) -> IntakeRuleEdition:
        for edition in self.editions:
            if edition.id == edition_id:
                return edition
        raise KeyError(edition_id)


def load_intake_rules(path: Path | None = None) -> IntakeRuleBook:
    """Read intake's rule book from `path`, or the packaged default."""
    if path is None:
        text = (
            resources.files("minsheng_intake.data")
            .joinpath("intake_rules.json")
            .read_text(encoding="utf-8")
        )
    else:
        text = path.read_text(encoding="utf-8")
    return IntakeRuleBook.model_validate(json.loads(text))
