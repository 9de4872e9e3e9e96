"""Extraction values: each field type's normal form and the messages for values that do not fit."""

from __future__ import annotations

import pytest

from review.fields import FieldSpec, FieldValueError
from review.protocol import ExtractionForm

FORM = ExtractionForm(fields=(
    FieldSpec("author_year", "Author and year", "text", required=True),
    FieldSpec("n", "Sample size", "number"),
    FieldSpec("setting", "Setting", "choice", ("online", "face-to-face")),
    FieldSpec("format", "Format", "multi_choice", ("online forum", "group", "one-to-one")),
    FieldSpec("moderated", "Moderated", "yes_no"),
    FieldSpec("country", "Country", "country"),
))


@pytest.mark.parametrize(
    ("field_id", "value", "expected"),
    [
        ("author_year", "  Smith 2015 ", "Smith 2015"),
        ("n", 40, 40),
        ("n", "40", 40),
        ("n", " 3.5 ", 3.5),
        ("n", 12.0, 12),
        ("n", None, None),
        ("setting", "ONLINE", "online"),
        ("format", ["one-to-one", "Online Forum", "one-to-one"], ("online forum", "one-to-one")),
        ("format", "group", ("group",)),
        ("format", [], None),
        ("moderated", True, True),
        ("moderated", "No", False),
        ("moderated", "y", True),
        ("moderated", "", None),
        ("country", "  new   zealand ", "New Zealand"),
        ("country", "UK", "United Kingdom"),
        ("country", "usa", "United States"),
        ("country", "Côte d'Ivoire", "Côte d'Ivoire"),
    ],
)
def test_validate_value_normalises(field_id: str, value: object, expected: object) -> None:
    assert FORM.validate_value(field_id, value) == expected


@pytest.mark.parametrize(
    ("field_id", "value", "message"),
    [
        ("author_year", "   ", "author_year: Author and year is required"),
        ("author_year", 2015, "author_year: expected text, got a whole number"),
        ("n", "about 40", "n: expected a number, like 42 or 3.5, got 'about 40'"),
        ("n", True, "n: expected a number, like 42 or 3.5, got True"),
        ("n", float("nan"), "n: expected a number, like 42 or 3.5, got nan"),
        ("setting", "phone", "setting: expected one of: online, face-to-face; got 'phone'"),
        ("format", ["group", "email"],
         "format: expected one of: online forum, group, one-to-one; got 'email'"),
        ("format", 3, "format: expected a list of choices, got a whole number"),
        ("moderated", "sometimes", "moderated: expected yes or no, got 'sometimes'"),
        ("moderated", 1, "moderated: expected yes or no, got 1"),
        ("country", "Country 7", ("country: expected a country name, like New Zealand, "
         "got 'Country 7'")),
        ("nope", "x", ("nope: no such field in the extraction form (fields: author_year, n, "
         "setting, format, moderated, country)")),
    ],
)
def test_validate_value_rejects(field_id: str, value: object, message: str) -> None:
    with pytest.raises(FieldValueError) as caught:
        FORM.validate_value(field_id, value)
    assert str(caught.value) == message
    assert caught.value.field_id == field_id
    assert isinstance(caught.value, ValueError)
