"""The category suggester (Art. 8): it suggests only our categories, with
confidences in [0, 1], learns only from files shipped in the package, and says
nothing for a text that says nothing."""

from __future__ import annotations

from importlib import resources

import pytest

from minsheng_common.reference import load_reference
from minsheng_intake.classification import corpus, mapping, suggester
from minsheng_intake.classification.suggester import CategorySuggester

REFERENCE = load_reference()


@pytest.fixture(scope="module")
def model() -> CategorySuggester:
    return suggester.trained(REFERENCE.categories)


@pytest.mark.parametrize(
    ("title", "content", "expected"),
    [
        (
            "公司拖欠工资三个月",
            "我在坑梓街道一家电子厂上班，公司已经拖欠我们三个月工资，社保也没有缴纳。",
            "labour-social-security",
        ),
        (
            "孩子上学学位申请",
            "孩子今年小学一年级入学，学位申请积分不够，学校说没有学位，怎么办？",
            "education",
        ),
        (
            "医院收费不合理",
            "在区人民医院看病，医生开了很多不必要的检查，医疗费用太高，看病难。",
            "health",
        ),
        (
            "出租车拒载",
            "晚上在坪山高铁站打出租车，司机拒载还乱收费。",
            "transport",
        ),
    ],
)
def test_a_clear_text_gets_its_category_with_a_confidence_in_range(
    model: CategorySuggester, title: str, content: str, expected: str
) -> None:
    suggestion = model.suggest(title, content)

    assert suggestion.category_id == expected
    assert 0.0 <= suggestion.confidence <= 1.0
    assert suggestion.ranked[0] == (expected, suggestion.confidence)


def test_every_suggestion_is_one_of_our_categories_ranked_best_first(
    model: CategorySuggester,
) -> None:
    suggestion = model.suggest(
        "小区门口污水横流", "秀新社区某小区门口下水道堵塞，污水横流，臭气熏天。"
    )

    assert set(model.categories) <= REFERENCE.category_ids
    assert suggestion.category_id in REFERENCE.category_ids
    assert len(suggestion.ranked) == suggester.RANKED
    confidences = [confidence for _category, confidence in suggestion.ranked]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= confidence <= 1.0 for confidence in confidences)
    assert sum(confidences) <= 1.0 + 1e-6


def test_the_vocabulary_teaches_categories_the_labelled_messages_do_not_cover(
    model: CategorySuggester,
) -> None:
    assert {"public-order", "civil-affairs", "city-sanitation", "safety"} <= set(
        model.categories
    )


@pytest.mark.parametrize(("title", "content"), [("", ""), ("  ", "\n\t"), ("…", "123")])
def test_a_text_that_says_nothing_gets_no_category(
    model: CategorySuggester, title: str, content: str
) -> None:
    suggestion = model.suggest(title, content)

    assert suggestion.category_id is None
    assert suggestion.confidence == 0.0
    assert suggestion.ranked == []


def test_the_same_files_always_give_the_same_model() -> None:
    first = suggester.trained(REFERENCE.categories)
    second = suggester.train_packaged(REFERENCE.categories)
    text = ("噪音扰民", "工地晚上十二点还在施工，噪音很大。")

    assert first.temperature == second.temperature
    assert first.suggest(*text) == second.suggest(*text)


def test_the_model_is_kept_in_memory_for_the_process() -> None:
    assert suggester.trained(REFERENCE.categories) is suggester.trained(
        REFERENCE.categories
    )


def test_masked_places_and_stand_ins_are_removed_before_learning() -> None:
    text = corpus.model_text(
        "A市A3区某小区停水", "K8县和M6州的[NAME]说\n\t  A类问题，电话[PHONE]"
    )

    assert text == "某小区停水。 和 的 说 A类问题，电话"


def test_the_training_data_is_shipped_in_the_package() -> None:
    data = resources.files("minsheng_intake").joinpath("data")

    assert data.joinpath(corpus.LABELLED_MESSAGES).is_file()
    assert data.joinpath(corpus.TAXONOMY).is_file()
    assert len(corpus.labelled_messages()) == 495


def test_each_of_the_seven_labels_trains_a_category_that_scores_as_itself() -> None:
    assert set(mapping.LABELS.values()) <= REFERENCE.category_ids
    assert set(mapping.SCORED_AS) <= REFERENCE.category_ids
    for label, category_id in mapping.LABELS.items():
        assert mapping.scored_as(category_id) == label
    assert mapping.scored_as("public-order") is None
    assert mapping.scored_as(None) is None


def test_the_deepest_taxonomy_entry_decides_what_a_branch_teaches() -> None:
    assert mapping.taxonomy_category("城乡建设", "安全生产", "安全隐患") == "safety"
    assert (
        mapping.taxonomy_category("城乡建设", "城市建设和市政管理", "环境卫生")
        == "city-sanitation"
    )
    assert (
        mapping.taxonomy_category("城乡建设", "城市建设和市政管理", "燃气供应")
        == "municipal-facilities"
    )
    assert (
        mapping.taxonomy_category("城乡建设", "住房保障与房地产", "物业管理")
        == "planning-construction"
    )
    assert mapping.taxonomy_category("政法", "社会治安", "治安") == "public-order"
    assert mapping.taxonomy_category("未知", "未知", "未知") is None


async def test_the_service_gets_the_same_model_off_the_event_loop() -> None:
    model = await suggester.ready(REFERENCE.categories)

    assert model is suggester.trained(REFERENCE.categories)


async def test_the_start_up_task_trains_the_model() -> None:
    await suggester.warm_up(REFERENCE.categories)(None)

    assert suggester.trained(REFERENCE.categories).categories
