"""The parameters of classification, sameness and the knowledge base, built from the
intake rule edition in force when an appeal was received (`data/intake_rules.json`),
so a new edition of the regulation changes them without code.

Each edition's parameters are built once and kept while the edition is in use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from minsheng_intake.classification.rules import ClassificationRules, TypeRules
from minsheng_intake.intake_rules import IntakeRuleEdition
from minsheng_intake.knowledge.service import KnowledgeParams
from minsheng_intake.sameness.params import SamenessParams, params_from
from minsheng_intake.sameness.vocabulary import Vocabulary


@dataclass(frozen=True)
class EditionParams:
    """What one edition says to the helpers of filing."""

    edition_id: str
    type_rules: TypeRules
    """How the type is read from the text when the channel does not say."""
    classification: ClassificationRules
    """When a category suggestion is trusted."""
    sameness: SamenessParams
    """Thresholds and windows of repeats and clusters."""
    vocabulary: Vocabulary
    """The problem words repeats and clusters compare."""
    knowledge: KnowledgeParams
    """The instant-answer threshold and the one-time answer target."""


def build(edition: IntakeRuleEdition) -> EditionParams:
    """The helpers' parameters of one edition."""
    thresholds = edition.thresholds
    words = edition.appeal_type
    return EditionParams(
        edition_id=edition.id,
        type_rules=TypeRules(
            suggestion_markers=tuple(words.suggestion_markers),
            wish_opener=words.wish_opener,
            wish_closer=words.wish_closer,
            not_wishes=tuple(words.not_wishes),
            asking_words=tuple(words.asking_words),
            question_words=tuple(words.question_words),
            complaint_markers=tuple(words.complaint_markers),
        ),
        classification=ClassificationRules(
            confidence_threshold=thresholds.category_confidence_threshold
        ),
        sameness=params_from(thresholds.model_dump()),
        vocabulary=Vocabulary.from_data(
            {
                name: concept.model_dump()
                for name, concept in edition.problem_vocabulary.items()
            },
            edition.problem_words_ignored,
        ),
        knowledge=KnowledgeParams(
            instant_answer_threshold=thresholds.instant_answer_threshold,
            one_time_answer_target=thresholds.one_time_answer_target,
        ),
    )


_lock = threading.Lock()
# By the edition object: (the edition, its parameters). The edition is kept so its
# identity cannot be reused by another object while the entry lives.
_built: dict[int, tuple[IntakeRuleEdition, EditionParams]] = {}


def of(edition: IntakeRuleEdition) -> EditionParams:
    """The parameters of `edition`, built on first use."""
    held = _built.get(id(edition))
    if held is not None and held[0] is edition:
        return held[1]
    params = build(edition)
    with _lock:
        _built[id(edition)] = (edition, params)
    return params
