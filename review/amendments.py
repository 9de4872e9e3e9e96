"""Amending the protocol during a review: a new exclusion reason, a reworded criterion, a theme
for the extraction form. Reviews registered with PROSPERO amend their protocols, and a tool
that can only start over would push a team to edit the database by hand.

Only a lead amends. The new text must keep what data already recorded stands on: the stages
(votes belong to them), every exclusion reason a vote or resolution gave, and every extraction
field, theme and checklist question something was entered for. The old and new texts both go
in the audit log, and the derived screening state is recomputed under the new rules (votes
required, maybe policy, automatic criteria) in the same transaction."""

from __future__ import annotations

import difflib
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import AccessError, Reviewer, authorise, find_reviewer, is_lead
from review.errors import InputError, ReviewError
from review.extraction import form_for
from review.project import review_protocol
from review.protocol import Protocol, parse_protocol
from review.screening_state import refresh
from review.store import Store
from review.store.records import audit


def _used(conn: Connection, column: sa.Column) -> set[str]:
    return {v for (v,) in conn.execute(sa.select(column).distinct()) if v is not None}


def stranded(store: Store, conn: Connection, old: Protocol, new: Protocol) -> list[str]:
    """What the new protocol would leave without its definition; empty when it may replace
    the old one."""
    t = store.tables
    problems = []
    if [s.id for s in old.stages] != [s.id for s in new.stages]:
        problems.append(f"the stages must stay {[s.id for s in old.stages]} (votes belong to "
                        f"them); the amendment has {[s.id for s in new.stages]}")
    reasons = (_used(conn, t["decisions"].c.reason) | _used(conn, t["resolutions"].c.reason))
    gone = sorted(reasons - set(new.exclusion_reasons))
    if gone:
        problems.append(f"exclusion reasons already given must stay listed: {gone}")
    form = form_for(store, conn, new)
    fields = {f.id for f in form.fields}
    themes = {th.id.casefold() for th in form.themes}
    questions = {q for q, _ in (form.checklist.questions if form.checklist else ())}
    for what, used, kept in (
            ("extraction fields", _used(conn, t["extraction_values"].c.field_id), fields),
            ("themes", {u.casefold() for u in _used(conn, t["theme_codings"].c.theme_id)},
             themes),
            ("quality questions", _used(conn, t["quality_answers"].c.question_id), questions)):
        if used - kept:
            problems.append(f"{what} with data entered must stay: {sorted(used - kept)}")
    return problems


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
    review, groups = store.table("review"), store.table("duplicate_groups")
    with store.write() as conn:
        person = by if isinstance(by, Reviewer) else find_reviewer(store, conn, by)
        if person is None:
            raise AccessError(f"{by!r} is not a reviewer of this review; only a lead amends "
                              "the protocol")
        actor = authorise(store, conn, person, is_lead, "only a lead amends the protocol")
        old = review_protocol(store, conn)
        if new.sha256 == old.sha256:
            raise ReviewError(f"{path.name} is the protocol already stored; nothing to amend")
        problems = stranded(store, conn, old, new)
        if problems:
            raise ReviewError(f"{path.name} would strand data already recorded, so nothing "
                              "was changed: " + "; ".join(problems))
        conn.execute(review.update().values(title=new.title, protocol_file=path.name,
                                            protocol_text=new.text,
                                            protocol_sha256=new.sha256))
        diff = list(difflib.unified_diff(old.text.splitlines(), new.text.splitlines(),
                                         "before", "after", lineterm="", n=1))
        audit(store, conn, actor=actor, action="amend protocol", entity="review",
              entity_id="1", detail={"note": note, "file": path.name,
                                     "before_sha256": old.sha256, "after_sha256": new.sha256,
                                     "diff": diff, "before": old.text, "after": new.text})
        refresh(store, conn, new, [g for (g,) in conn.execute(sa.select(groups.c.id))])
    return new
