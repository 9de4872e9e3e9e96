"""The Duplicates page's services on SQLite and PostgreSQL: every pair reachable a page at a
time, field-by-field differences, and one decision on a checked set (one transaction,
audited, no "same work" on a pair already in one group)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from review.duplicates import (
    CONFIRMED,
    DIFFERS,
    MERGED,
    MISSING,
    NEEDS_REVIEW,
    REJECTED,
    SAME,
    compare_fields,
    decide_pairs,
    group_of,
    list_pairs,
    pairs_page,
    run_dedupe,
)
from review.errors import ReviewError
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.store import schema as t
from tests.test_duplicates import COPY_A, COPY_B

TOPICS = ("peer mentoring", "online forums", "helplines", "support groups", "recovery colleges",
          "befriending", "school programmes", "crisis cafes", "text lines", "drop-in centres",
          "art groups", "walking groups")


def _works(n: int) -> tuple[str, str]:
    """n journal articles, and for each a bare report with the same title and year only: a
    weak pair for a person each."""
    full, bare = [], []
    for i in range(n):
        title = f"Study {i} of {TOPICS[i % len(TOPICS)]} number {i * 7 + 3} in region {i}"
        full.append(f"TY  - JOUR\nTI  - {title}\nAU  - Writer{i}, Sam\nPY  - {2000 + i}\n"
                    f"JO  - Journal {i}\nVL  - {i + 1}\nSP  - {i + 10}\nER  - \n")
        bare.append(f"TY  - RPRT\nTI  - {title}\nPY  - {2000 + i}\nER  - \n")
    return "\n".join(full), "\n".join(bare)


def _import(store, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    import_files(store, [path], SourceInfo(name, "database"), actor="lead")


@pytest.fixture
def many(db_url: str, protocol_path: Path, tmp_path: Path):
    store = create_review(protocol_path, db_url, actor="lead")
    full, bare = _works(23)
    _import(store, tmp_path, "full.ris", full)
    _import(store, tmp_path, "bare.ris", bare)
    run_dedupe(store, actor="lead")
    yield store
    store.close()


def test_every_pair_is_on_exactly_one_page(many) -> None:
    waiting = list_pairs(many, status=NEEDS_REVIEW)
    assert len(waiting) == 23
    seen = []
    first = pairs_page(many, status=NEEDS_REVIEW, page=1, size=10)
    assert (first.total, first.pages, first.page, len(first.pairs)) == (23, 3, 1, 10)
    for page in range(1, first.pages + 1):
        shown = pairs_page(many, status=NEEDS_REVIEW, page=page, size=10)
        seen += [p["id"] for p in shown.pairs]
    assert seen == [p["id"] for p in waiting]  # the same order as the full list, none twice
    last = pairs_page(many, status=NEEDS_REVIEW, page=99, size=10)
    assert (last.page, len(last.pairs)) == (3, 3)  # past the end: the last page
    assert pairs_page(many, status=CONFIRMED, page=1, size=10).pages == 1  # empty: one page
    assert not any(p["together"] for p in first.pairs)
    with pytest.raises(ReviewError, match="at least one pair"):
        pairs_page(many, size=0)


def test_a_checked_set_is_decided_at_once_and_audited(many) -> None:
    shown = pairs_page(many, status=NEEDS_REVIEW, page=1, size=5).pairs
    ids = [p["id"] for p in shown]
    decided = decide_pairs(many, ids[:3], "confirm", actor="Lee")
    assert [d["status"] for d in decided] == [CONFIRMED] * 3
    for pair in shown[:3]:
        groups = group_of(many, [pair["record_a"], pair["record_b"]])
        assert groups[pair["record_a"]] == groups[pair["record_b"]]
    decide_pairs(many, ids[3:], "reject", actor="Lee")
    assert {p["id"] for p in list_pairs(many, status=REJECTED)} == set(ids[3:])
    with many.read() as conn:
        log = t.audit_log
        actions = [r.action for r in conn.execute(sa.select(log.c.action).order_by(log.c.id))]
        batch = conn.execute(sa.select(log.c.detail).where(
            log.c.action == "duplicate pairs decided together").order_by(log.c.id)).all()
    assert actions.count("duplicate pair confirmed") == 3
    assert actions.count("duplicate pair rejected") == 2
    assert [b.detail for b in batch] == [{"decision": "confirm", "pairs": sorted(ids[:3])},
                                         {"decision": "reject", "pairs": sorted(ids[3:])}]
    # now one work: shown as together, and "same work" on it is refused for the whole set
    now = {p["id"]: p for p in pairs_page(many, status=CONFIRMED, size=50).pairs}
    assert all(now[i]["together"] for i in ids[:3])
    rest = [p["id"] for p in list_pairs(many, status=NEEDS_REVIEW)][:2]
    with pytest.raises(ReviewError, match=f"pair {ids[0]} is already one work"):
        decide_pairs(many, [ids[0], *rest], "confirm", actor="Lee")
    assert [p["status"] for p in list_pairs(many) if p["id"] in rest] == [NEEDS_REVIEW] * 2
    with pytest.raises(ReviewError, match="no duplicate pair 9999; nothing was decided"):
        decide_pairs(many, [rest[0], 9999], "reject", actor="Lee")
    assert [p["status"] for p in list_pairs(many) if p["id"] in rest] == [NEEDS_REVIEW] * 2
    with pytest.raises(ReviewError, match="choose at least one pair"):
        decide_pairs(many, [], "reject", actor="Lee")


def test_a_failure_part_way_leaves_the_whole_set_undecided(many, monkeypatch) -> None:
    import review.duplicates as dup

    ids = [p["id"] for p in list_pairs(many, status=NEEDS_REVIEW)][:3]
    real, calls = dup._decide, []

    def flaky(store, conn, pair_id, decision, actor):  # noqa: ANN001, ANN202
        calls.append(pair_id)
        if len(calls) == 3:
            raise ReviewError("the disk is full")
        return real(store, conn, pair_id, decision, actor)

    monkeypatch.setattr(dup, "_decide", flaky)
    with pytest.raises(ReviewError, match="disk is full"):
        decide_pairs(many, ids, "confirm", actor="Lee")
    assert [p["status"] for p in list_pairs(many) if p["id"] in ids] == [NEEDS_REVIEW] * 3


def test_fields_are_compared_same_differs_missing(db_url: str, protocol_path: Path,
                                                  tmp_path: Path) -> None:
    store = create_review(protocol_path, db_url, actor="lead")
    _import(store, tmp_path, "a.ris", COPY_A)
    _import(store, tmp_path, "b.ris", COPY_B)
    run_dedupe(store, actor="lead")
    [pair] = list_pairs(store, status=MERGED)
    from review.store.records import list_records_by_id

    a, b = list_records_by_id(store, [pair["record_a"], pair["record_b"]])
    compared = {c["field"]: c for c in compare_fields(a, b)}
    verdicts = {k: c["verdict"] for k, c in compared.items()}
    # upper case and a closing full stop set aside; the imported pages normalised to 101-110
    assert verdicts == {"title": SAME, "authors": SAME, "year": SAME, "journal": SAME,
                        "volume": SAME, "issue": SAME, "pages": SAME, "doi": MISSING}
    # and one changed field in a copy of the first record differs
    changed = {**a, "volume": "41", "authors": ["Okafor, Ada"]}
    again = {c["field"]: c["verdict"] for c in compare_fields(a, changed)}
    assert (again["volume"], again["authors"], again["title"]) == (DIFFERS, DIFFERS, SAME)
    assert {c["field"]: (c["a"], c["b"]) for c in compare_fields(a, b)}["doi"] == (
        "10.5555/crisis.2019.101", "")
    store.close()
