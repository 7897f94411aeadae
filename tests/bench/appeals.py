"""Real-looking appeals for the dispatch benchmark, built from the project's own test
data.

The problems are the ones the intake, dispatch and end-to-end tests file (a rubbish
bin nobody empties, a dark street lamp, a blocked sewer, cars parked across an
entrance…), each with the category and type a hotline operator gives it. Each appeal
places its problem at a house number on a road of one of Pingshan's communities, as
the filing rules require of a complaint (Art. 11(2)3), carries an evident request
(Art. 11(3)3) and comes from its own valid mobile number (Art. 11(2)1), so no appeal
repeats another (Art. 11(3)5). None names a hazard that grades it level 1 or 2
(Art. 9) or needs a grid worker's check first (Art. 11): these are the ordinary
appeals Art. 12 expects dispatched within the hour.

Each appeal is also its own event: its road is one no other appeal of the run names
(for the first `DISTINCT_ROADS` appeals). Intake holds two reports on different
roads for different problems whatever their words, so it opens an event cluster for
each appeal, and dispatch, which merges orders of one cluster and channel as it
dispatches them (Art. 18), merges none: a thousand appeals make a thousand orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from minsheng_common.reference import ReferenceData

AppealType = Literal["consultation", "complaint", "suggestion"]
CHANNEL = "hotline-12345"


@dataclass(frozen=True)
class Problem:
    """What an appeal is about; `content` names the place as `{place}`."""

    category: str
    kind: AppealType
    title: str
    content: str


PROBLEMS: tuple[Problem, ...] = (
    Problem(
        "city-sanitation",
        "complaint",
        "垃圾桶满了没人清理",
        "{place}门口垃圾桶三天没人清理，气味很大，请尽快清运。",
    ),
    Problem(
        "city-sanitation",
        "complaint",
        "垃圾未清运",
        "{place}门口垃圾三天未清运，苍蝇很多，请环卫部门处理。",
    ),
    Problem(
        "city-sanitation",
        "complaint",
        "垃圾分类投放时间太短",
        "{place}垃圾分类投放时间太短，垃圾堆在门口，希望延长投放时间。",
    ),
    Problem(
        "municipal-facilities",
        "complaint",
        "路灯不亮",
        "{place}门口的路灯不亮，晚上走路很黑，请尽快维修。",
    ),
    Problem(
        "municipal-facilities",
        "complaint",
        "树枝折断挂在电线上",
        "{place}门口大树树枝折断挂在电线上，请派人清理。",
    ),
    Problem(
        "environment-water",
        "complaint",
        "下水道堵塞",
        "{place}门口下水道堵塞，污水漫到人行道上，请尽快疏通。",
    ),
    Problem(
        "transport",
        "complaint",
        "车辆违停堵住出入口",
        "{place}门口经常有车辆违停，堵住小区出入口，请交警处理。",
    ),
    Problem(
        "transport",
        "complaint",
        "路口信号灯不亮",
        "{place}前面路口的信号灯两天不亮，过马路不方便，请尽快维修。",
    ),
    Problem(
        "transport",
        "consultation",
        "公交站什么时候恢复",
        "请问{place}旁边的公交站什么时候恢复？",
    ),
    Problem(
        "transport",
        "suggestion",
        "建议增设公交站台",
        "建议在{place}门口增设一个公交站台，方便居民出行。",
    ),
    Problem(
        "market-regulation",
        "complaint",
        "便利店出售过期食品",
        "{place}的便利店出售过期面包，请市场监管部门查处。",
    ),
    Problem(
        "education",
        "consultation",
        "小学学位申请时间",
        "请问{place}附近的小学今年什么时候开始学位申请？",
    ),
)

# Road names are two characters and a kind of road, like 锦绣路 or 兴华大道. All have
# the same length for a kind, so none ends with another (intake takes 华路 and 兴华路
# for one road). No character is a stop word of intake's address parser, and no name
# holds one of intake's problem or grading words or a place name of the gazetteer.
ROAD_FIRST = "锦绣兴华康宁富丰泰瑞祥福荣昌盛隆振汇翠青松柏梅兰桂"
ROAD_SECOND = "东西南北中新安德景秀丽明光阳春晖辉裕达通源泉林峰"
ROAD_KINDS = ("路", "大道", "街")
DISTINCT_ROADS = len(ROAD_FIRST) * len(ROAD_SECOND) * len(ROAD_KINDS)

# Mobile prefixes of the three Chinese carriers; every number is a valid one.
MOBILE_PREFIXES = ("135", "136", "137", "138", "139", "150", "151", "158", "187", "188")


def places(reference: ReferenceData) -> list[tuple[str, str]]:
    """Every (subdistrict, community) of the district, by their Chinese names."""
    return [
        (subdistrict.name, community)
        for subdistrict in reference.subdistricts
        for community in subdistrict.communities
    ]


def mobile(number: int) -> str:
    """A distinct valid mobile number for each appeal number below 10^8."""
    prefix = MOBILE_PREFIXES[number % len(MOBILE_PREFIXES)]
    # 7919 is prime to 10^8, so the eight digits differ for every number.
    return f"{prefix}{(number * 7919 + 13_579_113) % 10**8:08d}"


def road(number: int) -> str:
    """A road of its own for each appeal number below DISTINCT_ROADS."""
    first = ROAD_FIRST[number % len(ROAD_FIRST)]
    rest = number // len(ROAD_FIRST)
    second = ROAD_SECOND[rest % len(ROAD_SECOND)]
    kind = ROAD_KINDS[(rest // len(ROAD_SECOND)) % len(ROAD_KINDS)]
    return f"{first}{second}{kind}"


def appeal(
    number: int,
    *,
    run: str,
    received_at: datetime,
    gazetteer: list[tuple[str, str]],
) -> dict[str, Any]:
    """The hotline's body for appeal `number` of benchmark run `run`."""
    problem = PROBLEMS[number % len(PROBLEMS)]
    subdistrict, community = gazetteer[(number // len(PROBLEMS)) % len(gazetteer)]
    house = 1 + (number * 37) % 199
    place = f"{subdistrict}{community}{road(number)}{house}号"
    return {
        "channel": CHANNEL,
        "channel_ref": f"bench-{run}-{number}",
        "type": problem.kind,
        "category_hint": problem.category,
        "title": problem.title,
        "content": problem.content.format(place=place),
        "contact": {"kind": "phone", "value": mobile(number)},
        "address": place,
        "received_at": received_at.isoformat(),
    }
