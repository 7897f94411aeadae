"""An HTML-only mail turned into the text a clerk reads.

A small converter on the standard library's `html.parser`, chosen over the
libraries that do more: html2text writes Markdown (asterisks, link brackets) and is
GPL-licensed; BeautifulSoup's `get_text` would still need this same walk to keep
paragraphs apart without splitting a sentence at every <b>; inscriptis lays out
tables well but brings lxml for what a citizen's letter needs, which is line breaks
where blocks end. The parser never raises on broken markup: unclosed tags and stray
end tags are text's business, not ours.

Kept: text, line breaks at block elements and <br>, list items as "• ", table
cells apart, a link's address after its text when they differ. Dropped: scripts,
styles, the head, comments and images (an inline picture arrives as an attachment).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
        "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip
_PARAGRAPHS = frozenset({"p", "blockquote", "pre", "table", "ul", "ol", "dl", "hr"})
_HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._pre = 0
        # Each open link: its address and where its text starts in `parts`.
        self._links: list[tuple[str | None, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self._break(2 if tag in _PARAGRAPHS else 1)
            if tag == "li":
                self.parts.append("• ")
            if tag == "pre":
                self._pre += 1
        elif tag in _CELLS:
            self.parts.append("\t")
        elif tag == "a":
            self._links.append((dict(attrs).get("href"), len(self.parts)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self._break(1)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in _BLOCKS:
            self._break(2 if tag in _PARAGRAPHS else 1)
            if tag == "pre":
                self._pre = max(self._pre - 1, 0)
        elif tag == "a" and self._links:
            href, start = self._links.pop()
            if href and href.startswith(("http://", "https://", "mailto:")):
                shown = href.removeprefix("mailto:")
                if shown not in "".join(self.parts[start:]):
                    self.parts.append(f" ({shown})")

    def _break(self, lines: int) -> None:
        """End the line, and leave `lines` - 1 blank lines, unless the text
        already does: nested blocks make one break, not one each."""
        tail = "".join(self.parts[-4:]).rstrip(" \t")
        ending = len(tail) - len(tail.rstrip("\n"))
        if tail and ending < lines:
            self.parts.append("\n" * (lines - ending))

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        self.parts.append(data if self._pre else _SPACES.sub(" ", data))


def to_text(html: str) -> str:
    """The readable text of `html`: one paragraph a line, blank lines kept to one."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    lines = (line.strip(" \t") for line in "".join(writer.parts).splitlines())
    text = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", text).strip()
