"""The texts the category suggester learns from, read from files shipped in the
package (`data/`, see its SOURCE.md): the labelled messages, and the words of the
message board's category tree and of our own categories as vocabulary.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from minsheng_common.reference import Category
from minsheng_intake.classification import mapping

LABELLED_MESSAGES = "labelled-messages.csv"
TAXONOMY = "taxonomy.csv"

# The publisher masked places as "A市", "A3区", "K8县", "M6州": the mask says
# nothing about a category, and real appeals name real places, so it is removed.
_MASKED_PLACE = re.compile(r"(?<![A-Za-z0-9])[A-Z]\d{0,2}(?:市|区|县|州)")
# The publisher's stand-ins for names, phone numbers and ID numbers.
_PLACEHOLDER = re.compile(r"\[(?:NAME|PHONE|ID)\]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class LabelledMessage:
    """One message of the labelled set, with its first-level label (of seven)."""

    message_id: str
    title: str
    content: str
    label: str


@dataclass(frozen=True)
class Example:
    """A text and the category of ours it teaches."""

    text: str
    category_id: str


def model_text(title: str, content: str) -> str:
    """The text the suggester reads: title and content, masked places, stand-ins
    and runs of white space removed. The same for training and suggesting."""
    joined = f"{title.strip()}。{content.strip()}" if title.strip() else content
    cleaned = _PLACEHOLDER.sub(" ", _MASKED_PLACE.sub(" ", joined))
    return _SPACE.sub(" ", cleaned).strip()


def labelled_messages() -> list[LabelledMessage]:
    """The 495 labelled messages as shipped (message 37042 twice, with two
    labels)."""
    return [
        LabelledMessage(
            message_id=row["message_id"],
            title=row["title"],
            content=row["detail"],
            label=row["category"].strip(),
        )
        for row in _rows(LABELLED_MESSAGES)
    ]


def examples(messages: Iterable[LabelledMessage], known: set[str]) -> list[Example]:
    """The messages as training examples of our categories (`mapping.LABELS`);
    a message whose category is not among `known` is left out."""
    found = []
    for message in messages:
        category_id = mapping.label_category(message.label)
        if category_id is not None and category_id in known:
            found.append(
                Example(model_text(message.title, message.content), category_id)
            )
    return found


def vocabulary(categories: Iterable[Category]) -> list[Example]:
    """Short texts that teach words rather than messages: each branch of the
    message board's category tree (its second and third level names) for the
    category of ours it maps to, and each of our categories' own name and example
    keywords (reference data)."""
    by_id = {category.id: category for category in categories}
    found = []
    for row in _rows(TAXONOMY):
        category_id = mapping.taxonomy_category(
            row["level1"].strip(), row["level2"].strip(), row["level3"].strip()
        )
        if category_id in by_id:
            words = f"{row['level2'].strip()} {row['level3'].strip()}"
            found.append(Example(words, category_id))
    for category in by_id.values():
        words = " ".join([category.name, *category.examples])
        found.append(Example(words, category.id))
    return found


def _rows(name: str) -> list[dict[str, str]]:
    text = (
        resources.files("minsheng_intake")
        .joinpath("data", name)
        .read_text(encoding="utf-8")
    )
    return list(csv.DictReader(io.StringIO(text)))
