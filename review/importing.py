"""Import exports into a review: every file parsed and checked before anything is written, then
all of them land in one transaction, so an import is whole or absent, never half-done.

Updated and living reviews:
- kind "previous" takes a previous version's included reports (e.g. --source "Version 1
  (2021)"): they are deduplicated with everything else, never screened (their groups have no
  screening rows), and PRISMA counts them in its "previous studies" column; a new search
  record that duplicates one is a duplicate removed before screening. Each record is a report;
  the studies they are of are as many as the distinct reports, unless the import states the
  previous version's number of studies (`studies`, kept in the settings as previous_studies).
- a search run again later is imported under the same source name with its new date: each
  (source name, search date) is one run (several files may make one run). A source name keeps
  its kind, and once it has a dated run every later import of it needs its date, so a re-run
  is never mistaken for more files of an earlier one. Deduplication recognises the records an
  earlier run of the source already brought (review.duplicates), so only new ones reach
  screening; new_records() counts them per file for `review sources`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer, authorise, is_lead
from review.errors import InputError, ReviewError, StoreError
from review.io import ParsedFile, read_bytes, read_file
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import (
    PREVIOUS,
    PREVIOUS_STUDIES,
    audit,
    insert_records,
    insert_source,
    known_hashes,
)

if TYPE_CHECKING:
    from review.duplicates import DedupeSummary

KINDS = ("database", "register", "website", "organisation", "citation", "other", PREVIOUS)
KIND_LABELS = {
    "database": "Databases", "register": "Registers", "website": "Websites",
    "organisation": "Organisations", "citation": "Citation searching", "other": "Other methods",
    PREVIOUS: "Previous version (its included reports)",
}


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where a search was run; PRISMA reports identification counts by these."""

    name: str
    kind: str
    searched_on: str | None = None
    query: str | None = None
    platform: str | None = None  # PRISMA-S: the interface the database was searched on
    limits: str | None = None  # PRISMA-S: years, languages, filters the search applied
    studies: int | None = None  # kind previous: the studies its reports are of, if stated

    def checked(self) -> SourceInfo:
        name = " ".join(self.name.split())
        if not name:
            raise ReviewError("a source name is required, e.g. --source \"PsycINFO (Ovid)\"")
        if self.kind not in KINDS:
            raise ReviewError(f"unknown source kind {self.kind!r}; choose one of "
                              + ", ".join(KINDS))
        if self.searched_on is not None:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.searched_on):
                raise ReviewError(f"search date {self.searched_on!r} is not YYYY-MM-DD")
            try:
                day = date.fromisoformat(self.searched_on)
            except ValueError:
                raise ReviewError(f"search date {self.searched_on!r} is not a real date") from None
            if day > date.today():
                raise ReviewError(f"search date {self.searched_on} is in the future")
        if self.studies is not None:
            if self.kind != PREVIOUS:
                raise ReviewError("a number of studies goes with --kind previous only (the "
                                  "studies a previous version included)")
            if self.studies < 1:
                raise ReviewError(f"the previous version's studies must be 1 or more, not "
                                  f"{self.studies}")
        platform = " ".join((self.platform or "").split()) or None
        limits = (self.limits or "").strip() or None
        query = self.query if self.query and self.query.strip() else None
        return SourceInfo(name, self.kind, self.searched_on, query, platform, limits,
                          self.studies)


@dataclass(frozen=True, slots=True)
class ImportedFile:
    source_id: int
    file_name: str
    format: str
    encoding: str
    records: int


def import_parsed(store: Store, files: Sequence[ParsedFile], source: SourceInfo, *,
                  actor: str | Reviewer) -> list[ImportedFile]:
    """Write already-parsed files as one source row each, all in one transaction.

    Refuses bytes already imported (by sha256), whether in this review or twice in this call.
    A lead's work: new records go into everyone's queue.
    """
    source = source.checked()
    seen: dict[str, str] = {}
    for parsed in files:
        if parsed.sha256 in seen:
            raise InputError(parsed.name, f"the same bytes as {seen[parsed.sha256]} in this import")
        seen[parsed.sha256] = parsed.name
    done: list[ImportedFile] = []
    try:
        with store.write() as conn:
            actor = authorise(store, conn, actor, is_lead, "only a lead imports searches")
            _check_run(conn, source)
            already = known_hashes(store, conn, seen)
            for parsed in files:
                if parsed.sha256 in already:
                    old = already[parsed.sha256]
                    raise StoreError(
                        f"{parsed.name}: already imported as {old['file_name']!r} (source "
                        f"{old['name']!r}, {old['record_count']} records, {old['imported_at']}); "
                        "nothing was imported")
                source_id = insert_source(store, conn, {
                    "name": source.name, "kind": source.kind,
                    "file_name": Path(parsed.name).name, "sha256": parsed.sha256,
                    "format": parsed.format, "encoding": parsed.encoding,
                    "line_endings": parsed.line_endings, "size_bytes": parsed.size,
                    "searched_on": source.searched_on, "search_query": source.query,
                    "platform": source.platform, "search_limits": source.limits,
                    "imported_at": utc_now(), "imported_by": actor,
                    "record_count": len(parsed.records),
                })
                insert_records(store, conn, source_id, parsed.records)
                audit(store, conn, actor=actor, action="import", entity="source",
                      entity_id=str(source_id),
                      detail={"file": Path(parsed.name).name, "sha256": parsed.sha256,
                              "records": len(parsed.records), "source": source.name,
                              "kind": source.kind, "format": parsed.format})
                done.append(ImportedFile(source_id, Path(parsed.name).name, parsed.format,
                                         parsed.encoding, len(parsed.records)))
            if source.studies is not None:
                _state_previous_studies(store, conn, source, actor)
    except sa.exc.IntegrityError as exc:  # a concurrent import of the same bytes won the race
        raise StoreError("import refused by the database, nothing was imported: "
                         f"{exc.orig}") from None
    return done


def _check_run(conn: Connection, source: SourceInfo) -> None:
    """A source name imported before keeps its kind; a search run again needs its date."""
    sources = t.sources
    earlier = conn.execute(sa.select(sources.c.kind, sources.c.searched_on)
                           .where(sources.c.name == source.name)).all()
    kinds = {row.kind for row in earlier}
    if kinds and source.kind not in kinds:
        raise ReviewError(f"source {source.name!r} was imported as kind {sorted(kinds)[0]!r}; "
                          f"a later import of it cannot be kind {source.kind!r} (use another "
                          "source name)")
    dates = sorted({row.searched_on for row in earlier if row.searched_on})
    if dates and source.searched_on is None and source.kind != PREVIOUS:
        raise ReviewError(
            f"source {source.name!r} was searched on {', '.join(dates)}: give this run's "
            "search date (--date YYYY-MM-DD, or Searched on in the app); the same date adds "
            "files to that run, a later date imports a new run whose records already present "
            "are recognised")


def _state_previous_studies(store: Store, conn: Connection, source: SourceInfo,
                            actor: str) -> None:
    settings, sources = t.settings, t.sources
    reports = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(sources.c.record_count), 0))
                           .where(sources.c.kind == PREVIOUS)).scalar_one()
    if source.studies is not None and source.studies > reports:
        raise ReviewError(f"the previous version cannot have {source.studies} studies from "
                          f"{reports} reports; nothing was imported")
    old = conn.execute(sa.select(settings.c.value).where(
        settings.c.key == PREVIOUS_STUDIES)).scalar()
    conn.execute(settings.delete().where(settings.c.key == PREVIOUS_STUDIES))
    conn.execute(settings.insert().values(key=PREVIOUS_STUDIES, value=source.studies))
    audit(store, conn, actor=actor, action="previous version's studies", entity="review",
          entity_id=None, detail={"before": old, "after": source.studies,
                                  "source": source.name})


def new_records(store: Store) -> dict[int, int | None]:
    """Per source file (id): its records that no earlier run of the same source name had
    already brought, i.e. whose duplicate group holds no record of an earlier run (all of
    them for a first run; None for a previous version's reports, which are not a search).
    Runs are ordered by search date (undated first), then by import. A record not yet
    deduplicated counts as new until `review dedupe` says otherwise."""
    sources, records, links = t.sources, t.records, t.record_groups
    with store.read() as conn:
        rows = conn.execute(sa.select(sources.c.id, sources.c.name, sources.c.kind,
                                      sources.c.searched_on, sources.c.record_count)
                            .order_by(sources.c.id)).all()
        members = conn.execute(sa.select(records.c.source_id, links.c.group_id)
                               .select_from(records).outerjoin(
                                   links, links.c.record_id == records.c.id)).all()
    first_id: dict[tuple[str, str], int] = {}
    for row in rows:
        first_id.setdefault((row.name, row.searched_on or ""), row.id)
    rank = {key: i for i, key in enumerate(sorted(first_id, key=lambda k: (k[1], first_id[k])))}
    run_of = {row.id: rank[(row.name, row.searched_on or "")] for row in rows}
    name_of = {row.id: row.name for row in rows}
    earliest: dict[tuple[str, int], int] = {}  # (source name, group): its earliest run
    for source_id, group_id in members:
        if group_id is not None:
            key = (name_of[source_id], group_id)
            earliest[key] = min(earliest.get(key, run_of[source_id]), run_of[source_id])
    out: dict[int, int | None] = {row.id: (None if row.kind == PREVIOUS else 0) for row in rows}
    for source_id, group_id in members:
        if out[source_id] is None:
            continue
        if group_id is None or earliest[(name_of[source_id], group_id)] >= run_of[source_id]:
            out[source_id] = (out[source_id] or 0) + 1
    return out


def import_files(store: Store, paths: Sequence[str | Path], source: SourceInfo, *,
                 actor: str | Reviewer, encoding: str | None = None,
                 progress: Callable[[str], None] | None = None) -> list[ImportedFile]:
    """Parse every file (any error names file and line, and nothing is written), then import
    them together, without deduplicating (see import_and_deduplicate)."""
    source = source.checked()
    parsed = read_exports(paths, encoding=encoding, progress=progress)
    return import_parsed(store, parsed, source, actor=actor)


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """One search imported: its files, and the review's duplicates after it (None when the
    import was told not to deduplicate, or deduplication failed after the import had landed:
    then `dedupe_error` says why, and the new records wait for `review dedupe`)."""

    source: SourceInfo
    files: list[ImportedFile]
    dedupe: DedupeSummary | None
    dedupe_error: str | None = None

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)


def read_exports(files: Sequence[str | Path | tuple[str, bytes]], *, encoding: str | None = None,
                 progress: Callable[[str], None] | None = None) -> list[ParsedFile]:
    """Parse every file before anything is written; an error names the file and line. A file
    is a path to read, or (name, bytes) as uploaded."""
    parsed: list[ParsedFile] = []
    for item in files:
        name = item[0] if isinstance(item, tuple) else str(item)
        if progress:
            progress(name)
        if isinstance(item, tuple):
            parsed.append(read_bytes(item[1], name, encoding=encoding))
        else:  # streamed from disk: the file's bytes are never held whole
            parsed.append(read_file(item, encoding=encoding))
    return parsed


def import_and_deduplicate(store: Store, files: Sequence[str | Path | tuple[str, bytes]],
                           source: SourceInfo, *, actor: str | Reviewer, dedupe: bool = True,
                           encoding: str | None = None,
                           progress: Callable[[str], None] | None = None,
                           dedupe_progress: Callable[[str, int, int], None] | None = None
                           ) -> ImportOutcome:
    """The one way a search enters a review, from the command line or the Import page: parse
    every file, import them whole or not at all, then deduplicate the whole review so the new
    records reach screening. `dedupe=False` leaves them out of screening until `review dedupe`
    runs (for a team that checks duplicates before anyone screens)."""
    source = source.checked()
    parsed = read_exports(files, encoding=encoding, progress=progress)
    done = import_parsed(store, parsed, source, actor=actor)
    if not dedupe:
        return ImportOutcome(source, done, None)
    from review.duplicates import run_dedupe  # start-up: the engine loads only to deduplicate

    try:
        summary = run_dedupe(store, actor=actor, progress=dedupe_progress)
    except Exception as exc:  # the import has landed: say so, and why the dedupe did not
        return ImportOutcome(source, done, None, dedupe_error=str(exc) or type(exc).__name__)
    return ImportOutcome(source, done, summary)
