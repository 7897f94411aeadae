"""What a file is, told by its first bytes (its magic number), never by its name."""

from __future__ import annotations

from dataclasses import dataclass

HEAD_BYTES = 16
"""How many leading bytes the sniffing needs."""


@dataclass(frozen=True)
class Kind:
    """An accepted kind of file."""

    content_type: str
    extension: str
    is_image: bool


JPEG = Kind("image/jpeg", "jpg", is_image=True)
PNG = Kind("image/png", "png", is_image=True)
GIF = Kind("image/gif", "gif", is_image=True)
WEBP = Kind("image/webp", "webp", is_image=True)
HEIC = Kind("image/heic", "heic", is_image=True)
TIFF = Kind("image/tiff", "tif", is_image=True)
PDF = Kind("application/pdf", "pdf", is_image=False)

ACCEPTED = (JPEG, PNG, GIF, WEBP, HEIC, TIFF, PDF)
"""Photos from cameras and phones (JPEG, PNG, GIF, WebP, HEIC), scans (TIFF) and
documents (PDF), such as a stamped rectification notice."""

# The extensions a name may carry for each kind; a name that says another kind than
# the content is refused, so a file is never shown as what it is not.
EXTENSIONS: dict[Kind, frozenset[str]] = {
    JPEG: frozenset({"jpg", "jpeg", "jpe", "jfif"}),
    PNG: frozenset({"png"}),
    GIF: frozenset({"gif"}),
    WEBP: frozenset({"webp"}),
    HEIC: frozenset({"heic", "heif"}),
    TIFF: frozenset({"tif", "tiff"}),
    PDF: frozenset({"pdf"}),
}

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"})


def sniff(head: bytes) -> Kind | None:
    """The kind of a file from its first bytes, or None when it is none of the
    accepted kinds."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def by_content_type(content_type: str) -> Kind | None:
    for kind in ACCEPTED:
        if kind.content_type == content_type:
            return kind
    return None


def name_agrees(filename: str | None, kind: Kind) -> bool:
    """Whether a file's name, if it has an extension, names the sniffed kind."""
    if not filename or "." not in filename:
        return True
    extension = filename.rsplit(".", 1)[1].lower()
    return extension in EXTENSIONS[kind]
