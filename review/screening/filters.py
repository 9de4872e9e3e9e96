"""Filters over the review's works (duplicate groups): by stage, state, one's own decision,
label, source, year range and words, as SQLAlchemy Core on the declared tables, so the Records
page, the bulk actions and `review export-references` select exactly the same set.

Blinding is kept in the query, as in review.screening.votes: a person filters by their own
decision only; a plain reviewer cannot tell a conflict from a record still waiting (both are
"pending" to them, as in their My votes list), and sees only their own labels
(review.screening.labels.visible_to). `who=None` is the command line's operator, who holds the
database itself and sees every state and every label, but has no decision of their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import AccessError, Reviewer
from review.errors import ReviewError
from review.project import review_protocol
from review.protocol import Protocol
from review.records import fold
from review.screening.labels import visible_to
from review.screening.state import (
    CONFLICT,
    DECIDED,
    DECISIONS,
    EXCLUDE,
    INCLUDE,
    NOT_RETRIEVED,
    OPEN,
)
from review.screening.votes import screener, stage_of
from review.store import Store
from review.store import schema as t

ALL, PENDING, INCLUDED, EXCLUDED, CONFLICTS = "all", "pending", "included", "excluded", "conflict"
STATES = (ALL, PENDING, INCLUDED, EXCLUDED, CONFLICTS)
NOT_VOTED = "none"
MY_DECISIONS = (*DECISIONS, NOT_VOTED)
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Filter:
    """What to show; every part optional. `stage` None is the first stage; `mine` is the
    person's own decision there (include, exclude, maybe, or none: not voted yet)."""

    stage: str | None = None
    state: str = ALL
    mine: str | None = None
    label: str | None = None
    source: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    words: str = ""

    def check(self) -> None:
        if self.state not in STATES:
            raise ReviewError(f"unknown state {self.state!r}; choose one of "
                              + ", ".join(STATES))
        if self.mine is not None and self.mine not in MY_DECISIONS:
            raise ReviewError(f"unknown decision {self.mine!r}; choose one of "
                              + ", ".join(MY_DECISIONS))
        if (self.year_from is not None and self.year_to is not None
                and self.year_from > self.year_to):
            raise ReviewError(f"the year range {self.year_from}-{self.year_to} is empty: the "
                              "first year comes after the last")


@dataclass(frozen=True, slots=True)
class Selection:
    """The works a filter selects at its stage: group ids and the record id each is named by
    (the duplicate group's kept record), in group order."""

    stage: str
    groups: list[int] = field(default_factory=list)
    records: list[int] = field(default_factory=list)


def _person(store: Store, conn: Connection, who: str | Reviewer | None) -> Reviewer | None:
    return None if who is None else screener(store, conn, who)


def _where(store: Store, conn: Connection, protocol: Protocol, person: Reviewer | None,
           f: Filter) -> tuple[str, list[Any]]:
    f.check()
    stage_id = stage_of(protocol, f.stage).id
    state, records, decisions = t.screening_state, t.records, t.decisions
    where: list[Any] = [state.c.stage == stage_id]
    sees_conflicts = person is None or person.can_resolve
    if f.state == PENDING:
        where.append(state.c.state == OPEN if sees_conflicts
                     else state.c.state.in_((OPEN, CONFLICT)))
    elif f.state == CONFLICTS:
        if not sees_conflicts:
            raise AccessError("only a lead or a third reviewer filters by conflict: to a "
                              "reviewer, a record in conflict is still pending (blinding)")
        where.append(state.c.state == CONFLICT)
    elif f.state in (INCLUDED, EXCLUDED):
        where += [state.c.state == DECIDED,
                  state.c.outcome == (INCLUDE if f.state == INCLUDED else EXCLUDE)]
    if f.mine is not None:
        if person is None:
            raise ReviewError("filtering by one's own decision needs a signed-in reviewer")
        mine = sa.select(decisions.c.decision).where(
            decisions.c.group_id == state.c.group_id, decisions.c.stage == stage_id,
            decisions.c.reviewer_id == person.id)
        where.append(~sa.exists(mine) if f.mine == NOT_VOTED
                     else sa.exists(mine.where(decisions.c.decision == f.mine)))
    if f.label:
        labels = t.labels
        named = sa.select(labels.c.id).where(
            labels.c.group_id == state.c.group_id,
            sa.func.lower(labels.c.label) == " ".join(f.label.split()).lower())
        if person is not None:
            named = named.where(visible_to(person))
        where.append(sa.exists(named))
    members = t.record_groups
    if f.source:
        # through records_by_source and the record_groups key: no record itself is read
        sources = t.sources
        where.append(state.c.group_id.in_(
            sa.select(members.c.group_id).where(members.c.record_id.in_(
                sa.select(records.c.id).where(records.c.source_id.in_(
                    sa.select(sources.c.id).where(sources.c.name == f.source)))))))
    if f.year_from is not None or f.year_to is not None:
        # the kept record's year through its index: no read of the records themselves
        years = sa.select(records.c.id)
        if f.year_from is not None:
            years = years.where(records.c.year >= f.year_from)
        if f.year_to is not None:
            years = years.where(records.c.year <= f.year_to)
        groups = t.duplicate_groups
        where.append(state.c.group_id.in_(
            sa.select(groups.c.id).where(groups.c.kept_record_id.in_(years))))
    copy = records.alias("copy")
    # the abstract in lower case, as the words are: SQLite's LIKE already ignores the case of
    # ASCII letters and its lower() changes no other, so there the abstract is compared as
    # stored (the same matches, without lower-casing 50,000 abstracts for every word)
    abstract = (copy.c.abstract if conn.dialect.name == "sqlite"
                else sa.func.lower(copy.c.abstract))
    for word in fold(f.words or "").split():
        pattern = f"%{word.replace('%', '').replace('_', '')}%"
        where.append(sa.exists(
            sa.select(members.c.record_id)
            .join(copy, copy.c.id == members.c.record_id)
            .where(members.c.group_id == state.c.group_id,
                   sa.or_(copy.c.search_text.like(pattern), abstract.like(pattern)))))
    return stage_id, where


def _matching(conn: Connection, where: list[Any]) -> list[int]:
    """The selected works' group ids, in order: one query over screening_state and the
    filters' subqueries, so a count and a page of rows cost one evaluation of the filter."""
    state = t.screening_state
    return [g for (g,) in conn.execute(sa.select(state.c.group_id).where(*where)
                                       .order_by(state.c.group_id))]


def select(store: Store, conn: Connection, who: str | Reviewer | None, f: Filter,
           protocol: Protocol | None = None) -> Selection:
    """The works the filter selects, inside the caller's transaction (bulk actions)."""
    protocol = protocol or review_protocol(store, conn)
    person = _person(store, conn, who)
    stage_id, where = _where(store, conn, protocol, person, f)
    ids = _matching(conn, where)
    groups = t.duplicate_groups
    kept: dict[int, int] = {}
    for part in chunks(ids):
        kept.update(conn.execute(sa.select(groups.c.id, groups.c.kept_record_id)
                                 .where(groups.c.id.in_(part))).all())
    return Selection(stage_id, ids, [kept[g] for g in ids])


def count(store: Store, who: str | Reviewer | None, f: Filter) -> int:
    return len(matching(store, who, f))


def _shown_state(person: Reviewer | None, state: str, outcome: str | None) -> str:
    if state == DECIDED:
        return INCLUDED if outcome == INCLUDE else EXCLUDED
    if state == NOT_RETRIEVED:
        return "not retrieved"
    if state == CONFLICT and (person is None or person.can_resolve):
        return CONFLICTS
    return PENDING


def rows(store: Store, who: str | Reviewer | None, f: Filter, *, limit: int | None = None,
         offset: int = 0) -> list[dict[str, Any]]:
    """One row per selected work, in group order (see `page`)."""
    return page(store, who, f, limit=limit, offset=offset)[1]


def page(store: Store, who: str | Reviewer | None, f: Filter, *, limit: int | None = None,
         offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    """How many works the filter selects, and a page of them (see `describe`)."""
    ids = matching(store, who, f)
    chosen = ids[offset:] if limit is None else ids[offset:offset + limit]
    return len(ids), describe(store, who, f.stage, chosen)


def matching(store: Store, who: str | Reviewer | None, f: Filter) -> list[int]:
    """The group ids of the works the filter selects, in order (one evaluation of it)."""
    with store.read() as conn:
        protocol = review_protocol(store, conn)
        person = _person(store, conn, who)
        return _matching(conn, _where(store, conn, protocol, person, f)[1])


def describe(store: Store, who: str | Reviewer | None, stage: str | None,
             ids: Sequence[int]) -> list[dict[str, Any]]:
    """One row per work (group id), in the order given: its record id, year, authors, title,
    journal, state at the stage as this person may see it, whether automation decided it,
    their own decision, and the labels they may see (a lead's view names whose label it is
    when it is not their own)."""
    state, groups, records, decisions = (t.screening_state, t.duplicate_groups, t.records,
                                         t.decisions)
    with store.read() as conn:
        protocol = review_protocol(store, conn)
        person = _person(store, conn, who)
        stage_id = stage_of(protocol, stage).id
        details: dict[int, dict[str, Any]] = {}
        mine: dict[int, str] = {}
        marks: dict[int, list[str]] = defaultdict(list)
        labels, reviewers = t.labels, t.reviewers
        for chunk in chunks(ids):
            details.update((r["group_id"], dict(r)) for r in conn.execute(
                sa.select(state.c.group_id, groups.c.kept_record_id.label("record_id"),
                          records.c.year, records.c.authors, records.c.title,
                          records.c.journal, state.c.state, state.c.outcome,
                          state.c.decided_by)
                .join(groups, groups.c.id == state.c.group_id)
                .join(records, records.c.id == groups.c.kept_record_id)
                .where(state.c.stage == stage_id, state.c.group_id.in_(chunk))).mappings())
            if person is not None:
                mine.update(conn.execute(sa.select(decisions.c.group_id, decisions.c.decision)
                                         .where(decisions.c.group_id.in_(chunk),
                                                decisions.c.stage == stage_id,
                                                decisions.c.reviewer_id == person.id)).all())
            query = (sa.select(labels.c.group_id, labels.c.label, labels.c.reviewer_id,
                               reviewers.c.name)
                     .join(reviewers, reviewers.c.id == labels.c.reviewer_id)
                     .where(labels.c.group_id.in_(chunk)).order_by(labels.c.id))
            if person is not None:
                query = query.where(visible_to(person))
            for r in conn.execute(query):
                own = person is not None and r.reviewer_id == person.id
                marks[r.group_id].append(r.label if own else f"{r.label} ({r.name})")
    found = []
    for group_id in ids:
        if group_id not in details:
            continue  # gone from the stage since it was selected
        row = details[group_id]
        row["state"] = _shown_state(person, row["state"], row.pop("outcome"))
        row["by_automation"] = row.pop("decided_by") == "automation"
        row["my_decision"] = mine.get(group_id, "")
        row["labels"] = marks.get(group_id, [])
        row["stage"] = stage_id
        found.append(row)
    return found


def sources(store: Store) -> list[str]:
    """Source names to filter by, in import order."""
    table = t.sources
    with store.read() as conn:
        names = [n for (n,) in conn.execute(sa.select(table.c.name).order_by(table.c.id))]
    return list(dict.fromkeys(names))


def undeduplicated(store: Store) -> int:
    """Imported records not in any duplicate group yet: they are in no filter's set."""
    records, members = t.records, t.record_groups
    with store.read() as conn:  # every group member is a record: two counts, no scan
        stored = conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one()
        grouped = conn.execute(sa.select(sa.func.count()).select_from(members)).scalar_one()
        return int(stored - grouped)


def chunks(ids: Sequence[int], size: int = _CHUNK) -> list[Sequence[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]
