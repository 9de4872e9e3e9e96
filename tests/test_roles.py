"""Authorisation in the services, call by call and role by role, on SQLite and PostgreSQL.

Every public service call that takes the person acting is made by each kind of person: a lead,
a plain reviewer, a third reviewer (resolver), an observer, and a reviewer whose account was
disabled after they signed in. The table says who may; everyone else must get AccessError. A
call that is allowed may still refuse for a reason of the review itself (a study with no
entries to reconcile), which is a ReviewError, never an AccessError.

Every service that takes the person acting takes either a Reviewer (someone signed in to the
app: checked as stored now) or a plain name (the command line's operator, who holds the
database itself; see accounts.authorise). The table makes each call as a signed-in person.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from review import accounts, amendments, duplicates, importing
from review.accounts import AccessError, Reviewer
from review.errors import ReviewError
from review.extraction import entries as extraction
from review.extraction import reconcile, studies
from review.extraction import tables as evidence_tables
from review.extraction.studies import list_studies
from review.io import read_bytes
from review.prisma import counts as prisma
from review.project import review_protocol
from review.screening import agreement, conflicts, decisions_csv, fulltext, prioritise
from review.screening import votes as screening
from review.store import Store
from tests.test_screening import build

ROLES = ("lead", "reviewer", "third reviewer", "observer", "disabled")
PERSON = {"lead": "Lead", "reviewer": "Ana", "third reviewer": "Cleo", "observer": "Olu",
          "disabled": "Dan"}
SCREENERS = {"lead", "reviewer", "third reviewer"}
RESOLVERS = {"lead", "third reviewer"}
READERS = {"lead", "third reviewer", "observer"}  # the whole review's figures
REPORTS = {"lead", "observer"}  # PRISMA: the review's aggregate report
LEAD = {"lead"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
RIS = b"TY  - JOUR\nTI  - Peer listening in a student union\nPY  - 2021\nER  - \n"

Call = Callable[[Store, Reviewer, dict[str, Any]], Any]

# (service call, who may make it, the call)
TABLE: list[tuple[str, set[str], Call]] = [
    ("screening.next_item", SCREENERS, lambda s, p, c: screening.next_item(s, p)),
    ("screening.queue", SCREENERS, lambda s, p, c: screening.queue(s, p)),
    ("screening.queue_size", SCREENERS, lambda s, p, c: screening.queue_size(s, p)),
    ("screening.item_for", SCREENERS, lambda s, p, c: screening.item_for(s, p, 5)),
    ("screening.my_votes", SCREENERS, lambda s, p, c: screening.my_votes(s, p)),
    ("screening.cast_vote", SCREENERS, lambda s, p, c: screening.cast_vote(s, p, 5, "include")),
    ("screening.undo_last", SCREENERS, lambda s, p, c: screening.undo_last(s, p)),
    # a reviewer gets the conflicts they voted in, their own vote only (for the discussion)
    ("conflicts.conflicts", SCREENERS, lambda s, p, c: conflicts.conflicts(s, p)),
    ("conflicts.resolve", RESOLVERS,
     lambda s, p, c: conflicts.resolve(s, 1, "include", by=p)),
    ("agreement.agreement", READERS, lambda s, p, c: agreement.agreement(s, by=p)),
    ("agreement.progress", SCREENERS | READERS, lambda s, p, c: agreement.progress(s, by=p)),
    ("decisions_csv.export_decisions", LEAD,
     lambda s, p, c: decisions_csv.export_decisions(s, by=p)),
    ("extraction.my_entry", SCREENERS, lambda s, p, c: extraction.my_entry(s, c["study"], p)),
    ("extraction.save_entry", SCREENERS,
     lambda s, p, c: extraction.save_entry(s, c["study"], p, values={})),
    ("extraction.extraction_status", SCREENERS,
     lambda s, p, c: extraction.extraction_status(s, p)),
    ("extraction.add_theme", LEAD,
     lambda s, p, c: extraction.add_theme(s, "benefits", "new_theme", "A new theme", by=p)),
    ("reconcile.compare", LEAD, lambda s, p, c: reconcile.compare(s, c["study"], by=p)),
    ("reconcile.reconcile", LEAD, lambda s, p, c: reconcile.reconcile(s, c["study"], by=p)),
    ("accounts.add_reviewer", LEAD,
     lambda s, p, c: accounts.add_reviewer(s, "Newcomer", actor=p)),
    ("accounts.set_active", LEAD, lambda s, p, c: accounts.set_active(s, "Ben", False, actor=p)),
    ("accounts.set_role", LEAD,
     lambda s, p, c: accounts.set_role(s, "Ben", "reviewer", resolver=True, actor=p)),
    ("accounts.set_password", LEAD,
     lambda s, p, c: accounts.set_password(s, "Ben", "a-new-password", actor=p)),
    ("accounts.set_email", LEAD,
     lambda s, p, c: accounts.set_email(s, "Ben", "ben@example.org", actor=p)),
    ("fulltext.attach_pdf", SCREENERS,
     lambda s, p, c: fulltext.attach_pdf(s, 2, PDF, "report.pdf", actor=p)),
    ("fulltext.mark_not_retrieved", LEAD,
     lambda s, p, c: fulltext.mark_not_retrieved(s, 2, "requested, no reply", actor=p)),
    ("prisma.compute", REPORTS, lambda s, p, c: prisma.compute(s, by=p)),
    ("evidence_tables.build_tables", LEAD,
     lambda s, p, c: evidence_tables.build_tables(s, by=p)),
    ("duplicates.decide_pair", LEAD,
     lambda s, p, c: duplicates.decide_pair(s, 1, "reject", actor=p)),
    ("duplicates.split_group", LEAD, lambda s, p, c: duplicates.split_group(s, 1, actor=p)),
    ("duplicates.run_dedupe", LEAD, lambda s, p, c: duplicates.run_dedupe(s, actor=p)),
    ("studies.link_report", LEAD,
     lambda s, p, c: studies.link_report(s, 3, c["study"], actor=p)),
    ("importing.import_parsed", LEAD, lambda s, p, c: importing.import_parsed(
        s, [read_bytes(RIS, "extra.ris")], importing.SourceInfo("Scopus", "database"),
        actor=p)),
    ("amendments.amend_protocol", LEAD, lambda s, p, c: amendments.amend_protocol(
        s, c["amended"], by=p, note="a reason added")),
    # last: a lead's stop closes every queue
    ("prioritise.stop_screening", LEAD, lambda s, p, c: prioritise.stop_screening(s, by=p)),
    ("prioritise.resume_screening", LEAD,
     lambda s, p, c: prioritise.resume_screening(s, by=p, note="stopped by mistake")),
]

def _review(db_url: str, tmp_path: Path) -> tuple[Store, dict[str, Any]]:
    """Record 1 in conflict at titles and abstracts (Ana include, Ben exclude), records 2 and
    3 included at both stages (so two studies to extract), record 5 open; Olu an observer,
    Dan a reviewer disabled after signing in."""
    store = build(db_url, tmp_path)
    screening.cast_vote(store, "Ana", 1, "include")
    screening.cast_vote(store, "Ben", 1, "exclude")
    for record in (2, 3):
        for stage in ("title_abstract", "full_text"):
            for name in ("Ana", "Ben"):
                screening.cast_vote(store, name, record, "include", stage=stage,
                                    note="Read the published article" if stage != "title_abstract"
                                    else None)
    accounts.add_reviewer(store, "Olu", role="observer", actor="Lead")
    accounts.add_reviewer(store, "Dan", actor="Lead")
    studies = list_studies(store)
    assert len(studies) == 2
    amended = tmp_path / "amended.toml"
    amended.write_text(review_protocol(store).text.replace(
        "exclusion_reasons = [\n", 'exclusion_reasons = [\n    "Retracted",\n', 1),
        encoding="utf-8")
    assert '"Retracted"' in amended.read_text(encoding="utf-8")
    return store, {"study": studies[0].id, "amended": amended}


def _outcome(store: Store, person: Reviewer, call: Call, context: dict[str, Any]) -> str:
    try:
        call(store, person, context)
    except AccessError:
        return "denied"
    except ReviewError:
        return "allowed"  # past the role check, refused for a reason of the review
    return "allowed"


@pytest.mark.parametrize("role", ROLES)
def test_every_service_call_checks_the_role(db_url: str, tmp_path: Path, role: str) -> None:
    store, context = _review(db_url, tmp_path)
    person = accounts.get_reviewer(store, PERSON[role])  # as kept by a session at sign-in
    if role == "disabled":
        accounts.set_active(store, "Dan", False, actor="Lead")
    wrong = []
    for name, allowed, call in TABLE:
        expected = "allowed" if role in allowed else "denied"
        got = _outcome(store, person, call, context)
        if got != expected:
            wrong.append(f"{name}: {role} {got}, expected {expected}")
    store.close()
    assert wrong == []


def test_a_reviewers_progress_has_their_own_rows_only(db_url: str, tmp_path: Path) -> None:
    store, _ = _review(db_url, tmp_path)
    mine = agreement.progress(store, by="Ana")
    assert mine["scope"] == "own" and mine["stages"] == []
    assert {r["reviewer"] for r in mine["reviewers"]} == {"Ana"}
    for name in ("Lead", "Cleo", "Olu"):
        assert agreement.progress(store, by=name)["scope"] == "review"
    store.close()


def test_an_observer_or_disabled_row_in_a_decisions_file_is_refused(db_url: str,
                                                                     tmp_path: Path) -> None:
    store, _ = _review(db_url, tmp_path)
    accounts.set_active(store, "Dan", False, actor="Lead")
    for name, why in (("Olu", "observer"), ("Dan", "no longer an active reviewer")):
        path = tmp_path / f"{name}.csv"
        path.write_text(f"record,reviewer,stage,decision\n6,{name},title_abstract,include\n",
                        encoding="utf-8")
        with pytest.raises(ReviewError, match=f"row 1: .*{why}"):
            decisions_csv.import_decisions(path, store, actor="Lead")
    store.close()


def test_an_observer_cannot_extract(tmp_path: Path) -> None:
    store, context = _review(str(tmp_path / "gap.db"), tmp_path)
    with pytest.raises(AccessError):
        extraction.save_entry(store, context["study"], "Olu", values={})
