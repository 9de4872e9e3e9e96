"""Duplicates in a review: run the engine over every record, keep its pairs and groups, and let
people confirm, reject or split, so their decisions survive every later run.

Group ids are stable: a run after a new import keeps every existing group's id (new records
join a group or get a new one), because screening votes will hang on these ids. The engine
never joins two existing groups on its own; a person does (`confirm`).

A living review's search run again (the same source name, a new search date) brings back the
records its earlier run brought: a record of a later run that carries the same DOI or PubMed
id as a record of an earlier run of that source and a title that agrees with it by the
engine's own title similarity, or the same accession number with the same year and first
author, is joined to it as surely as a person's confirmation (`_rerun_links`; only a
person's rejection stands against it), so it joins the existing group and never reaches
screening again; the engine's own comparison judges the rest, among them records that share
only an identifier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer, authorise, is_lead
from review.dedupe import ENGINE_VERSION, NOT_DUPLICATE, DedupeResult, ScoredPair, deduplicate
from review.dedupe.compare import IDENTIFIER_TITLE, TITLES_DIFFER, compare, title_similarity
from review.dedupe.keys import Keys, make_keys
from review.errors import ReviewError
from review.project import review_protocol
from review.records import Record, fold
from review.screening.state import sync_groups
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import PREVIOUS, audit, row_record

MERGED = "merged"
NEEDS_REVIEW = "needs review"
CONFIRMED = "confirmed"
REJECTED = "rejected"
KEPT_APART = "kept apart"
BY_PERSON = (CONFIRMED, REJECTED)
EXPLAIN_ABOVE = 90.0  # title similarity above which a kept-apart pair is stored, to explain why


@dataclass(frozen=True, slots=True)
class DedupeSummary:
    records: int
    groups: int
    duplicates: int  # records - groups: what PRISMA reports as duplicates removed
    merged_pairs: int
    needs_review: int
    new_groups: int


def _load(store: Store, conn: Connection, where: Any = None) -> tuple[list[int], list[Record]]:
    records, sources = t.records, t.sources
    query = (sa.select(records, sources.c.format)
             .join(sources, sources.c.id == records.c.source_id).order_by(records.c.id))
    if where is not None:
        query = query.where(where)
    rows = conn.execute(query).all()
    return [r.id for r in rows], [row_record(r) for r in rows]


def _decisions(store: Store, conn: Connection, ids: Iterable[int] | None = None
               ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    pairs = t.duplicate_pairs
    query = sa.select(pairs.c.record_a, pairs.c.record_b, pairs.c.status).where(
        pairs.c.status.in_(BY_PERSON))
    if ids is not None:
        wanted = list(ids)
        query = query.where(pairs.c.record_a.in_(wanted), pairs.c.record_b.in_(wanted))
    confirmed: list[tuple[str, str]] = []
    rejected: list[tuple[str, str]] = []
    for a, b, status in conn.execute(query):
        (confirmed if status == CONFIRMED else rejected).append((str(a), str(b)))
    return confirmed + _rerun_links(store, conn, ids), rejected


def _first_author(authors: Any) -> str:
    first = (authors or [""])[0] if isinstance(authors, list) else ""
    return fold(str(first).split(",")[0]).strip()


# An identifier that more records than this carry names none of them (a journal
# supplement's DOI on each of its abstracts): a later record carrying it is joined only to one
# with the same title, and the engine judges the rest (its blocking keeps that fast).
_SHARED_BY_MANY = 20


def _rerun_links(store: Store, conn: Connection, ids: Iterable[int] | None = None
                 ) -> list[tuple[str, str]]:
    """Pairs (earlier record, later record) that are one record found again by a later run of
    the same search: same source name, an earlier run (search date), and the same DOI or
    PubMed id, or the same accession number (6 characters or more, so a file's own sequence
    numbers never count) with the same year and first author. A DOI or PubMed id also needs
    titles that agree, by the dedupe engine's own title similarity (`_titles_agree`): many
    works can share one (a journal supplement's abstracts share its DOI), so it alone joins
    nothing, and a pair whose titles do not agree is left to the engine's comparison. An
    accession number is the database's own number for its record, never given to two of its
    records, so with the year and first author it recognises a record retitled since."""
    records, sources = t.records, t.sources
    runs = conn.execute(sa.select(sources.c.name, sources.c.searched_on).distinct()
                        .where(sources.c.kind != PREVIOUS)).all()
    if len(runs) == len({name for name, _ in runs}):
        return []  # no source was searched twice: nothing to load
    query = (sa.select(records.c.id, records.c.doi, records.c.pmid, records.c.accession,
                       records.c.year, records.c.authors, sources.c.id.label("source_id"),
                       sources.c.name, sources.c.searched_on)
             .join(sources, sources.c.id == records.c.source_id)
             .where(sources.c.kind != PREVIOUS))
    if ids is not None:
        query = query.where(records.c.id.in_(list(ids)))
    rows = conn.execute(query).all()
    first: dict[tuple[str, str], int] = {}
    for row in sorted(rows, key=lambda r: r.source_id):
        first.setdefault((row.name, row.searched_on or ""), row.source_id)
    run = {key: (key[1], source_id) for key, source_id in first.items()}
    ordered = sorted(rows, key=lambda r: (run[(r.name, r.searched_on or "")], r.id))
    carrying: dict[tuple[str, str, object], list[tuple[tuple[str, int], int]]] = \
        defaultdict(list)  # each key: the records carrying it, by run, oldest first
    keys_of: dict[int, list[tuple[str, str, object]]] = {}
    for row in ordered:
        accession = fold(row.accession or "").strip()
        values: list[tuple[str, object]] = [("doi", row.doi), ("pmid", row.pmid)]
        if len(accession) >= 6:
            values.append(("accession", (accession, row.year, _first_author(row.authors))))
        keys_of[row.id] = [(row.name, kind, value) for kind, value in values if value]
        for key in keys_of[row.id]:
            carrying[key].append((run[(row.name, row.searched_on or "")], row.id))
    shared = {key for key, found in carrying.items() if found[0][0] != found[-1][0]}
    if not shared:
        return []
    wanted = sorted({rid for key in shared for _, rid in carrying[key]})
    loaded: dict[int, Record] = {}
    for start in range(0, len(wanted), 500):
        part_ids, part = _load(store, conn, t.records.c.id.in_(wanted[start:start + 500]))
        loaded.update(zip(part_ids, part, strict=True))
    keyed = {i: make_keys(str(i), record) for i, record in loaded.items()}
    by_title: dict[tuple[str, str, object], dict[str, list[tuple[tuple[str, int], int]]]] = {}
    for key in shared:  # a supplement's DOI: only a record of the same title is tried
        if len(carrying[key]) > _SHARED_BY_MANY:
            index: dict[str, list[tuple[tuple[str, int], int]]] = defaultdict(list)
            for when, rid in carrying[key]:
                index[keyed[rid].title_key].append((when, rid))
            by_title[key] = index
    links: list[tuple[str, str]] = []
    for row in ordered:
        this_run = run[(row.name, row.searched_on or "")]
        for key in keys_of[row.id]:
            if key not in shared:
                continue
            if key[1] == "accession":  # the database's own number, with year and first author
                match = next((rid for when, rid in carrying[key] if when < this_run), None)
            else:
                pool = by_title[key].get(keyed[row.id].title_key, []) if key in by_title \
                    else carrying[key]
                match = next((rid for when, rid in pool if when < this_run and _titles_agree(
                    keyed[rid], keyed[row.id], loaded[rid], loaded[row.id])), None)
            if match is not None:
                links.append((str(match), str(row.id)))
                break
    return links


def _titles_agree(a: Keys, b: Keys, record_a: Record, record_b: Record) -> bool:
    """Whether two records of one source's runs that share an identifier also agree on the
    title, by the engine's similarity: as alike as the engine needs to join records on a shared
    DOI (IDENTIFIER_TITLE), or, where a database corrected the title between runs, not so far
    apart that the engine calls them different works (TITLES_DIFFER) and with the same year and
    first author; and never where the engine finds fields that speak against one work (other
    authors, other pages of one issue: two abstracts of a supplement with similar titles). A
    record without a title is left to the engine."""
    similarity = title_similarity(a, b)
    if similarity < TITLES_DIFFER or compare(a, b).conflict:
        return False  # different works, or fields that speak against one (authors, pages, ...)
    if similarity >= IDENTIFIER_TITLE:
        return True
    return (record_a.year == record_b.year
            and bool(_first_author(record_a.authors))
            and _first_author(record_a.authors) == _first_author(record_b.authors))


def _current_groups(store: Store, conn: Connection) -> dict[int, int]:
    table = t.record_groups
    return {r: g for r, g in conn.execute(sa.select(table.c.record_id, table.c.group_id))}


def _lead(store: Store, conn: Connection, actor: str | Reviewer) -> str:
    """Merging and parting records changes what everyone screens: a lead's work."""
    return authorise(store, conn, actor, is_lead, "only a lead deduplicates the records")


def run_dedupe(store: Store, *, actor: str | Reviewer,
               progress: Callable[[str, int, int], None] | None = None) -> DedupeSummary:
    """Deduplicate every record of the review. Idempotent: a second run changes nothing."""
    with store.write() as conn:
        actor = _lead(store, conn, actor)
        ids, records = _load(store, conn)
        confirmed, rejected = _decisions(store, conn)
        old = _current_groups(store, conn)
        result = deduplicate(records, [str(i) for i in ids], confirmed=confirmed,
                             rejected=rejected, anchors=[old.get(i) for i in ids],
                             progress=progress)
        _save_pairs(store, conn, result.pairs, replace_all=True)
        new_groups = _save_groups(store, conn, ids, result, old)
        _sync_screening(store, conn, actor=actor)
        summary = _summary(store, conn, new_groups)
        audit(store, conn, actor=actor, action="dedupe", entity="review", entity_id=None,
              detail={"engine": ENGINE_VERSION, **asdict(summary)})
    return summary


def _sync_screening(store: Store, conn: Connection, *, actor: str,
                    only: Sequence[int] | None = None) -> None:
    """Screening follows the groups: votes of a joined group move with it, new groups enter
    the first stage's queue (review.screening.state)."""
    sync_groups(store, conn, review_protocol(store, conn), actor=actor, only=only)


def _pair_status(pair: ScoredPair) -> str:
    if pair.merged:
        return MERGED
    return KEPT_APART if pair.outcome == NOT_DUPLICATE else NEEDS_REVIEW


def _save_pairs(store: Store, conn: Connection, scored: Sequence[ScoredPair], *,
                replace_all: bool) -> None:
    """Store the pairs worth showing (merged, waiting, or kept apart despite similar titles);
    rows people decided are never touched."""
    table = t.duplicate_pairs
    existing = {(r.record_a, r.record_b): r for r in conn.execute(
        sa.select(table.c.id, table.c.record_a, table.c.record_b, table.c.status,
                  table.c.outcome))}
    keep: set[tuple[int, int]] = set()
    inserts, updates = [], []
    for pair in scored:
        if pair.outcome == NOT_DUPLICATE and not pair.merged \
                and pair.evidence["title"] < EXPLAIN_ABOVE:
            continue
        a, b = sorted((int(pair.a), int(pair.b)))
        keep.add((a, b))
        values = {"score": pair.score, "outcome": pair.outcome, "reason": pair.reason,
                  "evidence": pair.evidence, "engine_version": ENGINE_VERSION}
        row = existing.get((a, b))
        if row is None:
            inserts.append({"record_a": a, "record_b": b, "status": _pair_status(pair), **values})
        elif row.status not in BY_PERSON and (row.status != _pair_status(pair)
                                              or row.outcome != pair.outcome):
            updates.append({"pid": row.id, "status": _pair_status(pair), **values})
    if inserts:
        conn.execute(table.insert(), inserts)
    for values in updates:
        pid = values.pop("pid")
        conn.execute(table.update().where(table.c.id == pid).values(**values))
    if replace_all:
        stale = [r.id for key, r in existing.items()
                 if key not in keep and r.status not in BY_PERSON]
        for start in range(0, len(stale), 500):
            conn.execute(table.delete().where(table.c.id.in_(stale[start:start + 500])))


def _save_groups(store: Store, conn: Connection, ids: Sequence[int], result: DedupeResult,
                 old: dict[int, int]) -> int:
    """Give each cluster a group id, keeping existing ids; returns how many groups are new."""
    groups, links = t.duplicate_groups, t.record_groups
    clusters: dict[int, list[int]] = defaultdict(list)
    kept: dict[int, int] = {}
    for record_id, label, is_kept in zip(ids, result.group, result.kept, strict=True):
        clusters[label].append(record_id)
        if is_kept:
            kept[label] = record_id
    used: set[int] = set()
    created = 0
    now = utc_now()
    for label in sorted(clusters, key=lambda lb: min(clusters[lb])):
        members = clusters[label]
        counts: dict[int, int] = defaultdict(int)
        for m in members:
            if m in old and old[m] not in used:
                counts[old[m]] += 1
        if counts:
            group_id = min(counts, key=lambda g: (-counts[g], g))
            conn.execute(groups.update().where(groups.c.id == group_id)
                         .values(kept_record_id=kept[label], merged_into=None))
        else:
            group_id = conn.execute(groups.insert().values(
                kept_record_id=kept[label], created_at=now).returning(groups.c.id)).scalar_one()
            created += 1
        used.add(group_id)
        for other in set(counts) - {group_id}:  # a person joined groups: the other points here
            conn.execute(groups.update().where(groups.c.id == other)
                         .values(merged_into=group_id))
        moved = [m for m in members if old.get(m) != group_id]
        fresh = [m for m in moved if m not in old]
        if fresh:
            conn.execute(links.insert(), [{"record_id": m, "group_id": group_id} for m in fresh])
        changed = [m for m in moved if m in old]
        if changed:
            conn.execute(links.update().where(links.c.record_id.in_(changed))
                         .values(group_id=group_id))
    return created


def _summary(store: Store, conn: Connection, new_groups: int) -> DedupeSummary:
    records, links = t.records, t.record_groups
    pairs = t.duplicate_pairs
    n_records = conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one()
    n_groups = conn.execute(sa.select(sa.func.count(sa.distinct(links.c.group_id)))).scalar_one()
    status: dict[str, int] = dict(conn.execute(sa.select(pairs.c.status, sa.func.count())
                               .group_by(pairs.c.status)).all())
    return DedupeSummary(records=n_records, groups=n_groups, duplicates=n_records - n_groups,
                         merged_pairs=status.get(MERGED, 0) + status.get(CONFIRMED, 0),
                         needs_review=status.get(NEEDS_REVIEW, 0), new_groups=new_groups)


def summary(store: Store) -> DedupeSummary:
    with store.read() as conn:
        return _summary(store, conn, 0)


# --- people's decisions ---------------------------------------------------------------------


def _recluster(store: Store, conn: Connection, group_ids: Sequence[int]) -> None:
    """Re-form only the given groups after a decision (fast, and nothing else moves)."""
    links = t.record_groups
    member_ids = [r for (r,) in conn.execute(
        sa.select(links.c.record_id).where(links.c.group_id.in_(list(group_ids))))]
    ids, records = _load(store, conn, t.records.c.id.in_(member_ids))
    confirmed, rejected = _decisions(store, conn, ids)
    result = deduplicate(records, [str(i) for i in ids], confirmed=confirmed, rejected=rejected)
    old = _current_groups(store, conn)
    _save_pairs(store, conn, result.pairs, replace_all=False)
    _save_groups(store, conn, ids, result, {i: old[i] for i in ids})
    # pairs inside these groups that a rule merged but the new grouping separates, or joins
    pairs = t.duplicate_pairs
    group_of = dict(zip(ids, result.group, strict=True))
    for row in conn.execute(sa.select(pairs).where(pairs.c.record_a.in_(ids),
                                                   pairs.c.record_b.in_(ids))).all():
        if row.status in BY_PERSON:
            continue
        together = group_of[row.record_a] == group_of[row.record_b]
        status = MERGED if together else (KEPT_APART if row.outcome == NOT_DUPLICATE
                                          else NEEDS_REVIEW)
        if status != row.status:
            conn.execute(pairs.update().where(pairs.c.id == row.id).values(status=status))


def decide_pair(store: Store, pair_id: int, decision: str, *,
                actor: str | Reviewer) -> dict[str, Any]:
    """A person confirms (same work: the groups join) or rejects (different works: they part)."""
    _check_decision(decision)
    with store.write() as conn:
        actor = _lead(store, conn, actor)
        return _decide(store, conn, pair_id, decision, actor)


def _check_decision(decision: str) -> None:
    if decision not in ("confirm", "reject"):
        raise ReviewError(f"unknown decision {decision!r}; use confirm or reject")


def _decide(store: Store, conn: Connection, pair_id: int, decision: str,
            actor: str) -> dict[str, Any]:
    pairs, links = t.duplicate_pairs, t.record_groups
    row = conn.execute(sa.select(pairs).where(pairs.c.id == pair_id)).mappings().first()
    if row is None:
        raise ReviewError(f"no duplicate pair {pair_id}; 'review duplicates' lists them")
    status = CONFIRMED if decision == "confirm" else REJECTED
    conn.execute(pairs.update().where(pairs.c.id == pair_id).values(
        status=status, decided_by=actor, decided_at=utc_now()))
    records = [row["record_a"], row["record_b"]]
    group_ids = sorted({g for (g,) in conn.execute(sa.select(links.c.group_id).where(
        links.c.record_id.in_(records)))})
    _recluster(store, conn, group_ids)
    _sync_screening(store, conn, actor=actor, only=group_ids + _groups_now(
        store, conn, records))
    audit(store, conn, actor=actor, action=f"duplicate pair {status}", entity="duplicate pair",
          entity_id=str(pair_id), detail={"before": row["status"], "after": status,
                                          "records": [row["record_a"], row["record_b"]]})
    return dict(conn.execute(sa.select(pairs).where(pairs.c.id == pair_id)).mappings().one())


def split_group(store: Store, group_id: int, *, actor: str | Reviewer) -> list[int]:
    """Undo a merge: every record of the group stands alone, and stays so in later runs (each
    pair inside is recorded as rejected by this person). Returns the resulting group ids."""
    pairs, links = t.duplicate_pairs, t.record_groups
    with store.write() as conn:
        actor = _lead(store, conn, actor)
        members = sorted(r for (r,) in conn.execute(
            sa.select(links.c.record_id).where(links.c.group_id == group_id)))
        if not members:
            raise ReviewError(f"no duplicate group {group_id}")
        if len(members) == 1:
            raise ReviewError(f"group {group_id} holds one record; there is nothing to split")
        existing = {(r.record_a, r.record_b): r.id for r in conn.execute(
            sa.select(pairs.c.id, pairs.c.record_a, pairs.c.record_b).where(
                pairs.c.record_a.in_(members), pairs.c.record_b.in_(members)))}
        now = utc_now()
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if (a, b) in existing:
                    conn.execute(pairs.update().where(pairs.c.id == existing[(a, b)]).values(
                        status=REJECTED, decided_by=actor, decided_at=now))
                else:
                    conn.execute(pairs.insert().values(
                        record_a=a, record_b=b, score=0.0, outcome=NOT_DUPLICATE,
                        reason="split by a person", evidence={}, status=REJECTED,
                        decided_by=actor, decided_at=now, engine_version=ENGINE_VERSION))
        _recluster(store, conn, [group_id])
        _sync_screening(store, conn, actor=actor, only=_groups_now(store, conn, members))
        audit(store, conn, actor=actor, action="split duplicate group", entity="duplicate group",
              entity_id=str(group_id), detail={"records": members})
        return sorted({g for (g,) in conn.execute(sa.select(links.c.group_id).where(
            links.c.record_id.in_(members)))})


def _groups_now(store: Store, conn: Connection, record_ids: Sequence[int]) -> list[int]:
    links = t.record_groups
    return sorted({g for (g,) in conn.execute(sa.select(links.c.group_id).where(
        links.c.record_id.in_(list(record_ids))))})


# --- listings -------------------------------------------------------------------------------


def list_pairs(store: Store, *, status: str | None = None) -> list[dict[str, Any]]:
    """Pairs with both records' titles, years and sources, strongest first."""
    pairs, records, sources = t.duplicate_pairs, t.records, t.sources
    a, b = records.alias("a"), records.alias("b")
    sa_, sb = sources.alias("sa"), sources.alias("sb")
    query = (sa.select(pairs, a.c.title.label("title_a"), b.c.title.label("title_b"),
                       a.c.year.label("year_a"), b.c.year.label("year_b"),
                       sa_.c.name.label("source_a"), sb.c.name.label("source_b"))
             .join(a, a.c.id == pairs.c.record_a).join(b, b.c.id == pairs.c.record_b)
             .join(sa_, sa_.c.id == a.c.source_id).join(sb, sb.c.id == b.c.source_id)
             .order_by(pairs.c.score.desc(), pairs.c.id))
    if status:
        query = query.where(pairs.c.status == status)
    with store.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def group_of(store: Store, record_ids: Sequence[int]) -> dict[int, int]:
    links = t.record_groups
    with store.read() as conn:
        return dict(conn.execute(sa.select(links.c.record_id, links.c.group_id)
                                 .where(links.c.record_id.in_(list(record_ids)))).all())


def list_groups(store: Store, *, min_size: int = 2) -> list[dict[str, Any]]:
    """Groups with their members (record ids) and kept record, larger first."""
    groups, links = t.duplicate_groups, t.record_groups
    with store.read() as conn:
        members: dict[int, list[int]] = defaultdict(list)
        for record_id, group_id in conn.execute(sa.select(links.c.record_id, links.c.group_id)
                                                .order_by(links.c.record_id)):
            members[group_id].append(record_id)
        kept = dict(conn.execute(sa.select(groups.c.id, groups.c.kept_record_id)).all())
    rows = [{"group": g, "size": len(m), "kept": kept.get(g), "records": m}
            for g, m in members.items() if len(m) >= min_size]
    return sorted(rows, key=lambda r: (-r["size"], r["group"]))


# --- the Duplicates page: pages of pairs, field-by-field differences, decisions on a set ---

SAME, DIFFERS, MISSING = "same", "differs", "missing"
COMPARED = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi")


@dataclass(frozen=True, slots=True)
class PairsPage:
    pairs: list[dict[str, Any]]  # each with `together`: both records are in one group now
    total: int
    page: int  # 1-based, clamped to the pages there are
    pages: int
    size: int


def _pairs_query(status: str | None) -> sa.Select:
    pairs, records, sources, links = t.duplicate_pairs, t.records, t.sources, t.record_groups
    a, b = records.alias("a"), records.alias("b")
    sa_, sb = sources.alias("sa"), sources.alias("sb")
    ga, gb = links.alias("ga"), links.alias("gb")
    query = (sa.select(pairs, a.c.title.label("title_a"), b.c.title.label("title_b"),
                       a.c.year.label("year_a"), b.c.year.label("year_b"),
                       sa_.c.name.label("source_a"), sb.c.name.label("source_b"),
                       ga.c.group_id.label("group_a"), gb.c.group_id.label("group_b"))
             .join(a, a.c.id == pairs.c.record_a).join(b, b.c.id == pairs.c.record_b)
             .join(sa_, sa_.c.id == a.c.source_id).join(sb, sb.c.id == b.c.source_id)
             .outerjoin(ga, ga.c.record_id == pairs.c.record_a)
             .outerjoin(gb, gb.c.record_id == pairs.c.record_b))
    if status:
        query = query.where(pairs.c.status == status)
    return query


def pairs_page(store: Store, *, status: str | None = None, page: int = 1,
               size: int = 25) -> PairsPage:
    """One page of pairs, strongest first (every pair is on some page), with the number of
    pairs and pages; a page past the end gives the last one."""
    if size < 1:
        raise ReviewError(f"a page holds at least one pair, not {size}")
    pairs = t.duplicate_pairs
    counted = sa.select(sa.func.count()).select_from(pairs)
    if status:
        counted = counted.where(pairs.c.status == status)
    with store.read() as conn:
        total = conn.execute(counted).scalar_one()
        pages = max(1, -(-total // size))
        page = min(max(page, 1), pages)
        query = (_pairs_query(status).order_by(pairs.c.score.desc(), pairs.c.id)
                 .limit(size).offset((page - 1) * size))
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["together"] = row["group_a"] is not None and row["group_a"] == row["group_b"]
    return PairsPage(rows, total, page, pages, size)


def _norm(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.casefold()).split())


def field_value(row: dict[str, Any], name: str) -> str:
    """A record's field as shown to a person (authors joined, pages as a range)."""
    if name == "pages":
        start, end = row.get("pages_start"), row.get("pages_end")
        return f"{start}-{end}" if start and end else (start or "")
    value = row.get(name)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else str(value)


def compare_fields(a: dict[str, Any], b: dict[str, Any],
                   names: Sequence[str] = COMPARED) -> list[dict[str, str]]:
    """Field by field: `same` (equal once case, punctuation and spacing are set aside; a DOI
    without its resolver prefix), `differs`, or `missing` (absent from one record or both)."""
    rows = []
    for name in names:
        left, right = field_value(a, name), field_value(b, name)
        if not left.strip() or not right.strip():
            verdict = MISSING
        else:
            x, y = _norm(left), _norm(right)
            if name == "doi":
                x, y = (_norm(v.lower().removeprefix("https://doi.org/")) for v in (left, right))
            verdict = SAME if x == y else DIFFERS
        rows.append({"field": name, "a": left, "b": right, "verdict": verdict})
    return rows


def decide_pairs(store: Store, pair_ids: Sequence[int], decision: str, *,
                 actor: str | Reviewer) -> list[dict[str, Any]]:
    """One decision on a set of pairs, in one transaction (all land or none), each pair in the
    audit log plus one entry for the set. "Same work" is refused, for the whole set, on a pair
    whose records were already in one group: there is nothing to join (a person who thinks
    they are different works rejects the pair instead)."""
    _check_decision(decision)
    ids = sorted(set(pair_ids))
    if not ids:
        raise ReviewError("choose at least one pair")
    pairs, links = t.duplicate_pairs, t.record_groups
    with store.write() as conn:
        actor = _lead(store, conn, actor)
        found = {r.id: r for r in conn.execute(
            sa.select(pairs.c.id, pairs.c.record_a, pairs.c.record_b).where(pairs.c.id.in_(ids)))}
        missing = [i for i in ids if i not in found]
        if missing:
            raise ReviewError("no duplicate pair " + ", ".join(map(str, missing))
                              + "; nothing was decided")
        if decision == "confirm":
            members = {r for row in found.values() for r in (row.record_a, row.record_b)}
            group = dict(conn.execute(sa.select(links.c.record_id, links.c.group_id)
                                      .where(links.c.record_id.in_(sorted(members)))).all())
            together = [i for i in ids if group.get(found[i].record_a) is not None
                        and group.get(found[i].record_a) == group.get(found[i].record_b)]
            if together:
                raise ReviewError("pair " + ", ".join(map(str, together)) + " is already one "
                                  "work (its records are in one group); nothing was decided")
        decided = [_decide(store, conn, i, decision, actor) for i in ids]
        audit(store, conn, actor=actor, action="duplicate pairs decided together",
              entity="duplicate pair", entity_id=None,
              detail={"decision": decision, "pairs": ids})
        return decided
