"""Finding where an appeal is: which subdistrict (街道) and community (社区) of the
district its address or text names, from the gazetteer in the reference data."""

from __future__ import annotations

from dataclasses import dataclass

from minsheng_common.reference import ReferenceData


@dataclass(frozen=True)
class PlaceMatch:
    """What was found, and where: in the address field or in the text."""

    subdistrict_id: str | None = None
    community: str | None = None
    district_named: bool = False
    found_in: str | None = None

    @property
    def precise(self) -> bool:
        return self.subdistrict_id is not None


@dataclass(frozen=True)
class Gazetteer:
    """Names of the district's subdistricts and communities."""

    district_names: tuple[str, ...]
    subdistricts: dict[str, str]
    communities: dict[str, str]
    wider_names: tuple[str, ...] = ()
    """The city and province: masked with the district's names, never a road."""

    @classmethod
    def from_reference(cls, reference: ReferenceData) -> Gazetteer:
        district = reference.district
        return cls(
            district_names=(district.name, district.city + district.name),
            wider_names=(district.province, district.city),
            subdistricts={s.name: s.id for s in reference.subdistricts},
            communities={
                community: s.id
                for s in reference.subdistricts
                for community in s.communities
            },
        )

    def locate(self, *, address: str | None, text: str) -> PlaceMatch:
        """The first place named, looking at the address before the text."""
        for found_in, source in (("address", address or ""), ("text", text)):
            match = self._match(source, found_in)
            if match.precise:
                return match
        district_named = any(
            name in (address or "") or name in text for name in self.district_names
        )
        return PlaceMatch(district_named=district_named)

    def subdistrict_name(self, subdistrict_id: str | None) -> str | None:
        for name, known_id in self.subdistricts.items():
            if known_id == subdistrict_id:
                return name
        return None

    def mask_names(self, source: str, mask: str) -> str:
        """The source with every name of the gazetteer (and the city and province)
        replaced by `mask` characters, longest names first."""
        names = sorted(
            {
                *self.district_names,
                *self.wider_names,
                *self.subdistricts,
                *self.communities,
            },
            key=len,
            reverse=True,
        )
        for name in names:
            if name:
                source = source.replace(name, mask * len(name))
        return source

    def _match(self, source: str, found_in: str) -> PlaceMatch:
        # A community is more precise than a subdistrict; the earliest mention wins
        # among names of the same level.
        community = _earliest(source, self.communities)
        if community is not None:
            return PlaceMatch(
                subdistrict_id=self.communities[community],
                community=community,
                district_named=True,
                found_in=found_in,
            )
        subdistrict = _earliest(source, self.subdistricts)
        if subdistrict is not None:
            return PlaceMatch(
                subdistrict_id=self.subdistricts[subdistrict],
                district_named=True,
                found_in=found_in,
            )
        return PlaceMatch()


def _earliest(source: str, names: dict[str, str]) -> str | None:
    positions = [(source.find(name), name) for name in names if name in source]
    return min(positions)[1] if positions else None
