"""Extraction-field values: each field type's check and normal form, applied before storing.

Both extractors' answers are normalised the same way (trimmed text, numbers, the protocol's
spelling of a choice, one spelling per country), so they compare like with like.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from review.errors import ReviewError


class FieldValueError(ReviewError, ValueError):
    """An extracted value that does not fit its field; the message is for the extractor."""

    def __init__(self, field_id: str, message: str) -> None:
        self.field_id = field_id
        self.detail = message
        super().__init__(f"{field_id}: {message}")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    id: str
    label: str
    type: str
    choices: tuple[str, ...] = ()
    required: bool = False
    help: str = ""
    unit: str = ""  # the id of the field holding this one's unit (e.g. sample_unit): "240 posts"


def normalise(spec: FieldSpec, value: object) -> object:
    """An empty value is None (or an error if required); anything else gets its type's form."""
    if value is None or (isinstance(value, str | list | tuple | set | frozenset)
                         and not (value.strip() if isinstance(value, str) else value)):
        if spec.required:
            raise FieldValueError(spec.id, f"{spec.label} is required")
        return None
    return _NORMALISE[spec.type](spec, value)


def kind_of(value: object) -> str:
    """How a value reads to a person in an error message: "a whole number", "text", ..."""
    names = {bool: "true/false", int: "a whole number", float: "a number", str: "text",
             list: "a list", dict: "a table"}
    return next((n for t, n in names.items() if type(value) is t), type(value).__name__)


def _text(spec: FieldSpec, value: object) -> str:
    if not isinstance(value, str):
        raise FieldValueError(spec.id, f"expected text, got {kind_of(value)}")
    return value.strip()


def _number(spec: FieldSpec, value: object) -> int | float:
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+(\.\d+)?", value.strip()):
        value = float(value) if "." in value else int(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FieldValueError(spec.id, f"expected a number, like 42 or 3.5, got {value!r}")
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _choice(spec: FieldSpec, value: object) -> str:
    text = _text(spec, value).casefold()
    for choice in spec.choices:
        if choice.casefold() == text:
            return choice
    raise FieldValueError(spec.id, f"expected one of: {', '.join(spec.choices)}; got {value!r}")


def _multi_choice(spec: FieldSpec, value: object) -> tuple[str, ...]:
    if not isinstance(value, str | list | tuple | set | frozenset):
        raise FieldValueError(spec.id, f"expected a list of choices, got {kind_of(value)}")
    picked = {_choice(spec, item) for item in ([value] if isinstance(value, str) else value)}
    return tuple(c for c in spec.choices if c in picked)  # protocol order, no repeats


def _yes_no(spec: FieldSpec, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().casefold() if isinstance(value, str) else None
    if text in ("yes", "y", "true"):
        return True
    if text in ("no", "n", "false"):
        return False
    raise FieldValueError(spec.id, f"expected yes or no, got {value!r}")


_COUNTRY_ALIASES = dict.fromkeys(("uk", "u.k.", "great britain"), "United Kingdom") | dict.fromkeys(
    ("us", "u.s.", "usa", "u.s.a.", "united states of america"), "United States")


def _country(spec: FieldSpec, value: object) -> str:
    """One spelling per country, so studies group correctly in the characteristics table."""
    text = " ".join(_text(spec, value).split())
    if text.casefold() in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[text.casefold()]
    if not re.fullmatch(r"[^\W\d_](?:[^\W\d_]|[ '’.,()-])*", text):
        raise FieldValueError(spec.id, f"expected a country name, like New Zealand, got {value!r}")
    if text.islower() or (text.isupper() and len(text) > 3):
        words = [w if w in ("and", "of", "the") and i else w.capitalize()
                 for i, w in enumerate(text.lower().split(" "))]
        text = " ".join(words)
    return text


_NORMALISE = {"text": _text, "number": _number, "choice": _choice,
              "multi_choice": _multi_choice, "yes_no": _yes_no, "country": _country}
FIELD_TYPES: tuple[str, ...] = tuple(_NORMALISE)


def field_by_id(fields: tuple[FieldSpec, ...], field_id: str) -> FieldSpec:
    """A form's field by id; an unknown id is an error listing the form's fields."""
    for spec in fields:
        if spec.id == field_id:
            return spec
    known = ", ".join(f.id for f in fields) or "none"
    raise FieldValueError(field_id, f"no such field in the extraction form (fields: {known})")
