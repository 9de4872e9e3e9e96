"""Bytes to text: the encodings and line endings real exports come in.

Exports arrive as UTF-8 with or without a BOM, UTF-16 (EndNote, some Windows tools) and
cp1252/latin-1 (older Ovid and EBSCO downloads). We peek at the bytes, decode strictly where
we can, and report which encoding we used so the source row records it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass

from review.errors import InputError

_NEWLINES = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    line_endings: str


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as a NUL in every other byte of ASCII text."""
    sample = data[:2000]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / len(sample[1::2])
    if odd_nuls > 0.4 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.4 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t\f\v")
    return controls > max(2, len(sample) // 100)


def decode(data: bytes, file: str, encoding: str | None = None) -> Decoded:
    """Decode an export; raise InputError naming the file when it is empty, binary or undecodable.

    With `encoding` given (the CLI's --encoding), that encoding is used strictly.
    """
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise InputError(file, "the file is empty")
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputError(file, f"cannot be read as {encoding}: {exc}") from None
        used = encoding
    elif data.startswith(codecs.BOM_UTF8):
        text, used = _strict(data[3:], "utf-8", file), "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, used = _strict(data, "utf-16", file), "utf-16"
    elif (guess := _utf16_without_bom(data)) is not None:
        text, used = _strict(data, guess, file), guess
    else:
        try:
            text, used = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, used = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                text, used = data.decode("latin-1"), "latin-1"
    text = text.lstrip("\ufeff")
    if _looks_binary(text):
        raise InputError(file, "this looks like a binary file, not a bibliographic export "
                               "(RIS, PubMed/MEDLINE, Web of Science, CSV or BibTeX)")
    endings = _line_endings(text)
    return Decoded(text=text, encoding=used, line_endings=endings)


def _strict(data: bytes, encoding: str, file: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(file, f"invalid {encoding} bytes; try --encoding cp1252 or latin-1",
                         line=line) from None


def _line_endings(text: str) -> str:
    crlf = text.count("\r\n")
    cr = text.count("\r") - crlf
    lf = text.count("\n") - crlf
    kinds = [name for name, n in (("CRLF", crlf), ("CR", cr), ("LF", lf)) if n]
    return "+".join(kinds) or "none"


def iter_lines(text: str) -> Iterator[str]:
    """Lines one at a time (a 100 MB export need not exist twice in memory as a list)."""
    start = 0
    for match in _NEWLINES.finditer(text):
        yield text[start:match.start()]
        start = match.end()
    if start < len(text):
        yield text[start:]


def split_lines(text: str) -> list[str]:
    """Split on CRLF, lone CR or LF only (str.splitlines would also split on form feeds
    and Unicode separators that occur inside abstracts)."""
    lines = _NEWLINES.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines
