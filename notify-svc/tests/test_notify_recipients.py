"""The offices official messages go to (Art. 9, 23, 39): addresses from the
reference data's contacts, marked as placeholders until the district fills them,
replaceable by a file of its own; routes and urgency from the reference too."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from minsheng_common.reference import load_reference
from minsheng_notify import recipients
from minsheng_notify.recipients import Directory


def test_notify_packaged_contacts_are_placeholders_for_every_unit() -> None:
    reference = load_reference()
    contacts = reference.contacts

    assert contacts.placeholder is True
    assert "PLACEHOLDER" in contacts.about
    assert set(contacts.units) == {unit.id for unit in reference.units}
    for addresses in contacts.units.values():
        assert addresses.oa is not None and "placeholder" in addresses.oa
        assert addresses.telephone is not None
        assert addresses.telephone.startswith("0755-0000-")
    for leader in contacts.leaders:
        assert leader.sms is not None and leader.sms.startswith("100-")


def test_notify_placeholder_contacts_are_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="minsheng_notify.recipients"):
        Directory.load(load_reference(), None)

    assert "placeholder addresses" in caplog.text


def test_notify_contacts_file_replaces_the_references(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "contacts.json"
    path.write_text(
        json.dumps(
            {
                "units": {"cgj": {"wechat_work": "cgj-duty", "oa": "oa://cgj"}},
                "leaders": [
                    {"id": "head", "title": "区长", "via": "sms", "sms": "13800000000"}
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )

    with caplog.at_level(logging.WARNING, logger="minsheng_notify.recipients"):
        directory = Directory.load(load_reference(), path)

    assert "placeholder" not in caplog.text
    assert directory.unit("cgj", recipients.URGING_ROUTES).contacts() == [
        ("gov_wechat_user", "cgj-duty"),
        ("oa", "oa://cgj"),
    ]
    assert directory.unit("swj", recipients.LETTER_ROUTES).addresses == ()
    (head,) = directory.leaders()
    assert head.contacts() == [("phone", "13800000000")]
    assert head.audience == "leader"


def test_notify_contacts_file_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "contacts.json"
    path.write_text('{"units": {"cgj": {"fax": "0755"}}}', encoding="utf-8")

    with pytest.raises(ValueError, match="fax"):
        Directory.load(load_reference(), path)


def test_notify_agencies_are_the_offices_warnings_are_routed_to() -> None:
    directory = Directory.load(load_reference(), None)

    assert directory.routed(recipients.LEVEL_1) == ["zfw", "yjglj", "xfj"]
    assert directory.routed("safety_hazard") == ["yjglj"]
    assert directory.unit("zfw", recipients.LETTER_ROUTES).audience == "agency"
    assert directory.unit("cgj", recipients.LETTER_ROUTES).audience == "unit"
    assert directory.telephone_letter("safety_hazard")
    assert not directory.telephone_letter("hotspot")
    assert directory.subdistrict_office("kengzi-jd") == "kengzi-jd"
    assert directory.subdistrict_office("nowhere") is None
    assert directory.center_name() == "区民生诉求服务中心"
