"""Chinese text as words for comparing problems: jieba's words without stop words,
punctuation or numbers, plus the character pairs of each run of kept words (jieba
cuts 路灯不亮 as 路 / 灯不亮, the pairs still hold 路灯)."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from types import ModuleType

from minsheng_intake import segmenter

log = logging.getLogger(__name__)


# Words that carry no problem: function words, and the ways every appeal asks
# (反映, 希望, 尽快处理) or places itself (门口, 附近). They are the language's and the
# genre's, not the regulation's, so they live here and not among the rule parameters.
def _listed(words: str) -> frozenset[str]:
    return frozenset(words.split())


STOP_WORDS = _listed(
    """
    的 地 得 了 着 过 吗 呢 啊 吧 呀 么 嘛 哦 哈 啦 嗯 是 有 在 和 与 及 或 并 很 太 挺
    我 我们 你 您 你们 他 她 它 他们 这 那 这个 那个 这些 那些 这里 那里 这边 那边
    本人 自己 大家 家 家里 一个 一些 一下 一直 已经 非常 特别 十分 比较 真的 实在
    请 请问 麻烦 谢谢 你好 您好 希望 要求 恳请 强烈 反映 投诉 举报 建议 咨询
    问题 情况 事情 尽快 及时 马上 处理 解决 落实 整改 相关 部门 相关部门 有关部门
    政府 领导 市民 居民 群众 业主 现在 目前 最近 近期 经常 总是 每天 天天 好几天
    没有 没 不 无 到 从 向 对 给 把 被 让 就 都 也 还 又 再 但 但是 而且 并且 因为
    所以 如果 能 能否 可以 会 要 想 说 上 下 里 中 时 时候 后 前 个 多 大 小 很多
    导致 造成 影响 存在 严重 天 点 次
    街道 社区 小区 门口 附近 旁边 对面 楼下 路口 一带 周边 位置 地方 地址
    """
)

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z]{2,}")

# Above this many distinct texts the segmentation cache forgets the oldest.
_CACHE_SIZE = 4096


def _segmenter() -> ModuleType:
    """jieba, loaded once for the whole service (`minsheng_intake.segmenter`)."""
    return segmenter.jieba()


def warm_up() -> None:
    """Load the dictionary now rather than on the first appeal (blocking: call it
    in a thread at start-up)."""
    _segmenter()


def _kept(word: str) -> bool:
    if word in STOP_WORDS:
        return False
    return bool(_CJK.search(word) or _LATIN_WORD.fullmatch(word))


@lru_cache(maxsize=_CACHE_SIZE)
def runs(text: str) -> tuple[tuple[str, ...], ...]:
    """The words of the text that say something (jieba; stop words, punctuation and
    numbers dropped), in order, grouped in runs of adjacent kept words."""
    found: list[list[str]] = [[]]
    for piece in _segmenter().lcut(text):
        word = piece.strip().lower()
        if word and _kept(word):
            found[-1].append(word)
        elif found[-1]:
            found.append([])
    return tuple(tuple(run) for run in found if run)


def tokens(text: str) -> tuple[str, ...]:
    """The words of the text that say something, in order."""
    return tuple(word for run in runs(text) for word in run)


def pairs(text: str) -> tuple[str, ...]:
    """The character pairs inside each run of kept words; a run of one character
    stands for itself."""
    found: list[str] = []
    for run in runs(text):
        characters = "".join(_CJK.findall("".join(run)))
        if len(characters) == 1:
            found.append(characters)
        found.extend(characters[i : i + 2] for i in range(len(characters) - 1))
    return tuple(found)
