"""Rayyan's screening work as its article export carries it: the `notes` column of
articles.csv (also RIS N1), in sections separated by " | ":

    RAYYAN-INCLUSION: {"Ana Silva"=>"Included", "Ben"=>"Excluded"} | RAYYAN-LABELS: a, b |
    RAYYAN-EXCLUSION-REASONS: wrong population | USER-NOTES: {"Ana Silva"=>["check"]}

The two maps are Ruby's printed hashes: keys and values are double-quoted strings with
backslash escapes (a name may hold spaces, commas or quotes), a note list is an array of such
strings. Labels and exclusion reasons are comma-separated and are not per reviewer: Rayyan
prints one list for the article. Text before the first section is the note the article came
with from its database, not screening work. Pure: no database here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from review.errors import ReviewError

INCLUDED, EXCLUDED, MAYBE = "included", "excluded", "maybe"
# Rayyan's words -> ours
VERDICTS = {INCLUDED: "include", EXCLUDED: "exclude", MAYBE: "maybe"}

_SECTIONS = ("RAYYAN-INCLUSION", "RAYYAN-LABELS", "RAYYAN-EXCLUSION-REASONS", "USER-NOTES")
# a section name: upper case words joined by hyphens (Rayyan may add sections; unknown ones
# are passed over)
_MARKER = re.compile(r"(?:^|\s*\|\s*)([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+):\s*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "e": "\x1b", "s": " ", "0": "\0", "a": "\a",
            "b": "\b", "f": "\f", "v": "\v"}


class NotesError(ReviewError):
    """The notes column does not read as Rayyan writes it; the caller adds file and line."""


@dataclass(frozen=True, slots=True)
class RayyanNotes:
    inclusion: dict[str, str] = field(default_factory=dict)  # reviewer -> include|exclude|maybe
    labels: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    user_notes: dict[str, list[str]] = field(default_factory=dict)
    other: str = ""  # text before the first section: the article's own note from its database


def parse_notes(text: str) -> RayyanNotes:
    """Read one article's notes; raises NotesError saying what is wrong and where."""
    text = text or ""
    first = _MARKER.search(text)
    while first is not None and first.group(1) not in _SECTIONS:
        first = _MARKER.search(text, first.end())
    if first is None:
        return RayyanNotes(other=text.strip())
    other = text[:first.start()].strip()
    position = first.start()
    inclusion: dict[str, str] = {}
    user_notes: dict[str, list[str]] = {}
    labels: list[str] = []
    reasons: list[str] = []
    seen: set[str] = set()
    while position < len(text):
        marker = _MARKER.match(text, position)
        if marker is None:
            raise NotesError(f"unexpected text {text[position:position + 30]!r} after a Rayyan "
                             "section (sections are separated by ' | ')")
        name, position = marker.group(1), marker.end()
        if name in seen:
            raise NotesError(f"{name} appears twice")
        seen.add(name)
        if name in ("RAYYAN-INCLUSION", "USER-NOTES"):
            value, position = _Literal(text, position).hash_value(name)
            position = _skip_space(text, position)
            if position < len(text) and text[position] != "|":
                raise NotesError(f"{name}: unexpected {text[position:position + 20]!r} after "
                                 "its closing brace")
            if name == "RAYYAN-INCLUSION":
                inclusion = _verdicts(value)
            else:
                user_notes = _notes(value)
        else:
            following = _MARKER.search(text, position)
            end = following.start() if following else len(text)
            items = _split_list(text[position:end])
            if name == "RAYYAN-LABELS":
                labels = items
            elif name == "RAYYAN-EXCLUSION-REASONS":
                reasons = items
            position = end
    return RayyanNotes(inclusion, labels, reasons, user_notes, other)


def _split_list(value: str) -> list[str]:
    seen: dict[str, None] = {}
    for item in value.split(","):
        item = " ".join(item.split())
        if item and item.casefold() not in {s.casefold() for s in seen}:
            seen[item] = None
    return list(seen)


def _verdicts(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise NotesError("RAYYAN-INCLUSION is not a map of reviewer to decision")
    found = {}
    for name, verdict in value.items():
        if not isinstance(verdict, str):
            raise NotesError(f"RAYYAN-INCLUSION: {name!r} has no decision text")
        word = verdict.strip().casefold()
        if word not in VERDICTS:
            raise NotesError(f"RAYYAN-INCLUSION: {name!r} decided {verdict!r}; Rayyan writes "
                             "Included, Excluded or Maybe")
        found[name] = VERDICTS[word]
    return found


def _notes(value: object) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise NotesError("USER-NOTES is not a map of reviewer to notes")
    found: dict[str, list[str]] = {}
    for name, notes in value.items():
        items = notes if isinstance(notes, list) else [notes]
        texts = [" ".join(str(n).split()) for n in items if isinstance(n, str) and n.strip()]
        if texts:
            found[name] = texts
    return found


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


class _Literal:
    """A reader of Ruby's printed hashes, arrays, strings and nil."""

    def __init__(self, text: str, position: int) -> None:
        self.text = text
        self.position = position

    def hash_value(self, section: str) -> tuple[object, int]:
        self.section = section
        self._space()
        if not self.text.startswith("{", self.position):
            raise NotesError(f"{section}: expected '{{' but found "
                             f"{self.text[self.position:self.position + 20]!r}")
        return self._value(), self.position

    def _fail(self, what: str) -> NotesError:
        found = self.text[self.position:self.position + 20] or "the end of the notes"
        return NotesError(f"{self.section}: expected {what} at {found!r}")

    def _space(self) -> None:
        self.position = _skip_space(self.text, self.position)

    def _value(self) -> object:
        self._space()
        char = self.text[self.position:self.position + 1]
        if char == '"':
            return self._string()
        if char == "{":
            return self._hash()
        if char == "[":
            return self._array()
        if self.text.startswith("nil", self.position):
            self.position += 3
            return None
        raise self._fail("a quoted string, '{' or '['")

    def _hash(self) -> dict[str, object]:
        self.position += 1
        result: dict[str, object] = {}
        self._space()
        if self.text.startswith("}", self.position):
            self.position += 1
            return result
        while True:
            self._space()
            if not self.text.startswith('"', self.position):
                raise self._fail("a quoted name")
            key = self._string()
            self._space()
            if not self.text.startswith("=>", self.position):
                raise self._fail("'=>'")
            self.position += 2
            result[key] = self._value()
            self._space()
            if self.text.startswith(",", self.position):
                self.position += 1
                continue
            if self.text.startswith("}", self.position):
                self.position += 1
                return result
            raise self._fail("',' or '}'")

    def _array(self) -> list[object]:
        self.position += 1
        items: list[object] = []
        self._space()
        if self.text.startswith("]", self.position):
            self.position += 1
            return items
        while True:
            items.append(self._value())
            self._space()
            if self.text.startswith(",", self.position):
                self.position += 1
                continue
            if self.text.startswith("]", self.position):
                self.position += 1
                return items
            raise self._fail("',' or ']'")

    def _string(self) -> str:
        text, i = self.text, self.position + 1
        out: list[str] = []
        while i < len(text):
            char = text[i]
            if char == '"':
                self.position = i + 1
                return "".join(out)
            if char != "\\":
                out.append(char)
                i += 1
                continue
            following = text[i + 1:i + 2]
            if following == "u" and text[i + 2:i + 3] == "{":
                end = text.find("}", i + 3)
                if end == -1:
                    break
                out.extend(chr(int(code, 16)) for code in text[i + 3:end].split())
                i = end + 1
            elif following == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2:i + 6]):
                out.append(chr(int(text[i + 2:i + 6], 16)))
                i += 6
            elif following == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", text[i + 2:i + 4]):
                out.append(chr(int(text[i + 2:i + 4], 16)))
                i += 4
            else:
                out.append(_ESCAPES.get(following, following))
                i += 2
        self.position = len(text)
        raise NotesError(f"{self.section}: a quoted string is never closed")
