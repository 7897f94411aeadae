"""Masking personal data in appeal texts (Art. 41): every kind is masked, the kind
stays visible, and ordinary numbers are left alone."""

from __future__ import annotations

import pytest

from minsheng_common.redaction import (
    mask_name,
    redact,
    redact_identifier,
    redact_optional,
    redact_url,
)
from minsheng_intake import normalise


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("电话13800138000", "电话138****8000"),
        ("打19912345678找我", "打199****5678找我"),
        ("138 0013 8000", "138****8000"),
        ("138-0013-8000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("+86-13800138000", "138****8000"),
        ("+8613800138000", "138****8000"),
        ("0086 13800138000", "138****8000"),
        ("008613800138000", "138****8000"),
        ("8613800138000", "138****8000"),
        ("手机：13800138000。", "手机：138****8000。"),
    ],
)
def test_mainland_mobile_numbers_keep_their_first_three_and_last_four_digits(
    written: str, masked: str
) -> None:
    assert redact(written) == masked


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("座机0755-28339260", "座机0755-****9260"),
        ("0755 2833 9260", "0755-****9260"),
        ("075528339260", "0755-****9260"),
        ("(0755)28339260", "0755-****9260"),
        ("（0755）28339260", "0755-****9260"),
        ("010-62345678", "010-****5678"),
        ("020 8123 4567", "020-****4567"),
        ("+86 755 2833 9260", "0755-****9260"),
        ("+86-10-62345678", "010-****5678"),
        ("0086 (0)755 28339260", "0755-****9260"),
    ],
)
def test_landlines_with_an_area_code_keep_the_area_code_and_last_four_digits(
    written: str, masked: str
) -> None:
    assert redact(written) == masked


@pytest.mark.parametrize(
    "written",
    [
        "身份证号440306199001011234",
        "身份证号44030619900101123X",
        "身份证号44030619900101123x",
        "身份证号：440306 19900101 1234",
        "身份证号440306-19900101-1234",
    ],
)
def test_eighteen_digit_id_numbers_are_masked_whole(written: str) -> None:
    assert redact(written).removesuffix("[身份证号]") in ("身份证号", "身份证号：")


@pytest.mark.parametrize(
    "written",
    ["zhang.san@163.com", "ZhangSan+12345@example.com.cn", "13800138000@qq.com"],
)
def test_email_addresses_are_masked_whole_even_when_the_mailbox_is_a_number(
    written: str,
) -> None:
    assert redact(f"邮箱{written}，谢谢") == "邮箱[邮箱]，谢谢"


def test_the_citizens_own_name_keeps_only_its_first_character() -> None:
    text = "我是张三，张三的家门口路灯不亮"
    assert redact(text, name="张三") == "我是张*，张*的家门口路灯不亮"
    assert redact("欧阳娜娜反映", name="欧阳娜娜") == "欧***反映"


def test_a_latin_name_is_matched_as_whole_words_in_any_case() -> None:
    assert (
        redact("Li Lei wrote; li lei again; Li Leilani", name="Li Lei")
        == "L* *** wrote; L* *** again; Li Leilani"
    )


def test_a_one_character_name_is_not_masked_everywhere() -> None:
    assert redact("王府井大街", name="王") == "王府井大街"


def test_no_name_given_changes_no_words() -> None:
    assert redact("张三反映路灯不亮") == "张三反映路灯不亮"


@pytest.mark.parametrize(
    "ordinary",
    [
        "路灯编号SJ-0231不亮",
        "SJ-0231-0232两盏灯",
        "从2020/1/6开始",
        "2024-03-15 08:00-20:00",
        "2024年3月15日下午3点",
        "被罚款3000元",
        "工资拖欠15000元，共3个月",
        "12栋1203",
        "3栋2单元1502室",
        "粤B12345车辆乱停",
        "拨打12345热线、110、120",
        "第20200106号通知",
        "1.5米宽的坑",
        "温度38.5度，湿度85%",
        "0755",
        "区号0755",
        "1号线和14号线",
        "2026-12-04 10:00",
        "2026/12/04 10:00:30到场",
        "2020-2024年连续三年",
        "一五一十地说，三三两两的人",
        "二〇二〇年一月六日",
        "诉求编号MS20261204000123",
        "编号20261204999999",
        "拍摄于20261204093000",
        "appeal 550e8400-e29b-41d4-a716-446655440000 filed",
        "work order 12345678-1234-4123-8123-123456789012 signed",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ],
)
def test_ordinary_numbers_are_left_alone(ordinary: str) -> None:
    assert redact(ordinary) == ordinary


def test_full_width_digits_are_caught_once_normalised() -> None:
    assert redact(normalise.text("电话１３８００１３８０００")) == "电话138****8000"


def test_several_kinds_in_one_text() -> None:
    text = (
        "我叫李四，身份证440306199001011234，手机13800138000，"
        "座机0755-28339260，邮箱lisi@163.com，住12栋1203，路灯SJ-0231不亮。"
    )
    assert redact(text, name="李四") == (
        "我叫李*，身份证[身份证号]，手机138****8000，"
        "座机0755-****9260，邮箱[邮箱]，住12栋1203，路灯SJ-0231不亮。"
    )


def test_redacting_twice_changes_nothing_more() -> None:
    once = redact("张三 13800138000 lisi@163.com 440306199001011234", name="张三")
    assert redact(once, name="张三") == once


def test_an_absent_address_stays_absent() -> None:
    assert redact_optional(None, name="张三") is None
    assert (
        redact_optional("坑梓街道13800138000号", name=None) == "坑梓街道138****8000号"
    )


def test_mask_name() -> None:
    assert mask_name("张三") == "张*"
    assert mask_name("诸葛孔明") == "诸***"
    assert mask_name("Li Lei") == "L* ***"


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("电话138.0000.0109", "电话138****0109"),
        ("138/0000/0112", "138****0112"),
        ("138—0000—0113", "138****0113"),
        ("138_0000_0114", "138****0114"),
        ("138．0000．0115", "138****0115"),
        ("138／0000／0116", "138****0116"),
        ("138＿0000＿0117", "138****0117"),
        ("138 - 0000 - 0118", "138****0118"),
    ],
)
def test_mobile_numbers_with_any_separator_between_digits_are_masked(
    written: str, masked: str
) -> None:
    assert redact(written) == masked


@pytest.mark.parametrize(
    "written",
    [
        "电话一三八零零零零零一零九",
        "电话一三八〇〇〇〇〇一〇九",
        "电话幺三八零零零零零幺零九",
        "电话一三八 零零零零 零一零九",
        "电话壹叁捌零零零零零壹零玖",
    ],
)
def test_mobile_numbers_in_chinese_numerals_are_masked(written: str) -> None:
    assert redact(written) == "电话138****0109"


def test_digits_of_other_scripts_are_read_as_digits() -> None:
    assert redact("电话１３８００１３８０００") == "电话138****8000"
    assert "8001" not in redact("电话١٣٨٠٠١٣٨")


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("座机84000204", "座机840***04"),
        ("座机8400-0206", "座机840***06"),
        ("座机2833 9260。", "座机283***60。"),
        ("座机0755.8400.0209", "座机0755-****0209"),
        ("香港+852 9123 0301", "香港+852******01"),
        ("香港9123 0301", "香港912***01"),
        ("电话tel84000204", "电话tel840***04"),
    ],
)
def test_any_run_of_seven_or_more_digits_keeps_its_first_three_and_last_two(
    written: str, masked: str
) -> None:
    assert redact(written) == masked


def test_a_long_number_that_is_no_phone_is_masked_too_the_accepted_price() -> None:
    assert redact("订单号1390000000012345") == "订单号139***********45"


@pytest.mark.parametrize(
    "written",
    [
        "身份证号440307900101004",
        "身份证号4403-0719-9001-0100-61",
        "身份证号4403 0719 9001 0100 6X",
        "身份证号440307 900101 004",
        "身份证号４４０３０７９００１０１００４",
    ],
)
def test_fifteen_digit_and_grouped_id_numbers_are_masked_whole(written: str) -> None:
    assert redact(written) == "身份证号[身份证号]"


@pytest.mark.parametrize(
    "written",
    [
        "qianqi＠example．com",
        "qianqi＠ｅｘａｍｐｌｅ．ｃｏｍ",
        "x(at)example.com",
        "x[at]example.com",
        "x (AT) example (dot) com",
        "x（at）example.com",
        "qianqi@例子.中国",
        "x@[127.0.0.1]",
        "x@[IPv6:2001:db8::1]",
    ],
)
def test_emails_written_in_other_forms_are_masked_whole(written: str) -> None:
    assert redact(f"邮箱{written}，谢谢") == "邮箱[邮箱]，谢谢"


def test_redacting_the_new_kinds_twice_changes_nothing_more() -> None:
    once = redact(
        "84000204 +852 9123 0301 一三八零零零零零一零九 x(at)example.com "
        "4403-0719-9001-0100-61 138.0000.0109"
    )
    assert redact(once) == once
    for personal in ("0204", "9123", "零", "x(at)", "4403", "0000"):
        assert personal not in once


def test_a_channel_reference_is_masked_as_text_is() -> None:
    assert redact_identifier("wx-13800138000") == "wx-138****8000"
    assert redact_identifier("call-0001") == "call-0001"


def test_a_link_keeps_its_host_and_masks_numbers_and_emails_in_path_and_query() -> None:
    url = (
        "https://files.example.org/u/13800138000/84000204.jpg"
        "?owner=wxm%40163.com&n=1#from-84000204"
    )
    masked = redact_url(url)
    assert masked.startswith("https://files.example.org/u/138****8000/840***04.jpg?")
    assert "owner=%5B%E9%82%AE%E7%AE%B1%5D&n=1" in masked
    assert masked.endswith("#from-840***04")
    for personal in ("0013800", "0204", "wxm", "163.com"):
        assert personal not in masked


def test_a_link_without_personal_data_is_kept_exactly() -> None:
    url = "https://files.example.org/a%20b/photo-1.jpg?size=large&x=%E5%9B%BE"
    assert redact_url(url) == url


def test_a_link_drops_a_password_and_masks_a_user_name() -> None:
    assert (
        redact_url("https://13800138000:secret@files.example.org/a.jpg")
        == "https://138****8000@files.example.org/a.jpg"
    )
