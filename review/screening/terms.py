"""Each reviewer's own highlight terms: words they want marked while screening, beside the
protocol's. Private to the person (they only draw that reviewer's eye and decide nothing), kept
in `highlight_terms`, one row per person, and written to the audit log when changed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from review.accounts import Reviewer
from review.errors import ReviewError
from review.protocol import Highlight, terms_regex
from review.screening.votes import screener
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit

__all__ = ["MAX_TERM_LENGTH", "MAX_TERMS", "Highlight", "Marks", "my_terms", "parse_terms",
           "set_my_terms"]

MAX_TERMS = 200  # per list: more would mark most of an abstract and help no one
MAX_TERM_LENGTH = 100
_SPLIT = re.compile(r"[\n;,]+")


@dataclass(frozen=True, slots=True)
class Marks:
    """What the Screen page marks: the protocol's terms and the reviewer's own, as one include
    pattern and one exclude pattern (None: nothing to mark)."""

    protocol: Highlight
    mine: Highlight

    @property
    def include_regex(self) -> re.Pattern[str] | None:
        return terms_regex(_union(self.protocol.include_terms, self.mine.include_terms))

    @property
    def exclude_regex(self) -> re.Pattern[str] | None:
        return terms_regex(_union(self.protocol.exclude_terms, self.mine.exclude_terms))

    @property
    def any(self) -> bool:
        return bool(self.protocol.include_terms or self.protocol.exclude_terms
                    or self.mine.include_terms or self.mine.exclude_terms)


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    seen = {term.casefold() for term in first}
    return first + tuple(term for term in second if term.casefold() not in seen)


def parse_terms(text: str, what: str = "term") -> tuple[str, ...]:
    """Terms typed in a box: one per line (commas and semicolons also separate them), blanks
    and repeats (any case) dropped, spacing inside a term tidied. A term needs a letter or a
    digit; `*` stands for any ending, as in the protocol (moderat*)."""
    found: list[str] = []
    seen: set[str] = set()
    for raw in _SPLIT.split(text or ""):
        term = " ".join(raw.split())
        if not term:
            continue
        if not re.search(r"[^\W_]", term):
            raise ReviewError(f"{what} {term!r} needs a letter or digit")
        if len(term) > MAX_TERM_LENGTH:
            raise ReviewError(f"{what} {term[:30]!r}... is longer than {MAX_TERM_LENGTH} "
                              "characters")
        if term.casefold() not in seen:
            seen.add(term.casefold())
            found.append(term)
    if len(found) > MAX_TERMS:
        raise ReviewError(f"at most {MAX_TERMS} {what}s per list (got {len(found)})")
    return tuple(found)


def my_terms(store: Store, reviewer: str | Reviewer) -> Highlight:
    """This reviewer's own include and exclude terms (none until they add some)."""
    table = t.highlight_terms
    with store.read() as conn:
        person = screener(store, conn, reviewer)
        row = conn.execute(sa.select(table.c.include_terms, table.c.exclude_terms).where(
            table.c.reviewer_id == person.id)).first()
    if row is None:
        return Highlight()
    return Highlight(tuple(row.include_terms), tuple(row.exclude_terms))


def set_my_terms(store: Store, reviewer: str | Reviewer, include: Iterable[str],
                 exclude: Iterable[str]) -> Highlight:
    """Replace this reviewer's own terms; each list is checked as parse_terms checks typed
    text. Returns what was kept."""
    include_terms = parse_terms("\n".join(include), "include term")
    exclude_terms = parse_terms("\n".join(exclude), "exclude term")
    table = t.highlight_terms
    with store.write() as conn:
        person = screener(store, conn, reviewer)
        before = conn.execute(sa.select(table.c.include_terms, table.c.exclude_terms).where(
            table.c.reviewer_id == person.id)).first()
        values = {"include_terms": list(include_terms), "exclude_terms": list(exclude_terms),
                  "updated_at": utc_now()}
        if before is None:
            conn.execute(table.insert().values(reviewer_id=person.id, **values))
        elif (list(before.include_terms), list(before.exclude_terms)) == (
                values["include_terms"], values["exclude_terms"]):
            return Highlight(include_terms, exclude_terms)
        else:
            conn.execute(table.update().where(table.c.reviewer_id == person.id).values(**values))
        audit(store, conn, actor=person.name, action="set highlight terms", entity="reviewer",
              entity_id=str(person.id), detail={"include": list(include_terms),
                                                "exclude": list(exclude_terms)})
    return Highlight(include_terms, exclude_terms)
