"""PDFs: the text of each page (read with pypdf), and a small writer of plain text pages for
the demo's invented full texts and the tests.

pypdf is used because it is pure Python (nothing to compile, installs wherever review does),
BSD-licensed (PyMuPDF is AGPL, which binds everyone who embeds or serves this tool) and kept
up to date; its text extraction follows the text layer in reading order, which is what search
and quote location need. A page without a text layer (a scan) gives no text: the PDF is then
reported as having "no text layer", never as an error.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from review.errors import InputError

TEXT, NO_TEXT_LAYER, UNREADABLE = "text", "no text layer", "unreadable"
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class PdfText:
    """The text of each page (page 1 first); pages with no text give ''."""

    pages: tuple[str, ...]
    extractor: str
    failed_pages: tuple[int, ...] = ()  # pages pypdf could not read (their text is '')

    @property
    def status(self) -> str:
        return TEXT if any(_LETTER.search(page) for page in self.pages) else NO_TEXT_LAYER

    @property
    def text_pages(self) -> int:
        return sum(1 for page in self.pages if _LETTER.search(page))


def extractor_name() -> str:
    import pypdf  # start-up: pypdf (about 0.1 s) only when a PDF is read

    return f"pypdf {pypdf.__version__}"


def read_pdf_text(data: bytes, file_name: str) -> PdfText:
    """Each page's text. A file pypdf cannot open (damaged, truncated, encrypted with a
    password) is an InputError naming the file; a page whose text cannot be read is left
    empty and listed in failed_pages, so one bad page never loses the rest."""
    import pypdf  # start-up: pypdf (about 0.1 s) only when a PDF is read
    from pypdf.errors import PyPdfError  # start-up: as above

    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(file_name, "the PDF is encrypted with a password; save an "
                                        "unprotected copy and attach that")
        pages = list(reader.pages)
    except InputError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            OSError, RecursionError) as exc:
        raise InputError(file_name, f"not a readable PDF ({_reason(exc)}); it may be damaged "
                                    "or incompletely downloaded") from exc
    if not pages:
        raise InputError(file_name, "not a readable PDF (it has no pages); it may be damaged "
                                    "or incompletely downloaded")
    texts: list[str] = []
    failed: list[int] = []
    for number, page in enumerate(pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except Exception:  # noqa: BLE001 - any fault inside one page's content: skip the page
            texts.append("")
            failed.append(number)
    return PdfText(tuple(_clean(text) for text in texts), f"pypdf {pypdf.__version__}",
                   tuple(failed))


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _clean(text: str) -> str:
    """Text as a database keeps it: no NUL characters (PostgreSQL refuses them), Unix line
    ends."""
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


# --- writing: plain text pages (Helvetica, A4), for the demo and the tests ------------------

_WIDTH, _HEIGHT, _MARGIN, _SIZE, _LEADING = 595, 842, 56, 11, 15
LINES_PER_PAGE = (_HEIGHT - 2 * _MARGIN) // _LEADING
WRAP = 88  # characters per line that fit the width at 11 pt Helvetica, roughly


def wrap(paragraphs: Sequence[str], width: int = WRAP) -> list[str]:
    """Paragraphs as lines, a blank line between paragraphs."""
    lines: list[str] = []
    for paragraph in paragraphs:
        if lines:
            lines.append("")
        lines.extend(textwrap.wrap(paragraph, width) or [""])
    return lines


def _literal(line: str) -> bytes:
    data = line.encode("cp1252", errors="replace")
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def write_text_pdf(pages: Sequence[Sequence[str]], *, title: str = "") -> bytes:
    """A PDF with a text layer: each page its lines, top to bottom (a page of no lines is
    blank). Characters outside Windows-1252 become '?'; curly quotes and dashes are kept."""
    objects: list[bytes] = []  # object n is objects[n - 1]
    font = 3
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % p for p in page_ids)
                   + b"] /Count %d >>" % len(pages))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                   b"/Encoding /WinAnsiEncoding >>")
    for page_id, lines in zip(page_ids, pages, strict=True):
        if len(lines) > LINES_PER_PAGE:
            raise ValueError(f"{len(lines)} lines do not fit a page ({LINES_PER_PAGE})")
        ops = [b"BT /F1 %d Tf %d TL %d %d Td" % (_SIZE, _LEADING, _MARGIN,
                                                   _HEIGHT - _MARGIN - _SIZE)]
        for index, line in enumerate(lines):
            ops.append((b"" if index == 0 else b"T* ") + _literal(line) + b" Tj")
        ops.append(b"ET")
        stream = b"\n".join(ops) if lines else b""
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
                       b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                       % (_WIDTH, _HEIGHT, font, page_id + 1))
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream
                       + b"\nendstream")
    info = len(objects) + 1
    objects.append(b"<< /Title " + _literal(title) + b" /Producer (review) >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, info, xref))
    return bytes(out)
