"""One extraction entry as rows, for the command line (ids) and the Extraction page (labels)."""

from __future__ import annotations

from review.extraction.entries import Entry, Extract, Form, FormTheme
from review.extraction.rows import EntryRow, entry_rows
from review.fields import FieldSpec
from review.protocol import Checklist

FORM = Form(
    fields=(FieldSpec("author_year", "Author and year", "text"),
            FieldSpec("format", "Format of support", "multi", ("online forum", "group")),
            FieldSpec("design", "Study design", "text")),
    themes=(FormTheme("Belonging", "outcome", "Feeling understood"),
            FormTheme("safe", "outcome", "A safe space", parent="Belonging")),
    dual=True,
    checklist=Checklist("casp", "CASP", (("aims", "Was there a clear statement of the aims?"),
                                         ("design", "Was the design appropriate?"))))

ENTRY = Entry(study_id=1, extractor="Priya", status="done",
              values={"author_year": "Alder 2015", "format": ["online forum", "group"],
                      "design": None},
              extracts=(Extract("belonging", "Members said they felt understood.", "p. 6",
                                "participant"),
                        Extract("safe", "Nobody judged us.", "Results", None, "Trust")),
              answers={"aims": "yes", "design": "can't tell"}, rating="high",
              updated_at="2025-03-01T10:00:00Z")


def test_rows_with_the_forms_labels() -> None:
    assert entry_rows(ENTRY, FORM) == [
        EntryRow("field:author_year", "Author and year", "Alder 2015"),
        EntryRow("field:format", "Format of support", "online forum; group"),
        EntryRow("field:design", "Study design", ""),
        EntryRow("extract:1", "Extract 1: Feeling understood",
                 "Members said they felt understood. (p. 6; participant)"),
        EntryRow("extract:2", "Extract 2: Feeling understood › A safe space",
                 "Nobody judged us. (Results; voice not recorded; sub-theme: Trust)"),
        EntryRow("quality:aims", "Quality: Was there a clear statement of the aims?", "yes"),
        EntryRow("quality:design", "Quality: Was the design appropriate?", "can't tell"),
        EntryRow("rating", "Quality rating", "high"),
    ]


def test_rows_without_a_form_use_ids_and_skip_a_missing_rating() -> None:
    plain = Entry(**{**{f: getattr(ENTRY, f) for f in Entry.__slots__}, "rating": None,
                     "answers": {"aims": "no"}})
    rows = entry_rows(plain)
    assert [(r.key, r.label) for r in rows] == [
        ("field:author_year", "author_year"), ("field:format", "format"),
        ("field:design", "design"), ("extract:1", "Extract 1: belonging"),
        ("extract:2", "Extract 2: safe"),
        ("quality:aims", "Quality: aims")]
    assert rows[-1].value == "no"
