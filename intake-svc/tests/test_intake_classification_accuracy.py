"""The category suggester measured on the labelled messages it did not learn from:
five-fold cross-validation with fixed folds, each fold suggested by a model trained
on the other four; a suggestion is right when it maps to the message's label (of
seven). The accuracy is printed (`pytest -s`) and must reach 0.75."""

from __future__ import annotations

import re

from minsheng_common.reference import load_reference
from minsheng_intake.classification import evaluate

LEAST_ACCURACY = 0.75


def test_five_fold_accuracy_on_the_labelled_messages_is_at_least_75_percent() -> None:
    evaluation = evaluate.cross_validate(load_reference().categories)

    print()
    print(evaluate.summary_line(evaluation))
    print(evaluate.report(evaluation, threshold=0.5))
    assert len(evaluation.fold_accuracies) == evaluate.FOLDS
    assert len(evaluation.outcomes) == 495
    assert len({outcome.message_id for outcome in evaluation.outcomes}) == 494
    assert re.fullmatch(
        r"category suggester accuracy \(5-fold\): 0\.\d\d",
        evaluate.summary_line(evaluation),
    )
    assert evaluation.accuracy >= LEAST_ACCURACY, evaluate.summary_line(evaluation)
