"""The services a 311 client may file under, and what it may say about each: the
district's categories (Art. 8) from the reference data, each with the same
attributes (the appeal's type, a title, the subdistrict and community, consent to
disclose the contact), and the handling time limits (Art. 15) as information.

A service is `batch` in GeoReport v2's terms: POST answers with a token, and with
the service_request_id too when intake decides within the wait.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Final

from minsheng_common.reference import Category, ReferenceData
from minsheng_common.rules import RuleBook
from minsheng_open311.formats import Entries, Value

TYPE: Final = "type"
TITLE: Final = "title"
SUBDISTRICT: Final = "subdistrict"
COMMUNITY: Final = "community"
CONSENT: Final = "consent_to_disclose"
TIME_LIMITS: Final = "time_limits"

TYPE_NAMES: Final[Mapping[str, str]] = {
    "complaint": "投诉",
    "consultation": "咨询",
    "suggestion": "建议",
}
CONSENT_VALUES: Final[Mapping[str, str]] = {"true": "同意", "false": "不同意"}


@dataclass(frozen=True)
class Attribute:
    """One attribute of a service definition; `values` for a list, key → name."""

    code: str
    datatype: str
    description: str
    order: int
    variable: bool = True
    required: bool = False
    values: Mapping[str, str] | None = None

    def as_value(self) -> Mapping[str, Value]:
        values = None
        if self.values is not None:
            values = Entries(
                "value",
                [{"key": key, "name": name} for key, name in self.values.items()],
            )
        return {
            "variable": self.variable,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": None,
            "order": self.order,
            "description": self.description,
            "values": values,
        }


@dataclass(frozen=True)
class Catalogue:
    """The reference data seen as GeoReport v2 services."""

    reference: ReferenceData
    rule_book: RuleBook

    def category(self, service_code: str) -> Category | None:
        if service_code not in self.reference.category_ids:
            return None
        return self.reference.category(service_code)

    def services(self) -> Entries:
        return Entries(
            "service", [self._service(category) for category in self._categories]
        )

    def definition(self, category: Category, *, at: datetime) -> Mapping[str, Value]:
        attributes = [*self.attributes, self._time_limits(at)]
        return {
            "service_code": category.id,
            "attributes": Entries(
                "attribute", [attribute.as_value() for attribute in attributes]
            ),
        }

    @cached_property
    def attributes(self) -> tuple[Attribute, ...]:
        """The attributes a client may submit (attribute[code]=key)."""
        return (
            Attribute(
                code=TYPE,
                datatype="singlevaluelist",
                description="诉求类型；不填则由受理方按内容判断",
                order=1,
                values=dict(TYPE_NAMES),
            ),
            Attribute(
                code=TITLE,
                datatype="string",
                description="标题；不填则取描述的开头",
                order=2,
            ),
            Attribute(
                code=SUBDISTRICT,
                datatype="singlevaluelist",
                description="事发街道",
                order=3,
                values={s.id: s.name for s in self.reference.subdistricts},
            ),
            Attribute(
                code=COMMUNITY,
                datatype="singlevaluelist",
                description="事发社区",
                order=4,
                values={name: name for name in self._communities},
            ),
            Attribute(
                code=CONSENT,
                datatype="singlevaluelist",
                description="是否同意承办单位查看您的联系方式和姓名",
                order=5,
                values=dict(CONSENT_VALUES),
            ),
        )

    def by_code(self) -> Mapping[str, Attribute]:
        return {attribute.code: attribute for attribute in self.attributes}

    def subdistrict_name(self, subdistrict_id: str) -> str:
        return self.reference.subdistrict(subdistrict_id).name

    def unit_name(self, unit_id: str) -> str:
        """A unit's public name; an id the reference data does not know is not
        shown as such."""
        return self._unit_names.get(unit_id, "承办单位")

    @cached_property
    def center_name(self) -> str:
        for unit in self.reference.units:
            if unit.kind == "center":
                return unit.name
        return "民生诉求服务中心"

    @cached_property
    def jurisdiction_ids(self) -> frozenset[str]:
        """The district's own id and its administrative code."""
        district = self.reference.district
        return frozenset({district.id, district.admin_code})

    @cached_property
    def _categories(self) -> tuple[Category, ...]:
        return tuple(self.reference.categories)

    @cached_property
    def _communities(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for subdistrict in self.reference.subdistricts:
            seen.update(dict.fromkeys(subdistrict.communities))
        return tuple(seen)

    @cached_property
    def _unit_names(self) -> Mapping[str, str]:
        return {unit.id: unit.name for unit in self.reference.units}

    def _service(self, category: Category) -> Mapping[str, Value]:
        keywords = ",".join(category.examples) or None
        return {
            "service_code": category.id,
            "service_name": category.name,
            "description": self._description(category),
            "metadata": True,
            "type": "batch",
            "keywords": keywords,
            "group": None,
        }

    def _description(self, category: Category) -> str:
        if category.territorial or category.default_unit is None:
            return f"{category.name}类诉求，一般由事发地街道办事处办理"
        return (
            f"{category.name}类诉求，一般由{self.unit_name(category.default_unit)}办理"
        )

    def _time_limits(self, at: datetime) -> Attribute:
        """The handling time limits in force (Art. 15): information only, not a
        value to submit."""
        edition = self.rule_book.in_force(at)
        days = "、".join(
            f"{TYPE_NAMES[kind]}{edition.handling_days(kind)}个工作日"
            for kind in ("consultation", "suggestion", "complaint")
        )
        return Attribute(
            code=TIME_LIMITS,
            datatype="string",
            description=f"办理时限（第十五条）：{days}，自派单之日起计算",
            order=6,
            variable=False,
        )
