"""The demo review's people and a first morning of screening, so every page has something to
show: two reviewers have voted on part of the records, a few of their votes disagree (some
conflicts resolved by the lead, some waiting), and a handful of reports went through full text.

The votes follow the sample data's ground truth (sample_refs/truth.csv), with a few deliberate
disagreements. Demo accounts only: the passwords are printed on the sign-in page of the demo.
"""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa

from review.accounts import add_reviewer, put_setting
from review.screening.conflicts import resolve
from review.screening.fulltext import mark_not_retrieved
from review.screening.votes import cast_vote
from review.store import Store
from review.store import schema as t

DEMO_ACCOUNTS = (
    ("Morgan", "lead", False),
    ("Priya", "reviewer", False),
    ("Tom", "reviewer", False),
    ("Jordan", "reviewer", True),  # third reviewer: resolves conflicts
)
SCREENED = 90  # groups both reviewers voted on at titles and abstracts
FT_REASON = {"pre2000": "Published before 2000", "clinical": "Clinical setting",
             "family": "Support from relatives or friends",
             "unmoderated": "Unmoderated online forum", "unrelated": "Not about self-harm",
             "grey": "Not primary research"}
FT_NOTE = "Demo: assessed from the published article (no PDF in the sample data)."


def demo_password(name: str) -> str:
    return f"{name.lower()}-demo"


def _categories(store: Store, samples: Path) -> dict[int, str]:
    """Each group's category in the ground truth, by its kept record's file and position."""
    with open(samples / "truth.csv", encoding="utf-8", newline="") as handle:
        truth = {(r["file"], int(r["position"])): r["category"] for r in csv.DictReader(handle)}
    groups, records, sources = t.duplicate_groups, t.records, t.sources
    with store.read() as conn:
        rows = conn.execute(sa.select(groups.c.id, sources.c.file_name, records.c.position)
                            .join(records, records.c.id == groups.c.kept_record_id)
                            .join(sources, sources.c.id == records.c.source_id)
                            .where(groups.c.merged_into.is_(None)).order_by(groups.c.id)).all()
    return {r.id: truth.get((r.file_name, r.position), "unrelated") for r in rows}


def seed_screening(store: Store, samples: Path, *, actor: str) -> None:
    for name, role, resolver in DEMO_ACCOUNTS:
        add_reviewer(store, name, role=role, password=demo_password(name), resolver=resolver,
                     actor=actor)
    put_setting(store, "demo_accounts", [{"name": n, "role": "lead" if r == "lead" else
                                          ("third reviewer" if res else "reviewer"),
                                          "password": demo_password(n)}
                                         for n, r, res in DEMO_ACCOUNTS])
    categories = _categories(store, samples)
    kept = _kept_records(store)
    screened = list(categories)[:SCREENED]
    disagree = [g for g in screened if categories[g] in ("clinical", "family")][:5]
    # records whose abstracts leave the setting unclear: both say maybe, full texts exclude
    unclear = [g for g in screened if g not in disagree
               and categories[g] in ("clinical", "unmoderated", "family", "pre2000")][:4]
    for group in screened:
        category = categories[group]
        decision = {"eligible": "include", "grey": "maybe"}.get(category, "exclude")
        if group in unclear:
            decision = "maybe"
        cast_vote(store, "Priya", kept[group], decision, origin="demo")
        tom = "include" if group in disagree else ("include" if decision == "maybe"
                                                   else decision)
        cast_vote(store, "Tom", kept[group], tom, origin="demo",
                  note="Setting unclear from the abstract" if group in disagree else None)
    for group in disagree[:2]:
        resolve(store, kept[group], "exclude", by="Morgan", reason="Clinical setting",
                note="Abstract describes a hospital service")
    reports = [g for g in screened if categories[g] in ("eligible", "grey")]
    mark_not_retrieved(store, kept[reports[0]], "Requested from the authors; no reply",
                       actor="Morgan")
    for index, group in enumerate(reports[1:13]):
        category = categories[group]
        votes = ("include", None) if category == "eligible" else ("exclude", FT_REASON[category])
        cast_vote(store, "Priya", kept[group], votes[0], stage="full_text", reason=votes[1],
                  note=FT_NOTE, origin="demo")
        if index == 3:  # a full-text disagreement waiting for the lead
            cast_vote(store, "Tom", kept[group], "exclude", stage="full_text",
                      reason="Clinical setting", note=FT_NOTE, origin="demo")
        elif index < 10:
            cast_vote(store, "Tom", kept[group], votes[0], stage="full_text", reason=votes[1],
                      note=FT_NOTE, origin="demo")
    for group in unclear:
        for person in ("Priya", "Tom"):
            cast_vote(store, person, kept[group], "exclude", stage="full_text",
                      reason=FT_REASON[categories[group]], note=FT_NOTE, origin="demo")


def _kept_records(store: Store) -> dict[int, int]:
    groups = t.duplicate_groups
    with store.read() as conn:
        return dict(conn.execute(sa.select(groups.c.id, groups.c.kept_record_id)).all())
