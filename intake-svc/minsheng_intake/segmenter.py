"""jieba, the Chinese word segmenter, loaded once for the whole service: the category
suggester, the comparison of problems (repeats, clusters) and the knowledge base's
search all cut text with the same dictionary, read once (about a second) on first
use or at start, with jieba's own chatter silenced."""

from __future__ import annotations

import importlib
import logging
import threading
import warnings
from types import ModuleType

log = logging.getLogger(__name__)

_lock = threading.Lock()
_jieba: ModuleType | None = None


def jieba() -> ModuleType:
    """jieba with its dictionary loaded (blocking the first time)."""
    global _jieba
    if _jieba is not None:
        return _jieba
    with _lock:
        if _jieba is None:
            with warnings.catch_warnings():
                # jieba 0.42 imports pkg_resources, which newer setuptools deprecate
                # with a warning at import; the warning is about jieba, not us.
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", SyntaxWarning)
                module = importlib.import_module("jieba")
            module.setLogLevel(logging.WARNING)
            module.initialize()
            _jieba = module
            log.info("jieba segmentation ready")
    return _jieba


def warm_up() -> None:
    """Load the dictionary now rather than on the first appeal (blocking: call it
    in a thread at start-up)."""
    jieba()
