"""Import exports into a review: every file parsed and checked before anything is written, then
all of them land in one transaction, so an import is whole or absent, never half-done."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from review.accounts import Reviewer, authorise, is_lead
from review.errors import InputError, ReviewError, StoreError
from review.io import ParsedFile, read_bytes, read_file
from review.store import Store, utc_now
from review.store.records import audit, insert_records, insert_source, known_hashes

if TYPE_CHECKING:
    from review.duplicates import DedupeSummary

KINDS = ("database", "register", "website", "organisation", "citation", "other")
KIND_LABELS = {
    "database": "Databases", "register": "Registers", "website": "Websites",
    "organisation": "Organisations", "citation": "Citation searching", "other": "Other methods",
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
        platform = " ".join((self.platform or "").split()) or None
        limits = (self.limits or "").strip() or None
        query = self.query if self.query and self.query.strip() else None
        return SourceInfo(name, self.kind, self.searched_on, query, platform, limits)


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
    except sa.exc.IntegrityError as exc:  # a concurrent import of the same bytes won the race
        raise StoreError("import refused by the database, nothing was imported: "
                         f"{exc.orig}") from None
    return done


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
