"""Whether two appeals are about the same problem: what is wrong with what (the
text) at which place, as one figure between 0 and 1.

- Place first: different subdistricts, communities, estates, buildings, roads or lamp
  posts are different problems (0). Otherwise the place keeps the text's figure
  whole when the spot is known to agree (same lamp post, estate, or road and number),
  a little less when only the community or only the subdistrict agrees.
- Text: the problem words (`vocabulary`) say what it is about and what is wrong;
  both must agree (路灯不亮 and 路灯坏了晚上很黑 do; 工地施工扬尘 and 工地施工噪音 do
  not). The cosine of jieba words and character pairs adds the plain overlap of the
  texts, and is the whole figure when a text names no problem word at all.

Texts are redacted before anything is read from them, so a phone number never
becomes a word that makes two appeals alike.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from minsheng_common import redaction
from minsheng_intake.models import Appeal
from minsheng_intake.sameness import places, segmentation
from minsheng_intake.sameness.params import DEFAULTS, SamenessParams
from minsheng_intake.sameness.places import Place
from minsheng_intake.sameness.vocabulary import DEFAULT_VOCABULARY, Vocabulary

# Parts whose value is a name worth taking out of the text (numbers are not words).
_NAMED_PARTS = (
    places.ESTATE,
    places.LANDMARK,
    places.ROAD,
    places.JUNCTION,
    places.LAMP_POST,
)


@dataclass(frozen=True)
class Problem:
    """An appeal as compared: its words, character pairs, the things it is about and
    the troubles it names, and its place."""

    tokens: tuple[str, ...]
    pairs: tuple[str, ...]
    things: frozenset[str]
    troubles: frozenset[str]
    place: Place


def describe(
    *,
    title: str,
    content: str,
    subdistrict_id: str | None,
    community: str | None,
    address: str | None = None,
    parts: Mapping[str, str] | None = None,
    place_names: Iterable[str] = (),
    name: str | None = None,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> Problem:
    """The problem an appeal states. `parts` are the address parser's (they win over
    what is read from the address or text); `place_names` the gazetteer's names, to
    take out of the text; `name` the citizen's, masked with the rest."""
    text = redaction.redact(f"{title}\n{content}", name=name)
    address_text = redaction.redact_optional(address, name=name) or ""
    found = places.parts_in(address_text) or places.parts_in(text)
    merged = {**found, **(parts or {})}
    names = [
        *place_names,
        *(merged[key] for key in _NAMED_PARTS if len(merged.get(key, "")) >= 2),
        *(value for value in (community, address_text) if value),
    ]
    stripped = places.without_places(text, names)
    concepts = vocabulary.concepts_in(stripped)
    return Problem(
        tokens=segmentation.tokens(stripped),
        pairs=segmentation.pairs(stripped),
        things=vocabulary.of_kind(concepts, "thing"),
        troubles=vocabulary.of_kind(concepts, "trouble"),
        place=Place(subdistrict_id=subdistrict_id, community=community, parts=merged),
    )


def problem_of(
    appeal: Appeal,
    *,
    parts: Mapping[str, str] | None = None,
    place_names: Iterable[str] = (),
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
) -> Problem:
    """The problem a stored appeal states; its address parts as the parser kept
    them, unless `parts` are given."""
    if parts is None:
        parts = places.parts_from_parsed(appeal.address_parts)
    return describe(
        title=appeal.title,
        content=appeal.content,
        subdistrict_id=appeal.subdistrict_id,
        community=appeal.community,
        address=appeal.address,
        parts=parts,
        place_names=place_names,
        vocabulary=vocabulary,
    )


def similarity(a: Problem, b: Problem, params: SamenessParams = DEFAULTS) -> float:
    """How alike two problems are, 0 to 1 (see the module's description)."""
    place = places.agreement(
        a.place,
        b.place,
        precise=params.place_factor_precise,
        community=params.place_factor_community,
        subdistrict=params.place_factor_subdistrict,
    )
    if place == 0.0:
        return 0.0
    return round(text_similarity(a, b, params) * place, 4)


def is_same_problem(a: Problem, b: Problem, params: SamenessParams = DEFAULTS) -> bool:
    return similarity(a, b, params) >= params.same_problem_threshold


def text_similarity(a: Problem, b: Problem, params: SamenessParams = DEFAULTS) -> float:
    """How alike the two texts are, whatever their places."""
    lexical = _cosine(
        Counter(a.tokens) + Counter(f"·{pair}" for pair in a.pairs),
        Counter(b.tokens) + Counter(f"·{pair}" for pair in b.pairs),
    )
    concept = _concept_agreement(a, b, params.unknown_agreement)
    if concept is None:
        return lexical
    weight = params.concept_weight
    return weight * concept + (1 - weight) * lexical


def _concept_agreement(a: Problem, b: Problem, unknown: float) -> float | None:
    """Agreement on what (things) times agreement on what is wrong (troubles); a
    side one text leaves unsaid counts as `unknown`. None when a text names no
    problem word at all."""
    if not (a.things or a.troubles) or not (b.things or b.troubles):
        return None
    return _overlap(a.things, b.things, unknown) * _overlap(
        a.troubles, b.troubles, unknown
    )


def _overlap(left: frozenset[str], right: frozenset[str], unknown: float) -> float:
    """The share of the smaller set found in the other: a complaint naming two
    troubles still repeats one that named one of them."""
    if not left or not right:
        return unknown
    return len(left & right) / min(len(left), len(right))


def _cosine(left: Counter[str], right: Counter[str]) -> float:
    dot = sum(count * right[key] for key, count in left.items() if key in right)
    if dot == 0:
        return 0.0
    norm = math.sqrt(sum(v * v for v in left.values())) * math.sqrt(
        sum(v * v for v in right.values())
    )
    return dot / norm
