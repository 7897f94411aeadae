"""Which of our categories an appeal belongs to (Art. 8), suggested from its title
and content with a confidence.

The model is a linear support-vector classifier over two kinds of features of the
text: jieba's words and character sequences of one to three characters, each
weighted by TF-IDF. It learns from the labelled messages shipped in the package,
each trained as the category of ours its label maps to (`mapping.LABELS`), and from
the words of the message board's category tree and of our categories' names
(`corpus.vocabulary`), which teach it categories the messages do not cover.

A confidence is the share the suggested category takes of a softmax over the
classifier's scores. The softmax's temperature is fitted at training so that the
confidences match how often suggestions were right on messages held out of
training (five folds): a suggestion given 0.8 is right about four times in five.

It is trained in memory from the packaged files, in a few seconds, once per
process (`trained`); nothing is cached on disk.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import (
    TfidfVectorizer,
)
from sklearn.model_selection import (
    StratifiedKFold,
)
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from minsheng_common.reference import Category
from minsheng_intake.classification import corpus, segmentation

log = logging.getLogger(__name__)

RANKED = 5
"""How many categories a suggestion ranks, best first."""

SEED = 2020
"""Fixes the folds that fit the temperature and the classifier's own shuffling,
so the same files always give the same model."""

# The classifier's regularisation and the character sequences it reads, chosen by
# the five-fold accuracy on the labelled messages (`evaluate`).
_C = 0.5
_CHARACTERS = (1, 3)
_FOLDS = 3
# The temperatures tried, and the one used if there are too few messages to fit.
_TEMPERATURES = np.geomspace(0.5, 50.0, 81)
_DEFAULT_TEMPERATURE = 6.0


@dataclass(frozen=True)
class Suggestion:
    """A category suggestion: the best category (None if the text says nothing the
    model knows), its confidence in [0, 1], and the best few with theirs."""

    category_id: str | None
    confidence: float
    ranked: list[tuple[str, float]] = field(default_factory=list)


NOTHING = Suggestion(category_id=None, confidence=0.0, ranked=[])


class CategorySuggester:
    """A trained model: `suggest(title, content)`."""

    def __init__(
        self, *, features: FeatureUnion, model: LinearSVC, temperature: float
    ) -> None:
        self._features = features
        self._model = model
        self._classes: tuple[str, ...] = tuple(str(name) for name in model.classes_)
        self.temperature = temperature

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories it may suggest."""
        return self._classes

    def suggest(self, title: str, content: str) -> Suggestion:
        """The category the appeal most likely belongs to, with a confidence."""
        text = corpus.model_text(title, content)
        if not segmentation.words(text):
            return NOTHING
        matrix = self._features.transform([text])
        if matrix.nnz == 0:
            return NOTHING

        probabilities = _softmax(_scores(self._model, matrix)[0] * self.temperature)
        order = np.argsort(-probabilities, kind="stable")[:RANKED]
        ranked = [
            (self._classes[index], round(float(probabilities[index]), 4))
            for index in order
        ]
        return Suggestion(
            category_id=ranked[0][0], confidence=ranked[0][1], ranked=ranked
        )


def train(
    examples: Sequence[corpus.Example], vocabulary: Sequence[corpus.Example]
) -> CategorySuggester:
    """A suggester learnt from labelled `examples` and `vocabulary` texts; the
    temperature of its confidences is fitted on the examples held out five times."""
    texts = [example.text for example in (*examples, *vocabulary)]
    segmentation.keep(texts)
    labels = np.array([example.category_id for example in (*examples, *vocabulary)])
    features = _features()
    matrix = features.fit_transform(texts)

    model = _classifier().fit(matrix, labels)
    temperature = _fit_temperature(matrix, labels, len(examples), model.classes_)
    log.info(
        "category suggester trained on %d messages and %d vocabulary texts "
        "(%d categories, temperature %.2f)",
        len(examples),
        len(vocabulary),
        len(model.classes_),
        temperature,
    )
    return CategorySuggester(features=features, model=model, temperature=temperature)


def train_packaged(categories: Sequence[Category]) -> CategorySuggester:
    """A suggester over `categories` learnt from the files shipped in the package."""
    known = {category.id for category in categories}
    examples = corpus.examples(corpus.labelled_messages(), known)
    return train(examples, corpus.vocabulary(categories))


_trained: dict[tuple[Any, ...], CategorySuggester] = {}
_training = threading.Lock()


def trained(categories: Sequence[Category]) -> CategorySuggester:
    """The suggester over `categories`, trained from the packaged files on first
    use and kept in memory for the process (a few seconds; blocking)."""
    key = tuple(
        (category.id, category.name, tuple(sorted(category.examples)))
        for category in categories
    )
    with _training:
        if key not in _trained:
            _trained[key] = train_packaged(categories)
        return _trained[key]


async def ready(categories: Sequence[Category]) -> CategorySuggester:
    """`trained`, off the event loop."""
    return await asyncio.to_thread(trained, categories)


def warm_up(categories: Sequence[Category]) -> Callable[[Any], Awaitable[None]]:
    """A background task for the service runtime that trains the suggester at
    start, so the first appeal does not wait for it."""

    async def train_suggester(_runtime: Any) -> None:
        await ready(categories)

    return train_suggester


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(analyzer=segmentation.analyse, sublinear_tf=True),
            ),
            (
                "characters",
                TfidfVectorizer(
                    analyzer="char",
                    ngram_range=_CHARACTERS,
                    sublinear_tf=True,
                    min_df=2,
                ),
            ),
        ]
    )


def _classifier() -> LinearSVC:
    return LinearSVC(C=_C, class_weight="balanced", max_iter=10_000, random_state=SEED)


def _fit_temperature(
    matrix: Any, labels: NDArray[Any], examples: int, classes: NDArray[Any]
) -> float:
    """The temperature whose softmax best predicts the held-out examples' true
    categories (least log loss). The vocabulary texts (after the first `examples`
    rows) stay in every training fold; only messages are held out."""
    held_labels = labels[:examples]
    _names, counts = np.unique(held_labels, return_counts=True)
    if examples == 0 or counts.min() < _FOLDS:
        return _DEFAULT_TEMPERATURE

    always = np.arange(examples, len(labels))
    folds = StratifiedKFold(n_splits=_FOLDS, shuffle=True, random_state=SEED)
    scores = np.zeros((examples, len(classes)))
    for train_rows, held_rows in folds.split(np.zeros(examples), held_labels):
        rows = np.concatenate([train_rows, always])
        fold_model = _classifier().fit(matrix[rows], labels[rows])
        held = _scores(fold_model, matrix[held_rows])
        columns = [list(classes).index(name) for name in fold_model.classes_]
        scores[np.ix_(held_rows, columns)] = held

    truth = np.array([list(classes).index(name) for name in held_labels])
    losses = [
        -np.log(_softmax(scores * temperature)[np.arange(examples), truth] + 1e-12)
        .mean()
        .item()
        for temperature in _TEMPERATURES
    ]
    return float(_TEMPERATURES[int(np.argmin(losses))])


def _scores(model: LinearSVC, matrix: Any) -> NDArray[np.float64]:
    """One score per class and row (a two-class model gives one: made two)."""
    scores: NDArray[np.float64] = np.asarray(model.decision_function(matrix))
    if scores.ndim == 1:
        scores = np.stack([-scores, scores], axis=1)
    return scores


def _softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    result: NDArray[np.float64] = shifted / shifted.sum(axis=-1, keepdims=True)
    return result
