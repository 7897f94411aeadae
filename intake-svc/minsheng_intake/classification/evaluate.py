"""How often the category suggester is right on messages it did not learn from:
five-fold cross-validation with fixed folds on the labelled messages, each fold
suggested by a model trained on the other four (and the vocabulary), each
suggestion scored as the label of the seven it maps to (`mapping.SCORED_AS`).

Run `python -m minsheng_intake.classification.evaluate` for the accuracy of each
fold, their mean, the confusion by category and the share a given confidence
threshold would send to the triage queue.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import (
    StratifiedKFold,
)

from minsheng_common.reference import Category, load_reference
from minsheng_intake.classification import corpus, mapping, suggester
from minsheng_intake.classification.rules import DEFAULT_RULES

FOLDS = 5
SEED = 2020
"""The folds' shuffle seed: the same folds on every run."""


@dataclass(frozen=True)
class Outcome:
    """One held-out message: its label, what the suggestion counts as, and the
    confidence."""

    message_id: str
    label: str
    scored_as: str | None
    category_id: str | None
    confidence: float

    @property
    def right(self) -> bool:
        return self.scored_as == self.label


@dataclass(frozen=True)
class Evaluation:
    fold_accuracies: list[float]
    outcomes: list[Outcome]

    @property
    def accuracy(self) -> float:
        """The mean of the folds' accuracies."""
        return float(np.mean(self.fold_accuracies))

    def confusion(self) -> Counter[tuple[str, str | None]]:
        """(label, what the suggestion counted as) → how many messages."""
        return Counter((outcome.label, outcome.scored_as) for outcome in self.outcomes)

    def queued_share(self, threshold: float) -> float:
        """The share of messages whose suggestion is below `threshold`."""
        below = sum(outcome.confidence < threshold for outcome in self.outcomes)
        return below / len(self.outcomes)

    def accuracy_at(self, threshold: float) -> float:
        """The accuracy of the suggestions at or above `threshold` (those taken
        without an operator)."""
        taken = [o for o in self.outcomes if o.confidence >= threshold]
        return sum(o.right for o in taken) / len(taken) if taken else 0.0


def cross_validate(
    categories: Sequence[Category], *, folds: int = FOLDS, seed: int = SEED
) -> Evaluation:
    """Train on all folds but one, suggest for the one left out, for each fold."""
    messages = corpus.labelled_messages()
    known = {category.id for category in categories}
    vocabulary = corpus.vocabulary(categories)
    labels = [message.label for message in messages]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)

    accuracies: list[float] = []
    outcomes: list[Outcome] = []
    for train_rows, held_rows in splitter.split(np.zeros(len(messages)), labels):
        model = suggester.train(
            corpus.examples((messages[row] for row in train_rows), known), vocabulary
        )
        held = [_outcome(model, messages[row]) for row in held_rows]
        accuracies.append(sum(outcome.right for outcome in held) / len(held))
        outcomes.extend(held)
    return Evaluation(fold_accuracies=accuracies, outcomes=outcomes)


def _outcome(
    model: suggester.CategorySuggester, message: corpus.LabelledMessage
) -> Outcome:
    suggestion = model.suggest(message.title, message.content)
    return Outcome(
        message_id=message.message_id,
        label=message.label,
        scored_as=mapping.scored_as(suggestion.category_id),
        category_id=suggestion.category_id,
        confidence=suggestion.confidence,
    )


def summary_line(evaluation: Evaluation) -> str:
    """The line the accuracy test and the command print."""
    return f"category suggester accuracy (5-fold): {evaluation.accuracy:.2f}"


def report(evaluation: Evaluation, threshold: float) -> str:
    """Per-fold and mean accuracy, the confusion by category, and the triage
    share at `threshold`, as text."""
    lines = [
        "fold accuracies: "
        + ", ".join(f"{accuracy:.3f}" for accuracy in evaluation.fold_accuracies),
        f"mean accuracy: {evaluation.accuracy:.4f}",
        summary_line(evaluation),
        "",
        f"at the confidence threshold {threshold:.2f}: "
        f"{evaluation.queued_share(threshold):.1%} would wait for an operator; "
        f"the others are right {evaluation.accuracy_at(threshold):.1%} of the time",
        "",
        "confusion (rows: label; columns: the suggestion counted as; – outside "
        "the seven):",
    ]
    seven = list(mapping.LABELS)
    columns: list[str | None] = [*seven, None]
    confusion = evaluation.confusion()
    width = max(_columns(label) for label in seven) + 2
    header = "".join(_right(_short(column), 8) for column in columns)
    lines.append(" " * width + header + _right("right", 8))
    for label in seven:
        counts = [confusion[(label, column)] for column in columns]
        total = sum(counts)
        right = confusion[(label, label)] / total if total else 0.0
        cells = "".join(f"{count:>8}" for count in counts)
        padding = " " * (width - _columns(label))
        lines.append(f"{label}{padding}{cells}{right:>8.0%}")
    return "\n".join(lines)


def _short(label: str | None) -> str:
    return "–" if label is None else label[:2]


def _right(text: str, columns: int) -> str:
    return " " * (columns - _columns(text)) + text


def _columns(text: str) -> int:
    """How many columns a text takes on a terminal (a Chinese character two)."""
    return sum(2 if ord(character) > 0x2E80 else 1 for character in text)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m minsheng_intake.classification.evaluate",
        description="Measure the category suggester on the labelled messages "
        "(five-fold cross-validation with fixed folds).",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_RULES.confidence_threshold,
        help="the confidence threshold whose triage share to report",
    )
    arguments = parser.parse_args(argv)
    evaluation = cross_validate(load_reference().categories)
    print(report(evaluation, arguments.threshold))


if __name__ == "__main__":
    main()
