"""Bytes to text: the encodings and line endings real exports come in.

Exports arrive as UTF-8 with or without a BOM, UTF-16 (EndNote, some Windows tools) and
cp1252/latin-1 (older Ovid and EBSCO downloads). We peek at the bytes, decode strictly where
we can, and report which encoding we used so the source row records it.
"""

from __future__ import annotations

import codecs
import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

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


def _ending_counts(text: str) -> tuple[int, int, int]:
    crlf = text.count("\r\n")
    return crlf, text.count("\r") - crlf, text.count("\n") - crlf


_ENDINGS = ("CRLF", "CR", "LF")


def _endings_name(counts: Iterable[int]) -> str:
    kinds = [name for name, n in zip(_ENDINGS, counts, strict=True) if n]
    return "+".join(kinds) or "none"


def _line_endings(text: str) -> str:
    return _endings_name(_ending_counts(text))


def split_lines(text: str) -> list[str]:
    """Split on CRLF, lone CR or LF only (str.splitlines would also split on form feeds
    and Unicode separators that occur inside abstracts)."""
    lines = _NEWLINES.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


# --- streaming: the same decisions, made without holding the file's text ---------------------

CHUNK = 1 << 20  # bytes read and decoded at a time
HEAD_CHARS = 200_000  # the first characters format detection looks at
_BLANK = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"

Source = bytes | Path


def byte_chunks(source: Source, size: int | None = None) -> Iterator[bytes]:
    """The bytes of an export held in memory or on disk, a chunk at a time."""
    size = size or CHUNK
    if isinstance(source, bytes):
        for start in range(0, len(source), size):
            yield source[start:start + size]
        return
    with open(source, "rb") as handle:
        while chunk := handle.read(size):
            yield chunk


def _unreadable(file: str, exc: OSError) -> InputError:
    return InputError(file, f"cannot be read: {exc.strerror or exc}")


@dataclass(frozen=True, slots=True)
class Survey:
    """What one pass over the bytes tells: their hash and size, and an encoding that decodes
    every one of them, so the parse that follows never meets a bad byte. `text` is set only
    when `decode` had to judge the whole file at once (see `survey`)."""

    encoding: str
    sha256: str
    size: int
    text: str | None = None


def _first_choice(head: bytes, encoding: str | None) -> str:
    """The encoding `decode` tries first, judged from the first bytes as it does."""
    if encoding:
        return encoding
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return _utf16_without_bom(head) or "utf-8"


def survey(source: Source, file: str, encoding: str | None = None) -> Survey:
    """Hash, size and encoding in one pass that holds one chunk of the file at a time.

    Where the first choice of encoding fails on some byte, `decode` judges the whole file as
    before (the fallback to cp1252 or latin-1, or the error naming the line). Such files are
    rare and small; their text comes back in `text`.
    """
    digest = hashlib.sha256()
    size = 0
    blank = True
    chunks = byte_chunks(source)
    try:
        first = b""
        for chunk in chunks:  # the first 2,000 bytes tell the encoding, as in `decode`
            first += chunk
            if len(first) >= 2000:
                break
        choice = _first_choice(first[:2000], encoding)
        b"".decode(choice)  # LookupError for unknown and non-text encodings, as decode gives
        decoder = codecs.getincrementaldecoder(choice)("strict")
        for chunk in itertools.chain((first,), chunks):
            digest.update(chunk)
            size += len(chunk)
            if blank and chunk.strip(_BLANK):
                blank = False
            decoder.decode(chunk)
        decoder.decode(b"", True)
    except OSError as exc:
        raise _unreadable(file, exc) from None
    except (UnicodeError, LookupError):  # UnicodeError: a UTF-16 stream without its BOM
        data = source if isinstance(source, bytes) else _read_all(source, file)
        decoded = decode(data, file, encoding)
        return Survey(decoded.encoding, hashlib.sha256(data).hexdigest(), len(data),
                      text=decoded.text)
    if blank:
        raise InputError(file, "the file is empty")
    return Survey(choice, digest.hexdigest(), size)


def _read_all(path: Path, file: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _unreadable(file, exc) from None


def decoded_chunks(source: Source, file: str, encoding: str,
                   size: int | None = None) -> Iterator[str]:
    """Text a chunk at a time in an encoding `survey` checked; leading BOM characters go.

    With the `size` the survey found, a file that changed between the two passes (an export
    still being written or synced) is refused: its recorded sha256 would not be of these
    records."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    started = False
    seen = 0
    changed = InputError(file, "the file changed while it was being read (is it still being "
                               "written or synced?); import it again once it is complete")
    try:
        for chunk in byte_chunks(source):
            seen += len(chunk)
            text = decoder.decode(chunk)
            if not started:
                text = text.lstrip("\ufeff")
                started = bool(text)
            if text:
                yield text
    except OSError as exc:  # the file vanished since the survey
        raise _unreadable(file, exc) from None
    except UnicodeError:  # bytes the survey decoded are not there any more
        raise changed from None
    if size is not None and seen != size:
        raise changed
    text = decoder.decode(b"", True)
    if not started:
        text = text.lstrip("\ufeff")
    if text:
        yield text


# str.splitlines splits on these too; where none occurs it splits exactly as split_lines does,
# in one pass and without first rewriting CRLF and CR as LF.
_OTHER_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e")
_OTHER_BREAKS_UNICODE = ("\x85", "\u2028", "\u2029")


def _split(text: str) -> list[str]:
    """Lines of text that ends with a line break or with a line cut short by the chunk's end."""
    if not any(brk in text for brk in _OTHER_BREAKS) and (
            text.isascii() or not any(brk in text for brk in _OTHER_BREAKS_UNICODE)):
        return text.splitlines()
    lines = _NEWLINES.split(text)
    if not lines[-1]:  # what follows the final line break
        lines.pop()
    return lines


_LINE_WITH_ENDING = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")


def _ending_kind(line: str) -> int:
    """Index into the counts (CRLF, CR, LF) of how a line ends."""
    if line[-1] == "\n":
        return 0 if line.endswith("\r\n") else 2
    return 1


class StreamedText:
    """Decoded text as blocks of lines, one chunk's worth at a time, with what `decode` tells
    about it: the first characters (for format detection) and, once read, the line endings.

    Lines split on CRLF, lone CR and LF only, exactly as `split_lines` splits them.
    """

    def __init__(self, texts: Iterator[str], file: str) -> None:
        self._texts = texts
        self._held: list[str] = []
        self._counts = [0, 0, 0]  # CRLF, CR, LF
        held = 0
        for text in texts:
            self._held.append(text)
            held += len(text)
            if held >= HEAD_CHARS:
                break
        self.head = "".join(self._held)[:HEAD_CHARS]
        if _looks_binary(self.head):
            raise InputError(file, "this looks like a binary file, not a bibliographic export "
                                   "(RIS, PubMed/MEDLINE, Web of Science, CSV or BibTeX)")

    def _rest(self) -> Iterator[str]:
        held, self._held = self._held, []
        yield from held
        yield from self._texts

    def text(self) -> str:
        """All of it at once, for the readers that need the whole text (CSV, BibTeX, ...)."""
        text = "".join(self._rest())
        self._counts = [a + b for a, b in zip(self._counts, _ending_counts(text), strict=True)]
        return text

    def blocks(self) -> Iterator[list[str]]:
        """Lists of whole lines, each list from one chunk of text.

        A line cut by a chunk's end is finished with the next chunk's first line, and a CR
        that ends one chunk pairs with an LF that opens the next, without copying the chunks.
        """
        counts = self._counts
        carry = ""  # the start of a line cut by the previous chunk's end
        after_cr = False  # the previous chunk ended with CR
        for text in self._rest():
            lines = _split(text)
            ends_line = text[-1] in "\r\n"
            breaks = len(lines) if ends_line else len(lines) - 1
            if "\r" in text:  # every CRLF is one CR, one LF and one line break
                cr, lf = text.count("\r"), text.count("\n")
                crlf = cr + lf - breaks
                counts[0] += crlf
                counts[1] += cr - crlf
                counts[2] += lf - crlf
            else:
                counts[2] += breaks
            if after_cr and text[0] == "\n":  # CR, then LF: one CRLF, not an empty line
                del lines[0]
                counts[0] += 1
                counts[1] -= 1
                counts[2] -= 1
            elif carry:
                lines[0] = carry + lines[0]
            after_cr = text[-1] == "\r"
            carry = "" if ends_line else lines.pop()
            if lines:
                yield lines
        if carry:
            yield [carry]

    def lines_with_endings(self) -> Iterator[str]:
        """The lines one at a time, each with its ending as written (CRLF, CR or LF): what
        the csv module reads, as from a file opened with newline='', without holding the
        whole text. A CRLF cut by a chunk's end stays one ending."""
        counts = self._counts
        carry = ""  # the start of a line cut by the previous chunk's end
        for text in self._rest():
            if carry:
                text = carry + text
            crlf = text.count("\r\n")
            # a CR that ends the chunk stays in the carried line, for the next chunk's LF
            if text.count("\r") == crlf + (text[-1] == "\r"):  # LF and CRLF only: split at LF
                parts = text.split("\n")
                carry = parts.pop()
                counts[0] += crlf
                counts[2] += len(parts) - crlf
                for part in parts:
                    yield part + "\n"
                continue
            end = 0
            for match in _LINE_WITH_ENDING.finditer(text):
                line = match.group()
                if line[-1] == "\r" and match.end() == len(text):
                    break  # a CR that ends the chunk may be the first half of a CRLF
                end = match.end()
                counts[_ending_kind(line)] += 1
                yield line
            carry = text[end:]
        if carry:
            if carry[-1] in "\r\n":
                counts[_ending_kind(carry)] += 1
            yield carry

    @property
    def line_endings(self) -> str:
        """As `decode` reports them; complete once `blocks` or `text` has been read through."""
        return _endings_name(self._counts)
