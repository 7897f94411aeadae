"""Matching Chinese text against knowledge entries (Art. 43–44): segmentation, term
weights and a confidence between 0 and 1 that means what it says."""

from __future__ import annotations

import pytest

from minsheng_intake.knowledge import search

RESIDENCE = search.document(
    "如何办理居住证？",
    ("居住证", "办理", "材料"),
    "在坪山居住满半年的，可携带身份证、租赁合同到居住地社区工作站申领居住证。",
)
SCHOOL = search.document(
    "积分入学需要哪些条件？",
    ("积分入学", "学位申请"),
    "非深户籍子女申请积分入学，须父母一方持有效居住证并连续缴纳社保满一年。",
)
SOCIAL_CARD = search.document(
    "社保卡丢了怎么补办？",
    ("社保卡", "补办", "挂失"),
    "可在区人力资源局窗口或“深圳社保”小程序挂失并补办，工本费免收。",
)
NOISE = search.document(
    "夜间施工噪音扰民怎么办？",
    ("噪音", "夜间施工"),
    "夜间22点至次日7点禁止施工作业，可向市生态环境局坪山管理局投诉。",
)
ENTRIES = {
    "residence": RESIDENCE,
    "school": SCHOOL,
    "social_card": SOCIAL_CARD,
    "noise": NOISE,
}


def best_match(text: str) -> tuple[str, float]:
    asked = search.vector(search.terms(text))
    scored = {
        name: search.confidence(asked, document) for name, document in ENTRIES.items()
    }
    name = max(scored, key=lambda key: scored[key])
    return name, scored[name]


def test_terms_drop_the_words_of_asking_and_punctuation() -> None:
    assert search.terms("请问，居住证怎么办？") == ("居住", "居住证")


def test_terms_keep_latin_letters_and_digits_in_lower_case() -> None:
    assert "app" in search.terms("深圳社保APP登录不了")
    assert "12345" in search.terms("12345热线")


def test_a_rare_word_weighs_more_than_a_common_one() -> None:
    assert search.weight("居住证") > 2 * search.weight("工作")


def test_cosine_is_one_for_the_same_text_and_zero_for_nothing_in_common() -> None:
    same = search.vector(search.terms("社保卡丢了怎么补办"))
    other = search.vector(search.terms("公交车站什么时候开通"))

    assert search.cosine(same, same) == pytest.approx(1.0)
    assert search.cosine(same, other) == 0.0
    assert search.cosine({}, same) == 0.0


@pytest.mark.parametrize(
    ("asked", "entry"),
    [
        ("居住证怎么办？", "residence"),
        ("办居住证要多久", "residence"),
        ("请问小孩积分入学有什么条件要求", "school"),
        ("我的社保卡不见了，怎么补办", "social_card"),
        ("晚上工地夜间施工噪音太大怎么办", "noise"),
    ],
)
def test_a_paraphrased_question_matches_its_entry_above_the_threshold(
    asked: str, entry: str
) -> None:
    name, confidence = best_match(asked)

    assert name == entry
    assert confidence >= 0.6


@pytest.mark.parametrize(
    "asked",
    [
        "公交车站什么时候开通",
        "楼上漏水怎么办",
        "办理营业执照需要什么材料",
        "我想咨询一下医保报销比例",
        "谢谢，你好",
    ],
)
def test_an_unrelated_question_stays_well_below_the_threshold(asked: str) -> None:
    _name, confidence = best_match(asked)

    assert confidence < 0.3


def test_extra_words_lower_the_confidence_but_keep_the_match() -> None:
    plain, plain_confidence = best_match("居住证怎么办理")
    chatty, chatty_confidence = best_match(
        "你好，我刚来坪山工作，想问一下居住证在哪里办，要带什么材料"
    )

    assert plain == chatty == "residence"
    assert 0.3 < chatty_confidence < plain_confidence


def test_the_answer_counts_in_search_relevance_but_not_in_confidence() -> None:
    asked = search.vector(search.terms("居住证"))

    # The school entry mentions 居住证 only in its answer.
    assert search.confidence(asked, SCHOOL) == 0.0
    assert 0 < search.relevance(asked, SCHOOL) < search.relevance(asked, RESIDENCE)
    assert search.relevance(asked, RESIDENCE) <= 1.0
