"""The search documentation PRISMA-S asks for: every search with its database or site, the
platform it ran on, its date, its full strategy, its limits, the records it found and how many
remain after deduplication, written as the search appendix (CSV or Markdown).

A *search* is one run of one strategy: the files imported together under one source name with
the same date, platform, query and limits (a database export split into batches of 1,000 is
one search; the same search run again later is another). "After deduplication" counts the
distinct records (duplicate groups) a search found; "unique" counts those no other search
found; the total after deduplication counts each group once, as PRISMA's "records after
duplicates removed" does.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from review import __version__
from review.accounts import Reviewer, authorise, is_lead
from review.errors import InputError, ReviewError
from review.importing import SourceInfo
from review.project import review_info
from review.store import Store
from review.store import schema as t
from review.store.records import PREVIOUS, audit
from review.tabular import render

APPENDIX_FORMATS = (".csv", ".md")
SEARCH_COLUMNS = ("source", "kind", "platform", "searched_on", "query", "limits", "records",
                  "after_deduplication", "unique", "awaiting_deduplication", "files")
TOTAL_LABEL = "All searches (total)"


@dataclass(frozen=True, slots=True)
class Search:
    """One search as reported in the appendix (see the module's docstring for the counts;
    they are None while some of its records await deduplication)."""

    source: str
    kind: str
    platform: str | None
    searched_on: str | None
    query: str | None
    limits: str | None
    records: int
    after_deduplication: int | None
    unique: int | None
    awaiting_deduplication: int
    files: tuple[str, ...]
    source_ids: tuple[int, ...]

    def row(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "files": list(self.files)}


@dataclass(frozen=True, slots=True)
class SearchReport:
    searches: list[Search]
    records: int
    after_deduplication: int | None
    awaiting_deduplication: int


def _memberships(store: Store) -> tuple[list[dict[str, Any]], dict[int, list[int | None]]]:
    """Every source row, and the duplicate group of each of its records (None: not yet
    deduplicated), from one read."""
    sources, records, links = t.sources, t.records, t.record_groups
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(sources).order_by(sources.c.id))
                .mappings()]
        members: dict[int, list[int | None]] = defaultdict(list)
        for source_id, group_id in conn.execute(
                sa.select(records.c.source_id, links.c.group_id)
                .select_from(records)
                .outerjoin(links, links.c.record_id == records.c.id)):
            members[source_id].append(group_id)
    return rows, members


def source_rows(store: Store) -> list[dict[str, Any]]:
    """Every imported file with its search details and its records after deduplication
    (distinct duplicate groups among them; None while some await deduplication)."""
    rows, members = _memberships(store)
    for row in rows:
        groups = members.get(row["id"], [])
        waiting = sum(g is None for g in groups)
        row["query"] = row.pop("search_query")
        row["limits"] = row.pop("search_limits")
        row["awaiting_deduplication"] = waiting
        row["after_deduplication"] = None if waiting else len(set(groups))
    return rows


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (row["name"], row["kind"], row["platform"], row["searched_on"], row["search_query"],
            row["search_limits"])


def search_report(store: Store) -> SearchReport:
    """Every search (files imported together count once), in the order they were imported.
    A previous version's included reports are not a search: left out, so the appendix's total
    is PRISMA's records identified."""
    rows, members = _memberships(store)
    runs: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        if row["kind"] != PREVIOUS:
            runs.setdefault(_key(row), []).append(row)
    found_by: dict[int, set[tuple[Any, ...]]] = defaultdict(set)  # group -> searches
    for key, files in runs.items():
        for row in files:
            for group in members.get(row["id"], []):
                if group is not None:
                    found_by[group].add(key)
    searches = []
    for key, files in runs.items():
        groups = [g for row in files for g in members.get(row["id"], [])]
        waiting = sum(g is None for g in groups)
        distinct = {g for g in groups if g is not None}
        first = files[0]
        searches.append(Search(
            source=first["name"], kind=first["kind"], platform=first["platform"],
            searched_on=first["searched_on"], query=first["search_query"],
            limits=first["search_limits"], records=sum(r["record_count"] for r in files),
            after_deduplication=None if waiting else len(distinct),
            unique=None if waiting else sum(found_by[g] == {key} for g in distinct),
            awaiting_deduplication=waiting, files=tuple(r["file_name"] for r in files),
            source_ids=tuple(r["id"] for r in files)))
    waiting = sum(s.awaiting_deduplication for s in searches)
    return SearchReport(searches, sum(s.records for s in searches),
                        None if waiting else len(found_by), waiting)


UNSET: Any = object()  # edit_search: a field not given stays as it is


def read_strategy(path: str | Path) -> str:
    """A search strategy saved as text: UTF-8 (with or without a BOM) or UTF-16 with its BOM,
    as Windows editors save it; anything else is refused, naming the file."""
    data = Path(path).read_bytes()
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"the search strategy is not UTF-8 text (byte "
                                    f"{exc.start}); save it as UTF-8 and try again") from None


def edit_search(store: Store, source_ids: Sequence[int], *, actor: str | Reviewer,
                platform: str | None = UNSET, searched_on: str | None = UNSET,
                query: str | None = UNSET, limits: str | None = UNSET) -> list[int]:
    """Record or correct a search's details after its import (a lead's work): only the given
    fields change (None or "" clears one), on every source file named, in one transaction,
    each change in the audit log with its old value. Returns the ids named, each once."""
    if not source_ids:
        raise ReviewError("name at least one source id ('review sources' lists them)")
    changes = {"platform": platform, "searched_on": searched_on, "search_query": query,
               "search_limits": limits}
    changes = {k: v for k, v in changes.items() if v is not UNSET}
    if not changes:
        raise ReviewError("nothing to change: give the platform, date, query or limits")
    sources = t.sources
    with store.write() as conn:
        actor = authorise(store, conn, actor, is_lead, "only a lead documents searches")
        rows = {r["id"]: dict(r) for r in conn.execute(
            sa.select(sources).where(sources.c.id.in_(list(source_ids)))).mappings()}
        missing = sorted(set(source_ids) - set(rows))
        if missing:
            raise ReviewError(f"no source {', '.join(map(str, missing))}; 'review sources' "
                              "lists the ids")
        for source_id in dict.fromkeys(source_ids):
            row = rows[source_id]
            merged = {**row, **{k: v or None for k, v in changes.items()}}
            info = SourceInfo(row["name"], row["kind"], merged["searched_on"],
                              merged["search_query"], merged["platform"],
                              merged["search_limits"]).checked()
            values = {"platform": info.platform, "searched_on": info.searched_on,
                      "search_query": info.query, "search_limits": info.limits}
            values = {k: v for k, v in values.items() if k in changes and v != row[k]}
            if not values:
                continue
            conn.execute(sources.update().where(sources.c.id == source_id).values(**values))
            audit(store, conn, actor=actor, action="edit search", entity="source",
                  entity_id=str(source_id),
                  detail={k: {"from": row[k], "to": v} for k, v in values.items()})
    return list(dict.fromkeys(source_ids))


# --- the appendix ---------------------------------------------------------------------------

def _kind(kind: str) -> str:
    return {"citation": "Citation searching"}.get(kind, kind.capitalize())


def _code(text: str) -> str:
    """A file name as code, so underscores and stars show as they are."""
    return f"`{text}`" if "`" not in text else _cell(text)


def _count(value: int | None) -> str:
    return "not yet deduplicated" if value is None else str(value)


def appendix_rows(report: SearchReport) -> list[dict[str, Any]]:
    """One row per search, then the totals."""
    rows = [s.row() for s in report.searches]
    rows.append({"source": TOTAL_LABEL, "records": report.records,
                 "after_deduplication": report.after_deduplication,
                 "awaiting_deduplication": report.awaiting_deduplication})
    return rows


def appendix_csv(report: SearchReport) -> str:
    """The appendix as CSV (every cell through the formula neutraliser)."""
    return render(appendix_rows(report), SEARCH_COLUMNS, "csv")


def _cell(text: str | None) -> str:
    """Text for a Markdown table cell: one line, pipes and Markdown characters escaped."""
    if not text:
        return ""
    flat = " ".join(text.split())
    for ch in "\\`*_[]<>|#":
        flat = flat.replace(ch, "\\" + ch)
    return flat


def _fenced(text: str) -> str:
    """Text in a code fence longer than any run of backticks inside it, so it shows as
    written whatever it holds."""
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text.rstrip()}\n{fence}"


def appendix_markdown(report: SearchReport, *, title: str, today: str | None = None) -> str:
    """The appendix as Markdown: a summary table, then each search in full (strategy as
    written, in a code block)."""
    today = today or datetime.now(UTC).date().isoformat()
    lines = [f"# Search appendix: {_cell(title)}", "",
             f"Every search of the review, as PRISMA-S asks (generated {today} by review "
             f"{__version__}).", "",
             "| # | Source | Kind | Platform | Date searched | Records | After deduplication "
             "| Unique |", "|---|---|---|---|---|---|---|---|"]
    for n, s in enumerate(report.searches, start=1):
        lines.append(f"| {n} | {_cell(s.source)} | {_kind(s.kind)} | "
                     f"{_cell(s.platform) or 'not given'} | {s.searched_on or 'not given'} | "
                     f"{s.records} | {_count(s.after_deduplication)} | "
                     f"{'' if s.unique is None else s.unique} |")
    lines.append(f"| | **Total** | | | | {report.records} | "
                 f"{_count(report.after_deduplication)} | |")
    lines += ["", "After deduplication: the distinct records a search found (its own "
              "duplicates removed); unique: those no other search found. The total counts "
              "each distinct record once.", ""]
    for n, s in enumerate(report.searches, start=1):
        lines += [f"## {n}. {_cell(s.source)}", "",
                  f"- Kind: {_kind(s.kind)}",
                  f"- Platform: {_cell(s.platform) or 'not given'}",
                  f"- Date searched: {s.searched_on or 'not given'}",
                  f"- Limits: {_cell(s.limits) or 'none given'}",
                  f"- Records found: {s.records}",
                  f"- After deduplication: {_count(s.after_deduplication)}"
                  + ("" if s.unique is None else f" ({s.unique} found by no other search)"),
                  f"- File(s): {', '.join(_code(f) for f in s.files)}", ""]
        if s.query:
            lines += ["Search strategy:", "", _fenced(s.query), ""]
        else:
            lines += ["Search strategy: not recorded (add it with `review searches edit "
                      f"{' '.join(map(str, s.source_ids))} --query-file FILE`).", ""]
    return "\n".join(lines).rstrip() + "\n"


def export_appendix(store: Store, out: str | Path) -> SearchReport:
    """Write the search appendix to OUT.csv or OUT.md (told by the suffix)."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in APPENDIX_FORMATS:
        raise ReviewError(f"{path.name}: the search appendix is written as .csv or .md")
    report = search_report(store)
    if suffix == ".csv":  # with a BOM, so a spreadsheet reads the accents right
        path.write_text(appendix_csv(report), encoding="utf-8-sig", newline="")
    else:
        path.write_text(appendix_markdown(report, title=review_info(store).title),
                        encoding="utf-8")
    return report
