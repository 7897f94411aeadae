"""The published table between our categories (Art. 8, reference data ids) and the
categories of the packaged training data.

The labelled messages (`data/labelled-messages.csv`) carry one of seven first-level
labels of a provincial message board; the board's three-level tree
(`data/taxonomy.csv`) has fifteen. Three tables follow:

- `LABELS`: each of the seven labels → the one category of ours its messages train.
- `SCORED_AS`: each category of ours → the one of the seven it counts as when the
  suggester is measured on the labelled messages; a category outside the seven
  (public order, civil affairs…) counts as wrong there.
- `TAXONOMY_LEVEL_1`, `TAXONOMY_LEVEL_2`, `TAXONOMY_LEVEL_3`: each branch of the
  tree → the category of ours its words teach. The deepest entry that names a
  branch wins, so 城乡建设 / 安全生产 teaches `safety`, not `planning-construction`.

| label          | trains                 | our categories scored as it             |
| -------------- | ---------------------- | --------------------------------------- |
| 城乡建设       | planning-construction  | planning-construction, city-sanitation, |
|                |                        | municipal-facilities, safety            |
| 环境保护       | environment-water      | environment-water                       |
| 交通运输       | transport              | transport                               |
| 教育文体       | education              | education, culture-sport-tourism        |
| 劳动和社会保障 | labour-social-security | labour-social-security                  |
| 商贸旅游       | market-regulation      | market-regulation                       |
| 卫生计生       | health                 | health                                  |
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "城乡建设": "planning-construction",
        "环境保护": "environment-water",
        "交通运输": "transport",
        "教育文体": "education",
        "劳动和社会保障": "labour-social-security",
        "商贸旅游": "market-regulation",
        "卫生计生": "health",
    }
)
"""A labelled message's first-level label → the category of ours it trains."""

SCORED_AS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "planning-construction": "城乡建设",
        "city-sanitation": "城乡建设",
        "municipal-facilities": "城乡建设",
        "safety": "城乡建设",
        "environment-water": "环境保护",
        "transport": "交通运输",
        "education": "教育文体",
        "culture-sport-tourism": "教育文体",
        "labour-social-security": "劳动和社会保障",
        "market-regulation": "商贸旅游",
        "health": "卫生计生",
    }
)
"""A category of ours → the label of the seven it counts as when measured."""

TAXONOMY_LEVEL_1: Final[Mapping[str, str]] = MappingProxyType(
    {
        **LABELS,
        "国土资源": "planning-construction",
        "政法": "public-order",
        "民政": "civil-affairs",
        "经济管理": "economy",
        "科技与信息产业": "economy",
        "纪检监察": "discipline",
        "党务政务": "party-mass-united-front",
        "农村农业": "rural",
    }
)
"""A first-level branch of the tree → the category its words teach."""

TAXONOMY_LEVEL_2: Final[Mapping[tuple[str, str], str]] = MappingProxyType(
    {
        ("城乡建设", "安全生产"): "safety",
        ("经济管理", "安全生产"): "safety",
        ("城乡建设", "城市建设和市政管理"): "municipal-facilities",
        ("教育文体", "文化"): "culture-sport-tourism",
        ("教育文体", "体育"): "culture-sport-tourism",
        ("教育文体", "文物管理"): "culture-sport-tourism",
        ("商贸旅游", "旅游管理"): "culture-sport-tourism",
        ("卫生计生", "食品药品监管"): "market-regulation",
        ("政法", "交通管理"): "transport",
    }
)
"""A second-level branch (first, second) → the category its words teach."""

TAXONOMY_LEVEL_3: Final[Mapping[str, str]] = MappingProxyType(
    {
        "环境卫生": "city-sanitation",
        "园林绿化环卫": "city-sanitation",
        "园林绿化": "city-sanitation",
        "城管执法": "city-sanitation",
    }
)
"""A third-level leaf → the category its words teach (leaf names are unique)."""


def label_category(label: str) -> str | None:
    """The category of ours a labelled message trains; None for a label outside
    the seven."""
    return LABELS.get(label.strip())


def scored_as(category_id: str | None) -> str | None:
    """The label of the seven a suggested category counts as; None for a category
    outside them (it counts as wrong)."""
    if category_id is None:
        return None
    return SCORED_AS.get(category_id)


def taxonomy_category(level_1: str, level_2: str, level_3: str) -> str | None:
    """The category of ours a branch of the tree teaches: the deepest entry wins."""
    return (
        TAXONOMY_LEVEL_3.get(level_3)
        or TAXONOMY_LEVEL_2.get((level_1, level_2))
        or TAXONOMY_LEVEL_1.get(level_1)
    )
