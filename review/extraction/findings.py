"""Review findings of a qualitative evidence synthesis: a lead's statement of what the included
studies show on one theme, the studies that contribute to it and, read from their final
extraction entries, the extracts (quote and location) behind it. How much confidence the
finding deserves (GRADE-CERQual) is judged in review.extraction.cerqual.

Decisions made here:

- Findings are written by leads only (an extractor codes; the synthesis is the review team's
  judgement, signed by a lead). Every change is appended to the audit log with what it was
  before.
- A finding belongs to one theme of the review (the protocol's or one a lead added); a
  statement spanning themes is written under the theme it mainly answers.
- Only included studies can be linked. A study that later drops out of the included set
  (a full-text decision changed) stays linked but is listed apart (`dropped`) and is left out
  of the tables, so the lead sees it and re-judges.
- The extracts behind a finding are never typed twice: they are the extracts coded under its
  theme in the linked studies' final entries (for an analytical theme, also those coded under
  its descriptive themes), each with its voice and sub-theme. A linked study without a final
  entry has no extracts yet.
- Judgements remember which studies were linked when they were made; a finding whose studies
  changed since, or whose components were judged again after the overall confidence, is
  flagged for reassessment (`reassess`), not silently kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer, authorise, is_lead
from review.errors import ReviewError
from review.extraction.entries import extraction_form, final_entries
from review.extraction.studies import included_study_ids, list_studies
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit

__all__ = ["OVERALL", "Extract", "Finding", "Judgement", "add_finding", "as_lead",
           "edit_finding", "finding_row", "findings_in", "get_finding", "link_studies",
           "list_findings", "remove_finding", "set_studies", "unlink_studies"]

OVERALL = "overall"
MAX_STATEMENT = 2000
ONLY_LEADS = "only a lead writes review findings"


@dataclass(frozen=True, slots=True)
class Judgement:
    component: str  # a CERQual component, or "overall"
    level: str  # a concern (none, minor, moderate, serious) or a confidence (high ... very low)
    explanation: str
    study_ids: tuple[int, ...]  # the studies linked when it was judged
    judged_by: str
    judged_at: str


@dataclass(frozen=True, slots=True)
class Extract:
    """An extract behind a finding: a study's coded extract (review.extraction.entries)."""

    study_id: int
    quote: str
    location: str
    voice: str | None = None  # participant, author; None: not recorded
    sub_theme: str = ""
    theme_id: str = ""  # the theme it is coded under (the finding's, or one below it)


@dataclass(frozen=True, slots=True)
class Finding:
    id: int
    theme_id: str
    theme_label: str
    kind: str
    statement: str
    studies: tuple[int, ...]  # included studies linked to it, by study id
    dropped: tuple[int, ...] = ()  # linked studies no longer included
    extracts: tuple[Extract, ...] = ()
    judgements: dict[str, Judgement] = field(default_factory=dict)
    updated_by: str = ""
    updated_at: str = ""

    @property
    def overall(self) -> Judgement | None:
        return self.judgements.get(OVERALL)

    @property
    def reassess(self) -> tuple[str, ...]:
        """Why the judgements may no longer fit the finding (empty: they fit)."""
        reasons: list[str] = []
        overall = self.overall
        if overall is None:
            return ()
        if set(overall.study_ids) != set(self.studies):
            reasons.append("its studies changed since the overall confidence was judged")
        if any(j.judged_at > overall.judged_at
               for c, j in self.judgements.items() if c != OVERALL):
            reasons.append("a component was judged again after the overall confidence")
        return tuple(reasons)


def as_lead(store: Store, conn: Connection, by: str | Reviewer) -> str:
    return authorise(store, conn, by, is_lead, ONLY_LEADS, named=True)


def _statement(text: str) -> str:
    statement = " ".join((text or "").split())
    if not statement:
        raise ReviewError("a finding needs a statement: what the studies show, in a sentence "
                          "or two")
    if len(statement) > MAX_STATEMENT:
        raise ReviewError(f"a finding's statement is at most {MAX_STATEMENT} characters "
                          f"(got {len(statement)}); keep the detail in the explanation")
    return statement


def finding_row(conn: Connection, finding_id: int) -> sa.Row:
    row = conn.execute(sa.select(t.findings).where(t.findings.c.id == finding_id)).first()
    if row is None:
        raise ReviewError(f"no finding {finding_id}; 'review findings' lists them")
    return row


def _check_studies(store: Store, conn: Connection, study_ids: Iterable[int]) -> list[int]:
    included = included_study_ids(store, conn)
    wanted = list(dict.fromkeys(study_ids))
    for study_id in wanted:
        if study_id not in included:
            raise ReviewError(f"study {study_id} is not an included study; only included "
                              "studies contribute to a finding ('review studies' lists them)")
    return wanted


def findings_in(store: Store, conn: Connection,
                ids: Iterable[int] | None = None) -> list[Finding]:
    """The findings (all, or these ids) as of this transaction."""
    form = extraction_form(store, conn)
    order = {theme.id: i for i, theme in enumerate(form.themes)}
    themes = {theme.id: theme for theme in form.themes}
    query = sa.select(t.findings)
    if ids is not None:
        query = query.where(t.findings.c.id.in_(list(ids)))
    rows = conn.execute(query).all()
    links = t.finding_studies
    linked: dict[int, list[int]] = {}
    for r in conn.execute(sa.select(links.c.finding_id, links.c.study_id)
                          .order_by(links.c.study_id)):
        linked.setdefault(r.finding_id, []).append(r.study_id)
    judged: dict[int, dict[str, Judgement]] = {}
    for r in conn.execute(sa.select(t.cerqual_judgements)):
        judged.setdefault(r.finding_id, {})[r.component] = Judgement(
            r.component, r.level, r.explanation, tuple(r.study_ids), r.judged_by, r.judged_at)
    included = included_study_ids(store, conn)
    finals = final_entries(store, conn, form)
    found = []
    for r in rows:
        studies = [s for s in linked.get(r.id, []) if s in included]
        below = {r.theme_id} | {child.id for child in form.children(r.theme_id)}
        extracts = []
        for study_id in studies:
            entry = finals.get(study_id)
            for coded in entry.extracts if entry is not None else ():
                if coded.theme_id in below:
                    extracts.append(Extract(study_id, coded.quote, coded.location,
                                            coded.voice, coded.sub_theme, coded.theme_id))
        theme = themes.get(r.theme_id)
        found.append(Finding(
            r.id, r.theme_id, theme.label if theme else r.theme_id,
            theme.kind if theme else "", r.statement, tuple(studies),
            tuple(s for s in linked.get(r.id, []) if s not in included), tuple(extracts),
            judged.get(r.id, {}), r.updated_by, r.updated_at))
    found.sort(key=lambda f: (order.get(f.theme_id, len(order)), f.id))
    return found


def list_findings(store: Store) -> list[Finding]:
    """Every finding, in the order of the review's themes, then as written."""
    list_studies(store)  # every included report has its study
    with store.read() as conn:
        return findings_in(store, conn)


def get_finding(store: Store, finding_id: int) -> Finding:
    list_studies(store)
    with store.read() as conn:
        finding_row(conn, finding_id)
        return findings_in(store, conn, [finding_id])[0]


def _link(store: Store, conn: Connection, finding_id: int, study_ids: list[int],
          actor: str) -> list[int]:
    links = t.finding_studies
    have = {s for (s,) in conn.execute(sa.select(links.c.study_id).where(
        links.c.finding_id == finding_id))}
    new = [s for s in study_ids if s not in have]
    if new:
        now = utc_now()
        conn.execute(links.insert(), [{"finding_id": finding_id, "study_id": s,
                                       "linked_by": actor, "linked_at": now} for s in new])
    return new


def _touch(conn: Connection, finding_id: int, actor: str) -> None:
    conn.execute(t.findings.update().where(t.findings.c.id == finding_id).values(
        updated_by=actor, updated_at=utc_now()))


def add_finding(store: Store, theme: str, statement: str, *, by: str | Reviewer,
                studies: Iterable[int] = ()) -> Finding:
    """Write a new finding under a theme, with the included studies behind it (leads only)."""
    list_studies(store)
    with store.write() as conn:
        actor = as_lead(store, conn, by)
        theme_id = extraction_form(store, conn).theme(theme).id
        text = _statement(statement)
        study_ids = _check_studies(store, conn, studies)
        now = utc_now()
        finding_id = conn.execute(t.findings.insert().values(
            theme_id=theme_id, statement=text, created_by=actor, created_at=now,
            updated_by=actor, updated_at=now).returning(t.findings.c.id)).scalar_one()
        _link(store, conn, finding_id, study_ids, actor)
        audit(store, conn, actor=actor, action="add finding", entity="finding",
              entity_id=str(finding_id), detail={"theme": theme_id, "statement": text,
                                                 "studies": study_ids})
        return findings_in(store, conn, [finding_id])[0]


def edit_finding(store: Store, finding_id: int, *, by: str | Reviewer,
                 statement: str | None = None, theme: str | None = None) -> Finding:
    """Change a finding's statement or theme (leads only); its judgements stay, dated."""
    if statement is None and theme is None:
        raise ReviewError("nothing to change: give a new statement or theme")
    list_studies(store)
    with store.write() as conn:
        actor = as_lead(store, conn, by)
        row = finding_row(conn, finding_id)
        values: dict[str, str] = {}
        if statement is not None:
            values["statement"] = _statement(statement)
        if theme is not None:
            values["theme_id"] = extraction_form(store, conn).theme(theme).id
        before = {k: getattr(row, k) for k in values}
        conn.execute(t.findings.update().where(t.findings.c.id == finding_id).values(
            updated_by=actor, updated_at=utc_now(), **values))
        audit(store, conn, actor=actor, action="edit finding", entity="finding",
              entity_id=str(finding_id), detail={"before": before, "after": values})
        return findings_in(store, conn, [finding_id])[0]


def remove_finding(store: Store, finding_id: int, *, by: str | Reviewer) -> None:
    """Delete a finding with its links and judgements (leads only); the audit log keeps what
    it said."""
    with store.write() as conn:
        actor = as_lead(store, conn, by)
        finding_row(conn, finding_id)
        gone = findings_in(store, conn, [finding_id])[0]
        for table in (t.cerqual_judgements, t.finding_studies):
            conn.execute(table.delete().where(table.c.finding_id == finding_id))
        conn.execute(t.findings.delete().where(t.findings.c.id == finding_id))
        audit(store, conn, actor=actor, action="remove finding", entity="finding",
              entity_id=str(finding_id), detail={
                  "theme": gone.theme_id, "statement": gone.statement,
                  "studies": list(gone.studies + gone.dropped),
                  "judgements": {c: {"level": j.level, "explanation": j.explanation}
                                 for c, j in gone.judgements.items()}})


@contextmanager
def _editing_links(store: Store, finding_id: int, by: str | Reviewer
                   ) -> Iterator[tuple[Connection, str]]:
    """The opening every change of a finding's studies shares: the studies made current, then
    one write as a lead on a finding that exists."""
    list_studies(store)
    with store.write() as conn:
        actor = as_lead(store, conn, by)
        finding_row(conn, finding_id)
        yield conn, actor


def _links_changed(store: Store, conn: Connection, finding_id: int, actor: str, action: str,
                   detail: dict[str, list[int]]) -> None:
    _touch(conn, finding_id, actor)
    audit(store, conn, actor=actor, action=action, entity="finding", entity_id=str(finding_id),
          detail=detail)


def link_studies(store: Store, finding_id: int, study_ids: Iterable[int], *,
                 by: str | Reviewer) -> Finding:
    """Add included studies to those behind a finding (leads only)."""
    with _editing_links(store, finding_id, by) as (conn, actor):
        wanted = _check_studies(store, conn, study_ids)
        if not wanted:
            raise ReviewError("name at least one study to link")
        new = _link(store, conn, finding_id, wanted, actor)
        if new:
            _links_changed(store, conn, finding_id, actor, "link finding studies",
                           {"added": new})
        return findings_in(store, conn, [finding_id])[0]


def unlink_studies(store: Store, finding_id: int, study_ids: Iterable[int], *,
                   by: str | Reviewer) -> Finding:
    """Take studies out of those behind a finding (leads only)."""
    links = t.finding_studies
    with _editing_links(store, finding_id, by) as (conn, actor):
        have = {s for (s,) in conn.execute(sa.select(links.c.study_id).where(
            links.c.finding_id == finding_id))}
        gone = list(dict.fromkeys(study_ids))
        if not gone:
            raise ReviewError("name at least one study to take out")
        for study_id in gone:
            if study_id not in have:
                raise ReviewError(f"study {study_id} is not linked to finding {finding_id}")
        conn.execute(links.delete().where(links.c.finding_id == finding_id,
                                          links.c.study_id.in_(gone)))
        _links_changed(store, conn, finding_id, actor, "unlink finding studies",
                       {"removed": gone})
        return findings_in(store, conn, [finding_id])[0]


def set_studies(store: Store, finding_id: int, study_ids: Iterable[int], *,
                by: str | Reviewer) -> Finding:
    """Make these the studies behind a finding (the app's multi-select); leads only."""
    links = t.finding_studies
    with _editing_links(store, finding_id, by) as (conn, actor):
        wanted = _check_studies(store, conn, study_ids)
        have = [s for (s,) in conn.execute(sa.select(links.c.study_id).where(
            links.c.finding_id == finding_id).order_by(links.c.study_id))]
        gone = [s for s in have if s not in wanted]
        if gone:
            conn.execute(links.delete().where(links.c.finding_id == finding_id,
                                              links.c.study_id.in_(gone)))
        new = _link(store, conn, finding_id, wanted, actor)
        if new or gone:
            _links_changed(store, conn, finding_id, actor, "set finding studies",
                           {"added": new, "removed": gone})
        return findings_in(store, conn, [finding_id])[0]
