"""Amending the protocol during a review: a new exclusion reason, a reworded criterion, a theme
for the extraction form. Reviews registered with PROSPERO amend their protocols, and a tool
that can only start over would push a team to edit the database by hand.

Only a lead amends. The new text must keep what data already recorded stands on: the stages
(votes belong to them), every listed exclusion reason a vote or resolution gave, every
criterion with answers, and every extraction field, theme and checklist question something was
entered for; with checklists by design, every appraisal must still fit the checklist its
study's design gets under the new text (moving a design to another checklist, or dropping its
checklist, would leave answers standing against questions they were not given for). The
derived screening state is then recomputed under the new rules (votes required, maybe
policy, automatic criteria) in the same transaction; an amendment that would take a work out
of a stage where it already has votes, a full text or extracted data is refused, naming the
records. The old and new texts, and every state it changed, go in the
audit log. Votes and resolutions read the protocol under a shared lock of the review row, so
none is judged by the text an amendment is replacing."""

from __future__ import annotations

import difflib
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer, authorise, is_lead
from review.errors import InputError, ReviewError
from review.extraction.entries import Form, form_for
from review.extraction.studies import included_reports
from review.project import lock_protocol, review_protocol
from review.protocol import Protocol, parse_protocol
from review.screening.state import EXCLUDE, fulltext_stage, live_groups, refresh
from review.store import Store
from review.store import schema as t
from review.store.records import audit


def _used(conn: Connection, column: sa.Column, *where: sa.ColumnElement) -> set[str]:
    return {v for (v,) in conn.execute(sa.select(column).where(*where).distinct())
            if v is not None}


def stranded(store: Store, conn: Connection, old: Protocol, new: Protocol) -> list[str]:
    """What the new protocol would leave without its definition; empty when it may replace
    the old one."""
    problems = []
    if [s.id for s in old.stages] != [s.id for s in new.stages]:
        problems.append(f"the stages must stay {[s.id for s in old.stages]} (votes belong to "
                        f"them); the amendment has {[s.id for s in new.stages]}")
    # listed reasons: a vote's (checked against the list) and a resolution's exclusion where the
    # stage asks for one; elsewhere a resolution's reason is the resolver's own words
    listed = [s.id for s in old.stages if s.exclusion_reason_required]
    decisions, resolutions = t.decisions, t.resolutions
    reasons = (_used(conn, decisions.c.reason, decisions.c.decision == EXCLUDE)
               | _used(conn, resolutions.c.reason, resolutions.c.decision == EXCLUDE,
                       resolutions.c.stage.in_(listed)))
    gone = sorted(reasons - set(new.exclusion_reasons))
    if gone:
        problems.append(f"exclusion reasons already given must stay listed: {gone}")
    answered = {c for (criteria,) in conn.execute(sa.select(decisions.c.criteria))
                for c in (criteria or {})}
    dropped = sorted(answered - {c.id for c in new.criteria})
    if dropped:
        problems.append(f"criteria with answers recorded must stay: {dropped}")
    form = form_for(store, conn, new)
    fields = {f.id for f in form.fields}
    themes = {th.id.casefold() for th in form.themes}
    questions = {q for checklist in form.all_checklists for q, _ in checklist.questions}
    for what, used, kept in (
            ("extraction fields", _used(conn, t.extraction_values.c.field_id), fields),
            ("themes", {u.casefold() for u in _used(conn, t.theme_extracts.c.theme_id)
                        | _used(conn, t.findings.c.theme_id)}, themes),
            ("quality questions", _used(conn, t.quality_answers.c.question_id), questions)):
        if used - kept:
            problems.append(f"{what} with data entered must stay: {sorted(used - kept)}")
    moved = _moved_appraisals(conn, form_for(store, conn, old), form)
    if moved:
        problems.append("appraisals must keep the checklist their study's design had "
                        f"(studies {moved}): leave those designs with their checklists")
    return problems


def _moved_appraisals(conn: Connection, old: Form, new: Form) -> list[int]:
    """Studies with an appraisal (answers or a rating) that the new form would appraise with
    another checklist, or with none."""
    entries, values = t.extraction_entries, t.extraction_values
    answered = {r.id: r.study_id for r in conn.execute(
        sa.select(entries.c.id, entries.c.study_id).where(sa.or_(
            entries.c.quality_rating.is_not(None),
            sa.exists().where(t.quality_answers.c.entry_id == entries.c.id))))}
    if not answered or not old.all_checklists:
        return []
    fields = {f for f in (old.design_field, new.design_field) if f}
    given: dict[int, dict[str, object]] = {i: {} for i in answered}
    if fields:
        for row in conn.execute(sa.select(values.c.entry_id, values.c.field_id, values.c.value)
                                .where(values.c.entry_id.in_(list(answered)),
                                       values.c.field_id.in_(sorted(fields)))):
            given[row.entry_id][row.field_id] = row.value
    questions: dict[int, set[str]] = {i: set() for i in answered}
    for entry_id, question_id in conn.execute(
            sa.select(t.quality_answers.c.entry_id, t.quality_answers.c.question_id)
            .where(t.quality_answers.c.entry_id.in_(list(answered)))):
        questions[entry_id].add(question_id)
    moved = set()
    for entry_id, study_id in answered.items():
        before, after = old.checklist_of(given[entry_id]), new.checklist_of(given[entry_id])
        if before is None:
            continue  # nothing it stood on before (e.g. an appraisal from an older protocol)
        # an answer must keep its question in the checklist the entry's design gets: question
        # ids repeat across checklists, so one checklist losing a question another still has
        # would otherwise pass unseen, and the answer drop out of the appraisal
        if (after is None or (after.id != before.id and after.questions != before.questions)
                or questions[entry_id] - {q for q, _ in after.questions}):
            moved.add(study_id)
    return sorted(moved)


def _states(store: Store, conn: Connection) -> dict[tuple[int, str], tuple]:
    state = t.screening_state
    return {(r.group_id, r.stage): (r.state, r.outcome, r.reason) for r in conn.execute(
        sa.select(state.c.group_id, state.c.stage, state.c.state, state.c.outcome,
                  state.c.reason))}


def _orphans(store: Store, conn: Connection, protocol: Protocol) -> set[tuple[int, str]]:
    """Data with nothing to stand on: votes at a stage the work is not at, a full text of a
    work not at the full-text stage, a study link of a report not included."""
    state, decisions = t.screening_state, t.decisions
    at_stage = sa.exists().where(state.c.group_id == decisions.c.group_id,
                                 state.c.stage == decisions.c.stage)
    found = {(g, f"votes at {s}") for g, s in conn.execute(
        sa.select(decisions.c.group_id, decisions.c.stage).where(~at_stage).distinct())}
    report = fulltext_stage(protocol)
    if report is not None:
        at_report = {g for (g,) in conn.execute(sa.select(state.c.group_id).where(
            state.c.stage == report.id))}
        found |= {(g, "a full text") for (g,) in conn.execute(sa.select(
            t.fulltexts.c.group_id)) if g not in at_report}
    included = set(included_reports(store, conn))
    found |= {(g, "a study's report") for (g,) in conn.execute(sa.select(
        t.study_reports.c.group_id)) if g not in included}
    return found


def amend_protocol(store: Store, path: str | Path, *, by: str | Reviewer,
                   note: str) -> Protocol:
    """Replace the stored protocol with the file's, if nothing recorded is stranded."""
    note = " ".join((note or "").split())
    if not note:
        raise ReviewError("say why the protocol is amended (kept in the audit log)")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot be read: {exc.strerror or exc}") from None
    new = parse_protocol(text, file=path.name)
    review, groups = t.review, t.duplicate_groups
    with store.write() as conn:
        lock_protocol(store, conn, exclusive=True)
        actor = authorise(store, conn, by, is_lead, "only a lead amends the protocol",
                          named=True)
        old = review_protocol(store, conn)
        if new.sha256 == old.sha256:
            raise ReviewError(f"{path.name} is the protocol already stored; nothing to amend")
        problems = stranded(store, conn, old, new)
        if problems:
            raise ReviewError(f"{path.name} would strand data already recorded, so nothing "
                              "was changed: " + "; ".join(problems))
        before_states, before_orphans = _states(store, conn), _orphans(store, conn, old)
        conn.execute(review.update().values(title=new.title, protocol_file=path.name,
                                            protocol_text=new.text,
                                            protocol_sha256=new.sha256))
        refresh(store, conn, new, live_groups(store, conn))
        stranded_now = sorted(_orphans(store, conn, new) - before_orphans)
        if stranded_now:
            kept = dict(conn.execute(sa.select(groups.c.id, groups.c.kept_record_id)).all())
            named = "; ".join(f"record {kept.get(g, g)} ({what})" for g, what in stranded_now[:20])
            raise ReviewError(f"{path.name} would take works out of stages where they already "
                              f"have data, so nothing was changed: {named}"
                              + (f"; and {len(stranded_now) - 20} more"
                                 if len(stranded_now) > 20 else ""))
        after_states = _states(store, conn)
        changed = [{"group": g, "stage": st, "before": before_states.get((g, st)),
                    "after": after_states.get((g, st))}
                   for g, st in sorted(set(before_states) | set(after_states))
                   if before_states.get((g, st)) != after_states.get((g, st))]
        diff = list(difflib.unified_diff(old.text.splitlines(), new.text.splitlines(),
                                         "before", "after", lineterm="", n=1))
        audit(store, conn, actor=actor, action="amend protocol", entity="review",
              entity_id="1", detail={"note": note, "file": path.name,
                                     "before_sha256": old.sha256, "after_sha256": new.sha256,
                                     "diff": diff, "before": old.text, "after": new.text,
                                     "states_changed": len(changed),
                                     "changes": changed[:500]})
    return new
