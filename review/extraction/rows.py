"""An extraction entry as rows to read (fields, coded themes with quote and location, quality
answers, the rating), in one place so the command line and the Extraction page list an entry
alike. Rows are keyed as the comparison keys them (field:ID, theme:ID, quality:ID, rating)."""

from __future__ import annotations

from dataclasses import dataclass

from review.extraction.entries import Entry, Form, shown_value


@dataclass(frozen=True, slots=True)
class EntryRow:
    key: str  # field:ID, theme:ID, quality:ID or rating
    label: str  # the form's wording where a form is given, else the id
    value: str  # one line of text (a theme: "quote (location)")


def entry_rows(entry: Entry, form: Form | None = None) -> list[EntryRow]:
    """The entry's rows in the order it holds them. With the form, labels are what people
    read (the field's label, the theme's, the checklist's question); without it, the ids."""
    fields = {f.id: f.label for f in form.fields} if form else {}
    themes = {t.id.casefold(): t.label for t in form.themes} if form else {}
    checklist = form.checklist_of(entry.values) if form else None
    questions = dict(checklist.questions) if checklist else {}
    rows = [EntryRow(f"field:{k}", fields.get(k, k), shown_value(v))
            for k, v in entry.values.items()]
    rows += [EntryRow(f"theme:{k}", f"Theme: {themes.get(k.casefold(), k)}", shown_value(c))
             for k, c in entry.themes.items()]
    rows += [EntryRow(f"quality:{k}", f"Quality: {questions.get(k, k)}", a)
             for k, a in entry.answers.items()]
    if entry.rating:
        rows.append(EntryRow("rating", "Quality rating", entry.rating))
    return rows
