"""Masking personal data in appeal texts (Art. 41): every kind is masked, the kind
stays visible, and ordinary numbers are left alone."""

from __future__ import annotations

import pytest

from minsheng_common.redaction import mask_name, redact, redact_optional
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
        "订单号1390000000012345",
        "温度38.5度，湿度85%",
        "0755",
        "区号0755",
        "1号线和14号线",
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
