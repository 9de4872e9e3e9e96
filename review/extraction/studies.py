"""Studies and their reports. Screening decides on reports (duplicate groups); extraction and
the PRISMA "studies included" box count studies, and one study may have several reports (a
main paper, a follow-up, a thesis). Every report included at the final stage gets a study of
its own; a lead then links companion reports into one study.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer, authorise, is_lead
from review.errors import ReviewError
from review.project import review_protocol
from review.screening.state import DECIDED, INCLUDE, group_for_record
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit


@dataclass(frozen=True, slots=True)
class Study:
    id: int
    label: str
    reports: tuple[int, ...]  # group ids, oldest first
    records: tuple[int, ...]  # the kept record of each report (the ids people use)


def included_reports(store: Store, conn: Connection) -> list[int]:
    """Groups included at the protocol's final stage."""
    final = review_protocol(store, conn).final_stage.id
    state = t.screening_state
    return [g for (g,) in conn.execute(
        sa.select(state.c.group_id).where(state.c.stage == final, state.c.state == DECIDED,
                                          state.c.outcome == INCLUDE)
        .order_by(state.c.group_id))]


def _label(store: Store, conn: Connection, group_id: int) -> str:
    groups, records = t.duplicate_groups, t.records
    row = conn.execute(sa.select(records.c.authors, records.c.year, records.c.title)
                       .join(groups, groups.c.kept_record_id == records.c.id)
                       .where(groups.c.id == group_id)).one()
    surname = row.authors[0].split(" ")[0] if row.authors else (row.title or "Untitled")[:30]
    return f"{surname} {row.year or 'n.d.'}"


def _ensure(store: Store, conn: Connection, *, actor: str) -> None:
    """Give every included report without a study a study of its own."""
    links, studies = t.study_reports, t.studies
    linked = {g for (g,) in conn.execute(sa.select(links.c.group_id))}
    now = utc_now()
    for group_id in included_reports(store, conn):
        if group_id in linked:
            continue
        study_id = conn.execute(studies.insert().values(
            label=_label(store, conn, group_id), created_at=now, created_by=actor)
            .returning(studies.c.id)).scalar_one()
        conn.execute(links.insert().values(group_id=group_id, study_id=study_id,
                                           linked_by=actor, linked_at=now))


def list_studies(store: Store, *, actor: str = "review") -> list[Study]:
    """The included studies, each with its reports (a report no longer included drops out)."""
    with store.write() as conn:
        _ensure(store, conn, actor=actor)
        included = set(included_reports(store, conn))
        found = _studies_in(store, conn)
    result = []
    for study in found:
        keep = [(g, r) for g, r in zip(study.reports, study.records, strict=True)
                if g in included]
        if keep:
            result.append(Study(study.id, study.label, tuple(g for g, _ in keep),
                                tuple(r for _, r in keep)))
    return result


def link_report(store: Store, record_id: int, study_id: int, *,
                actor: str | Reviewer) -> Study:
    """Make the report that record_id belongs to a report of study_id. A study left without
    reports is removed, unless data were already extracted for it (then it must be moved
    first, so no extraction is lost)."""
    links, studies = t.study_reports, t.studies
    with store.write() as conn:
        actor = authorise(store, conn, actor, is_lead,
                          "only a lead links reports into studies")
        _ensure(store, conn, actor=actor)
        group_id = group_for_record(store, conn, record_id)
        if group_id not in set(included_reports(store, conn)):
            raise ReviewError(f"record {record_id} is not an included report")
        if conn.execute(sa.select(studies.c.id).where(studies.c.id == study_id)).first() is None:
            raise ReviewError(f"no study {study_id}; 'review studies' lists them")
        old = conn.execute(sa.select(links.c.study_id).where(links.c.group_id == group_id)
                           ).scalar_one()
        if old == study_id:
            return next(s for s in _studies_in(store, conn) if s.id == study_id)
        left = conn.execute(sa.select(sa.func.count()).select_from(links).where(
            links.c.study_id == old)).scalar_one()
        if left == 1 and _has_extraction(store, conn, old):
            raise ReviewError(f"study {old} has extracted data and no other report; move its "
                              "data first")
        conn.execute(links.update().where(links.c.group_id == group_id).values(
            study_id=study_id, linked_by=actor, linked_at=utc_now()))
        if left == 1:
            conn.execute(studies.delete().where(studies.c.id == old))
        audit(store, conn, actor=actor, action="link report to study", entity="study",
              entity_id=str(study_id), detail={"record": record_id, "group": group_id,
                                               "from_study": old})
        return next(s for s in _studies_in(store, conn) if s.id == study_id)


def _studies_in(store: Store, conn: Connection) -> list[Study]:
    links, studies, groups = t.study_reports, t.studies, t.duplicate_groups
    rows = conn.execute(sa.select(studies.c.id, studies.c.label, links.c.group_id,
                                  groups.c.kept_record_id)
                        .join(links, links.c.study_id == studies.c.id)
                        .join(groups, groups.c.id == links.c.group_id)
                        .order_by(studies.c.id, links.c.group_id)).all()
    found: dict[int, tuple[str, list[int], list[int]]] = {}
    for row in rows:
        entry = found.setdefault(row.id, (row.label, [], []))
        entry[1].append(row.group_id)
        entry[2].append(row.kept_record_id)
    return [Study(sid, label, tuple(g), tuple(r)) for sid, (label, g, r) in found.items()]


def included_study_ids(store: Store, conn: Connection) -> set[int]:
    """The studies with at least one included report, within a transaction (studies for newly
    included reports are made by list_studies, which a caller runs first)."""
    included = set(included_reports(store, conn))
    return {s.id for s in _studies_in(store, conn) if any(g in included for g in s.reports)}


def _has_extraction(store: Store, conn: Connection, study_id: int) -> bool:
    """Whether any table of extracted data refers to the study (tables with a study_id
    column, so extraction tables added later are covered without changing this)."""
    for table in t.metadata.sorted_tables:
        if table is not t.study_reports and "study_id" in table.c:
            if conn.execute(sa.select(table.c.study_id).where(
                    table.c.study_id == study_id).limit(1)).first():
                return True
    return False


def study_counts(store: Store) -> tuple[int, int]:
    """(studies included, reports of included studies), as PRISMA 2020 reports them."""
    found = list_studies(store)
    return len(found), sum(len(s.reports) for s in found)
