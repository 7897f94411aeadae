"""The problem words: what an appeal is about (a thing: 路灯, 垃圾, 井盖) and what is
wrong with it (a trouble: 不亮, 没人清理, 噪音), each with the ways people write it.

Two citizens rarely word one problem alike (路灯不亮 / 路灯坏了晚上很黑), and two
different problems at one place often share words (工地施工扬尘 / 工地施工噪音), so
word overlap alone cannot tell them apart; naming the thing and the trouble can. The
list is rule data: the integration loads it from intake's rule edition
(`problem_vocabulary`), and the defaults below cover the common municipal appeals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["thing", "trouble"]


@dataclass(frozen=True)
class Concept:
    """One thing or trouble, the words that name it, and the concepts it implies
    (不亮 is a kind of 故障; 违章停车 names the 车辆 too)."""

    name: str
    kind: Kind
    words: tuple[str, ...]
    implies: tuple[str, ...] = ()


def _thing(name: str, words: str, implies: str = "") -> Concept:
    return Concept(name, "thing", tuple(words.split()), tuple(implies.split()))


def _trouble(name: str, words: str, implies: str = "") -> Concept:
    return Concept(name, "trouble", tuple(words.split()), tuple(implies.split()))


# A word matches anywhere in the text, the longest first (红绿灯 before 灯), after
# place names are taken out (坑梓 is a place, not a 坑). Single characters are kept
# only where they rarely mean anything else.
DEFAULT_CONCEPTS: tuple[Concept, ...] = (
    _thing("路灯", "路灯 街灯 灯杆 路灯杆 照明 灯"),
    _thing("信号灯", "红绿灯 信号灯 交通灯"),
    _thing("垃圾", "垃圾 垃圾桶 垃圾箱 垃圾站 垃圾池 废弃物 生活垃圾"),
    _thing("井盖", "井盖 窨井 沙井 下水道盖"),
    _thing("道路", "路面 马路 道路 车道 路段"),
    _thing("人行道", "人行道 盲道 便道 行人道"),
    _thing("工地", "工地 施工 打桩 工程 搅拌站"),
    _thing("车辆", "车辆 汽车 车子 小车 货车 泥头车 私家车"),
    _thing("单车", "单车 自行车 共享单车 电动车 电瓶车"),
    _thing("餐饮", "饭店 餐馆 餐厅 餐饮 大排档 烧烤 食肆"),
    _thing("商铺", "商铺 店铺 商户 门店 摊贩 摊位 小贩"),
    _thing("树木", "树 树枝 树木 行道树 绿化 绿化带 草坪"),
    _thing("广告牌", "广告牌 招牌 广告 横幅"),
    _thing("供水", "自来水 水管 供水 水压 水表"),
    _thing("排水", "下水道 排水 污水 排水沟 化粪池 管道"),
    _thing("公交", "公交 公交站 站台 公交车 巴士 公交线路"),
    _thing("电梯", "电梯 升降梯"),
    _thing("消防", "消防通道 消防栓 灭火器 消防设施"),
    _thing("犬只", "狗 犬 宠物"),
    _thing("工资", "工资 薪水 薪资 劳务费"),
    _thing("物业", "物业 物业公司 物管"),
    _thing("学校", "学校 学位 幼儿园 小学 中学 入学"),
    _thing("河道", "河道 河流 水库 河涌"),
    _thing("电线", "电线 电缆 高压线 变压器 电箱"),
    _trouble("故障", "坏 坏了 损坏 故障 失灵 不能用 用不了 不工作 维修 修理"),
    _trouble("不亮", "不亮 很黑 太黑 漆黑 一片黑 黑漆漆 黑乎乎 熄灭 灭了 暗", "故障"),
    _trouble(
        "破损",
        "破损 破裂 破了 破烂 缺失 丢失 不见了 被盗 断裂 断了 塌陷 塌了 掉下",
        "故障",
    ),
    _trouble("松动", "松动 摇晃 摇摇欲坠 倾斜 歪了 倒塌 快倒", "故障"),
    _trouble("坑洼", "坑 坑洼 凹陷 坑坑洼洼 不平 下沉 大坑"),
    _trouble(
        "未清理",
        "没人清 没人清理 没有清理 无人清理 不清理 清理 清运 清扫 收走 堆放 堆积 "
        "满了 装满 已满 爆满 溢出 外溢",
    ),
    _trouble("异味", "臭 臭味 异味 气味 臭气 恶臭 熏天 难闻"),
    _trouble("噪音", "噪音 噪声 吵 吵闹 扰民 睡不着 轰鸣 鸣笛 喇叭 狗叫 音响"),
    _trouble("扬尘", "扬尘 灰尘 粉尘 尘土 灰 沙尘"),
    _trouble("积水", "积水 水浸 内涝 被淹 水淹 淹了 水漫"),
    _trouble("停水", "停水 没水 断水 没有水 没有自来水 水压低 水很小", "供水"),
    _trouble("漏水", "漏水 渗水 爆管 冒水 跑水 水管爆"),
    _trouble("乱停", "乱停 违停 违章停车 乱停乱放 乱放 乱摆 停放 占用车位", "车辆"),
    _trouble("占道", "占道 占用 占满 堵住 堵塞 堵死 阻塞 占了"),
    _trouble("占道经营", "占道经营 摆摊 乱摆卖 流动摊贩 乱摆摊", "商铺"),
    _trouble("油烟", "油烟 排烟 烟味 熏得 烟雾"),
    _trouble("遮挡", "遮挡 挡住 遮住 看不到 看不见 挡住视线"),
    _trouble("拖欠", "拖欠 欠薪 不发工资 没发工资 克扣", "工资"),
    _trouble("收费", "乱收费 收费 多收 加价"),
    _trouble("漏电", "漏电 触电 电线裸露 裸露"),
)

# Words that contain a problem word but name none (a colour, a place): matched first,
# they hide what is inside them.
DEFAULT_IGNORED: tuple[str, ...] = _thing(
    "", "黑色 灰色 不满 满意 坑梓 老坑 竹坑 汤坑 灯光秀"
).words


@dataclass(frozen=True)
class Vocabulary:
    """The concepts and a matcher over all their words, longest word first."""

    concepts: Mapping[str, Concept]
    pattern: re.Pattern[str]
    by_word: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(
        cls, concepts: Iterable[Concept], ignored: Iterable[str] = DEFAULT_IGNORED
    ) -> Vocabulary:
        table = {concept.name: concept for concept in concepts}
        by_word: dict[str, list[str]] = {word: [] for word in ignored}
        for concept in table.values():
            for word in concept.words:
                by_word.setdefault(word, []).append(concept.name)
        words = sorted(by_word, key=lambda word: (-len(word), word))
        pattern = re.compile("|".join(re.escape(word) for word in words))
        return cls(
            concepts=table,
            pattern=pattern,
            by_word={word: tuple(names) for word, names in by_word.items()},
        )

    @classmethod
    def from_data(
        cls,
        data: Mapping[str, Mapping[str, Any]],
        ignored: Iterable[str] = DEFAULT_IGNORED,
    ) -> Vocabulary:
        """Read the rule edition's form: {name: {kind, words, implies}}."""
        return cls.of(
            (
                Concept(
                    name=name,
                    kind=entry["kind"],
                    words=tuple(entry["words"]),
                    implies=tuple(entry.get("implies", ())),
                )
                for name, entry in data.items()
            ),
            ignored,
        )

    def as_data(self) -> dict[str, dict[str, Any]]:
        """The form the rule edition keeps (the inverse of `from_data`)."""
        return {
            concept.name: {
                "kind": concept.kind,
                "words": list(concept.words),
                "implies": list(concept.implies),
            }
            for concept in self.concepts.values()
        }

    def concepts_in(self, text: str) -> frozenset[str]:
        """Every concept the text names, with what each implies."""
        found: set[str] = set()
        for match in self.pattern.finditer(text):
            found.update(self.by_word[match.group()])
        pending = list(found)
        while pending:
            concept = self.concepts.get(pending.pop())
            for implied in concept.implies if concept else ():
                if implied not in found:
                    found.add(implied)
                    pending.append(implied)
        return frozenset(found)

    def of_kind(self, names: Iterable[str], kind: Kind) -> frozenset[str]:
        return frozenset(
            name
            for name in names
            if name in self.concepts and self.concepts[name].kind == kind
        )


DEFAULT_VOCABULARY = Vocabulary.of(DEFAULT_CONCEPTS)
