"""Reading a return-visit reply (回访, Art. 30) into ratings of speed, effect,
service and system (满意度, Art. 31): numbers or words, full-width forms too."""

from __future__ import annotations

import pytest

from minsheng_notify import satisfaction

ALL_4 = {"speed": 4, "effect": 4, "service": 4, "system": 4}


@pytest.mark.parametrize(
    ("reply", "ratings", "solved", "satisfied"),
    [
        # Numbered answers, as the survey asks for them.
        ("1满意 2满意 3满意 4满意", ALL_4, None, True),
        ("１满意 2 不满意…", {"speed": 4, "effect": 2}, None, False),
        (
            "1非常满意2满意3基本满意4很不满意",
            {"speed": 5, "effect": 4, "service": 3, "system": 1},
            None,
            False,
        ),
        (
            "１．满意　２．满意　３．一般　４．满意",
            {"speed": 4, "effect": 4, "service": 3, "system": 4},
            None,
            True,
        ),
        (
            "一、满意 二、一般 三、不满意 四、非常满意",
            {"speed": 4, "effect": 3, "service": 2, "system": 5},
            None,
            False,
        ),
        ("第1题：满意；第2题：不满意", {"speed": 4, "effect": 2}, None, False),
        (
            "1:5 2:4 3:5 4:3",
            {"speed": 5, "effect": 4, "service": 5, "system": 3},
            None,
            True,
        ),
        ("１－５，２－１", {"speed": 5, "effect": 1}, None, False),
        # Four bare scores in question order.
        ("5 4 5 5", {"speed": 5, "effect": 4, "service": 5, "system": 5}, None, True),
        (
            "５，４，５，５",
            {"speed": 5, "effect": 4, "service": 5, "system": 5},
            None,
            True,
        ),
        ("5455", {"speed": 5, "effect": 4, "service": 5, "system": 5}, None, True),
        (
            "2 2 3 3分",
            {"speed": 2, "effect": 2, "service": 3, "system": 3},
            None,
            False,
        ),
        # One word for the whole visit.
        ("满意", ALL_4, None, True),
        ("非常满意！", dict.fromkeys(satisfaction.QUESTIONS, 5), None, True),
        ("一般", dict.fromkeys(satisfaction.QUESTIONS, 3), None, True),
        ("不满意，问题没解决", dict.fromkeys(satisfaction.QUESTIONS, 2), False, False),
        ("很不满意", dict.fromkeys(satisfaction.QUESTIONS, 1), None, False),
        ("不太满意", dict.fromkeys(satisfaction.QUESTIONS, 2), None, False),
        (
            "问题已经解决了，非常满意",
            dict.fromkeys(satisfaction.QUESTIONS, 5),
            True,
            True,
        ),
        # Words about the problem decide the effect.
        (
            "满意，就是问题还没解决",
            {"speed": 4, "effect": 2, "service": 4, "system": 4},
            False,
            False,
        ),
        ("没解决", {"effect": 1}, False, False),
        ("还没有处理", {"effect": 1}, False, False),
    ],
)
def test_notify_art31_reply_reads_into_ratings(
    reply: str, ratings: dict[str, int], solved: bool | None, satisfied: bool
) -> None:
    answer = satisfaction.parse(reply)

    assert answer.ratings == ratings
    assert answer.solved is solved
    assert answer.satisfied is satisfied


@pytest.mark.parametrize("reply", ["谢谢", "好的", "？", "   ", "6 7 8 9", "收到"])
def test_notify_reply_that_rates_nothing_is_unreadable(reply: str) -> None:
    with pytest.raises(satisfaction.Unreadable):
        satisfaction.parse(reply)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("１满意　２不满意", "1满意 2不满意"),
        ("一般", "一般"),
        ("一、满意", "1、满意"),
        ("五分\u200b", "5分"),
    ],
)
def test_notify_reply_is_read_in_ascii_forms(text: str, normal: str) -> None:
    assert satisfaction.normalise(text) == normal
