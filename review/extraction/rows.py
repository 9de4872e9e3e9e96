"""An extraction entry as rows to read (fields, coded extracts, quality answers, the rating), in
one place so the command line and the Extraction page list an entry alike. Rows are keyed
field:ID, extract:N (the extract's number in the entry, from 1: what `review extract
--remove-extract N` takes), quality:ID and rating."""

from __future__ import annotations

from dataclasses import dataclass

from review.extraction.entries import Entry, Form, shown_extract, shown_value


@dataclass(frozen=True, slots=True)
class EntryRow:
    key: str  # field:ID, extract:N, quality:ID or rating
    label: str  # the form's wording where a form is given, else the id
    value: str  # one line of text (an extract: "quote (location; voice; sub-theme: ...)")


def entry_rows(entry: Entry, form: Form | None = None) -> list[EntryRow]:
    """The entry's rows in the order it holds them. With the form, labels are what people
    read (the field's label, the theme's, the checklist's question); without it, the ids."""
    fields = {f.id: f.label for f in form.fields} if form else {}
    themes = {t.id.casefold(): form.theme_path(t.id) for t in form.themes} if form else {}
    checklist = form.checklist_of(entry.values) if form else None
    questions = dict(checklist.questions) if checklist else {}
    rows = [EntryRow(f"field:{k}", fields.get(k, k), shown_value(v))
            for k, v in entry.values.items()]
    rows += [EntryRow(f"extract:{n}",
                      f"Extract {n}: {themes.get(e.theme_id.casefold(), e.theme_id)}",
                      shown_extract(e)) for n, e in enumerate(entry.extracts, start=1)]
    rows += [EntryRow(f"quality:{k}", f"Quality: {questions.get(k, k)}", a)
             for k, a in entry.answers.items()]
    if entry.rating:
        rows.append(EntryRow("rating", "Quality rating", entry.rating))
    return rows
