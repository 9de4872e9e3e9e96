"""Moving a review in from Rayyan or Covidence: their exports read as decisions on this
review's works.

Rayyan's article export (articles.csv, or its RIS) carries every reviewer's title/abstract
vote, the labels, exclusion reasons and notes in one `notes` column (review.screening.rayyan);
each vote lands as that reviewer's vote here, with origin "rayyan". Covidence exports one list
of references per stage and outcome (included at full text, excluded at titles, ...), with no
votes; each lands as a decision a named lead settled at that stage, as a lead's resolution
would, and at the stages before it as included (a record reaches full text only so).

Rows are matched to this review's works by review.screening.matching. Nothing lands while a
row with something to land is unmatched or ambiguous: those are listed and written to a CSV
beside the file, where a person can name the record (then `matches`) or skip them
(`skip_unmatched`). The whole file lands in one transaction or not at all.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import AccessError, Reviewer, find_reviewer
from review.errors import InputError, ReviewError
from review.io import read_file
from review.io.csvfile import csv_candidates
from review.io.decode import decode
from review.project import lock_protocol, review_protocol
from review.protocol import Protocol, Stage
from review.records import Record, build_record
from review.screening.labels import add_labels
from review.screening.matching import MATCHED, Match, Matcher
from review.screening.prioritise import stopped
from review.screening.rayyan import NotesError, RayyanNotes, parse_notes
from review.screening.state import (
    BY_AUTOMATION,
    CONFLICT,
    DECIDED,
    EXCLUDE,
    INCLUDE,
    NOT_RETRIEVED,
    OPEN,
    fulltext_stage,
    group_for_record,
    refresh,
)
from review.screening.votes import cast_vote, check_vote, screener
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit
from review.tabular import render, restore

TOOLS = ("ours", "rayyan", "covidence")
ORIGIN = {"rayyan": "rayyan", "covidence": "covidence"}
UNSETTLED_COLUMNS = ("row", "line", "key", "title", "authors", "year", "doi", "pmid",
                     "problem", "candidates", "record")
SKIP = "skip"
# columns some tools name their own way, read beside review.io.csvfile's names
_EXTRA_COLUMNS = {"pmid": ("pubmed_id", "pubmed"), "year": ("published year",)}
_KEY_COLUMNS = ("key", "covidence #", "covidence", "ref")
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # 1-based, in the file's order
    line: int
    key: str  # Rayyan's key, Covidence's number: what the tool calls the row
    record: Record
    notes: RayyanNotes | None = None


@dataclass(slots=True)
class Unsettled:
    row: Row
    match: Match


@dataclass(slots=True)
class ImportResult:
    file: str
    tool: str
    rows: int = 0
    matched: dict[str, int] = field(default_factory=dict)  # how: doi, pmid, title, by you
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    without_votes: int = 0  # Rayyan rows nobody decided
    kept_aside: list[dict[str, Any]] = field(default_factory=list)  # notes with no vote
    unmapped_reasons: dict[str, int] = field(default_factory=dict)
    earlier_stages: int = 0  # Covidence: earlier stages settled as include on the way
    over_votes: int = 0  # Covidence, with over_votes: works settled over votes not decided


class UnsettledRows(ReviewError):
    """Rows that match no work, or more than one: nothing was imported."""

    def __init__(self, file: str, unsettled: list[Unsettled], written: Path | None,
                 listing: str = "") -> None:
        self.file = file
        self.unsettled = unsettled
        self.written = written
        self.listing = listing  # the CSV written (for the app, which offers it to download)
        lines = [f"{Path(file).name}: nothing imported: {len(unsettled)} row(s) are not "
                 "matched to exactly one record of this review:"]
        for item in unsettled[:10]:
            title = (item.row.record.title or "(no title)")[:70]
            lines.append(f"  row {item.row.number} (line {item.row.line}): {title!r}: "
                         f"{item.match.status}, {item.match.how}"
                         + (" (records " + ", ".join(str(c.record_id)
                                                      for c in item.match.candidates) + ")"
                            if item.match.candidates else ""))
        if len(unsettled) > 10:
            lines.append(f"  ... and {len(unsettled) - 10} more")
        where = f"They are listed in {written}" if written else "They could not be listed"
        lines.append(f"{where}: write a record id (or 'skip') in its record column and give it "
                     "back with --matches, or import without them with --skip-unmatched.")
        super().__init__("\n".join(lines))


# --- reading ---------------------------------------------------------------------------


def read_rows(path: str | Path, tool: str) -> list[Row]:
    """The file's rows as records, with the line each starts on. CSV (Rayyan's articles.csv,
    Covidence's CSV export) or RIS; Rayyan's screening work is read from its notes."""
    name = str(path)
    if not Path(path).is_file():
        raise InputError(name, "cannot read: no such file")
    parsed = read_file(path)
    if parsed.format not in ("csv", "ris"):
        raise InputError(name, f"a {tool.capitalize()} export is CSV or RIS; this file reads "
                               f"as {parsed.format}")
    rows = []
    if tool == "rayyan" and parsed.format == "csv":
        header = {k.strip().lower() for k in parsed.records[0].raw}
        if "notes" not in header:
            raise InputError(name, "no notes column: this is not Rayyan's article export "
                                   "(export the review with its decisions, labels and notes)",
                             line=1)
    for number, record in enumerate(parsed.records, start=1):
        if parsed.format == "csv":
            record = _with_extra_columns(record)
        key = _key(record)
        notes = None
        if tool == "rayyan":
            text = _notes_text(record)
            try:
                notes = parse_notes(text)
            except NotesError as exc:
                raise InputError(name, f"row {number}: notes: {exc}", line=record.line) from None
        rows.append(Row(number, record.line, key, record, notes))
    return rows


def _with_extra_columns(record: Record) -> Record:
    candidates = csv_candidates(record.raw)
    lowered = {k.strip().lower(): v for k, v in record.raw.items()}
    for fieldname, names in _EXTRA_COLUMNS.items():
        candidates[fieldname] = [*candidates.get(fieldname, []),
                                 *(v for n in names for v in lowered.get(n, []))]
    return build_record(record.raw, candidates, format=record.format, line=record.line)


def _key(record: Record) -> str:
    lowered = {k.strip().lower(): v for k, v in record.raw.items()}
    for name in _KEY_COLUMNS:
        values = [v.strip() for v in lowered.get(name, []) if v.strip()]
        if values:
            return values[0]
    return ""


def _notes_text(record: Record) -> str:
    lowered = {k.strip().lower(): v for k, v in record.raw.items()}
    values = lowered.get("notes") or record.raw.get("N1") or []
    return " | ".join(v for v in values if v.strip())


def read_matches(path: str | Path) -> dict[int, tuple[str, int | None]]:
    """A settled unmatched-rows file: row number -> (title as listed, record id or None for
    'skip'). Rows whose record cell is empty stay unsettled."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror}") from None
    text = decode(data, name).text if data else ""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "row" not in header or "record" not in header:
        raise InputError(name, "expected the columns row and record (the file the import "
                               "wrote, with a record id or 'skip' in its record column)", line=1)
    reader.fieldnames = header
    found: dict[int, tuple[str, int | None]] = {}
    for row in reader:
        values = {k: restore((v or "").strip()) for k, v in row.items() if k}
        choice = values.get("record", "")
        if not choice:
            continue
        try:
            number = int(values["row"])
        except ValueError:
            raise InputError(name, f"row {values['row']!r} is not a row number",
                             line=reader.line_num) from None
        if choice.lower() == SKIP:
            found[number] = (values.get("title", ""), None)
            continue
        try:
            found[number] = (values.get("title", ""), int(choice))
        except ValueError:
            raise InputError(name, f"record {choice!r} is neither a record id nor 'skip'",
                             line=reader.line_num) from None
    return found


def unsettled_path(path: str | Path) -> Path:
    source = Path(path)
    return source.with_name(f"{source.stem}.unmatched.csv")


def _write_unsettled(path: str | Path, unsettled: list[Unsettled],
                     chosen: Sequence[tuple[Row, str]]) -> tuple[Path | None, str]:
    """The rows to settle, beside the file; rows a person already settled (`chosen`: row and
    their record id or 'skip') are written with their choice, so the list can be given back
    again whole even when it is the very file being replaced."""
    rows = []
    items: list[tuple[Row, str, str, str]] = [
        (item.row, f"{item.match.status}: {item.match.how}",
         "; ".join(f"{c.record_id} ({c.reason})" for c in item.match.candidates), "")
        for item in unsettled]
    items += [(row, "settled by you", "", choice) for row, choice in chosen]
    for row, problem, candidates, choice in sorted(items, key=lambda i: i[0].number):
        record = row.record
        rows.append({"row": row.number, "line": row.line, "key": row.key,
                     "title": record.title or "", "authors": "; ".join(record.authors[:3])
                     + ("; ..." if len(record.authors) > 3 else ""),
                     "year": record.year or "", "doi": record.doi or "",
                     "pmid": record.pmid or "", "problem": problem, "candidates": candidates,
                     "record": choice})
    target = unsettled_path(path)
    text = render(rows, UNSETTLED_COLUMNS, "csv")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError:
        return None, text
    return target, text


# --- matching -----------------------------------------------------------------------------


def _match_rows(store: Store, conn: Connection, file: str, rows: Sequence[Row],
                matches: Mapping[int, tuple[str, int | None]], skip_unmatched: bool,
                result: ImportResult, matches_file: str | None) -> list[tuple[Row, int, int]]:
    """(row, group, kept record) for each row that lands; raises UnsettledRows."""
    matcher = Matcher(store, conn)
    kept = {g: r for g, r in conn.execute(sa.select(t.duplicate_groups.c.id,
                                                    t.duplicate_groups.c.kept_record_id))}
    landing: list[tuple[Row, int, int]] = []
    unsettled: list[Unsettled] = []
    chosen: list[tuple[Row, str]] = []
    numbers = {row.number for row in rows}
    stray = sorted(set(matches) - numbers)
    if stray:
        raise InputError(matches_file or "--matches", f"row {stray[0]} is not a row of {file} "
                         "with something to import")
    for row in rows:
        if row.number in matches:
            title, record_id = matches[row.number]
            if title and row.record.title and " ".join(title.split()).casefold() \
                    != row.record.title.casefold():
                raise InputError(matches_file or "--matches", f"row {row.number} is titled "
                                 f"{title!r} there but {row.record.title!r} in {file}: a "
                                 "list written for another file?")
            chosen.append((row, SKIP if record_id is None else str(record_id)))
            if record_id is None:
                result.skipped.append({"row": row.number, "line": row.line, "key": row.key,
                                       "title": row.record.title, "why": "skipped by you"})
                continue
            try:
                group = group_for_record(store, conn, record_id)
            except ReviewError as exc:
                raise InputError(matches_file or "--matches", f"row {row.number}: {exc}"
                                 ) from None
            landing.append((row, group, kept[group]))
            result.matched["by you"] = result.matched.get("by you", 0) + 1
            continue
        match = matcher.match(row.record)
        if match.status == MATCHED:
            landing.append((row, match.group_id, match.record_id))
            result.matched[match.how] = result.matched.get(match.how, 0) + 1
        else:
            unsettled.append(Unsettled(row, match))
    if unsettled and not skip_unmatched:
        raise UnsettledRows(file, unsettled, *_write_unsettled(file, unsettled, chosen))
    for item in unsettled:
        result.skipped.append({"row": item.row.number, "line": item.row.line,
                               "key": item.row.key, "title": item.row.record.title,
                               "why": f"{item.match.status}: {item.match.how}"})
    return landing


# --- Rayyan ------------------------------------------------------------------------------


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    """'Name=target' strings as a map keyed by the casefolded name."""
    found: dict[str, str] = {}
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise ReviewError(f"{option} {value!r}: write it as \"Name in the file=name here\"")
        found[" ".join(left.split()).casefold()] = right.strip()
    return found


def _people(store: Store, conn: Connection, file: str, names: set[str],
            reviewer_map: Mapping[str, str]) -> dict[str, Reviewer]:
    people: dict[str, Reviewer] = {}
    unknown: list[str] = []
    for name in sorted(names, key=str.casefold):
        account = reviewer_map.get(" ".join(name.split()).casefold(), name)
        person = find_reviewer(store, conn, account)
        if person is None:
            unknown.append(repr(name) if account == name
                           else f"{name!r} (mapped to {account!r}, who is not a user)")
            continue
        try:
            people[name] = screener(store, conn, person)
        except AccessError as exc:
            raise InputError(file, f"Rayyan reviewer {name!r}: {exc}") from None
    if unknown:
        raise InputError(file, "no account here for the Rayyan reviewer(s) "
                         + "; ".join(unknown)
                         + ": add them with 'review users add NAME', or map each name to an "
                           "account with --reviewer-map \"Name=account\"")
    return people


def _reasons(protocol: Protocol, reason_map: Mapping[str, str]) -> dict[str, str]:
    """Rayyan reason (casefolded) -> the protocol's reason: the map, and every protocol reason
    under its own name."""
    canonical = {r.casefold(): r for r in protocol.exclusion_reasons}
    found = dict(canonical)
    for theirs, ours in reason_map.items():
        if ours.casefold() not in canonical:
            raise ReviewError(f"--reason-map {theirs}={ours}: {ours!r} is not one of the "
                              "protocol's exclusion reasons: " + "; ".join(
                                  protocol.exclusion_reasons))
        found[theirs] = canonical[ours.casefold()]
    return found


def _rayyan_votes(row: Row, notes: RayyanNotes, protocol: Protocol, reasons: Mapping[str, str],
                  result: ImportResult) -> dict[str, tuple[str, str | None, str | None]]:
    """Reviewer name -> (decision, reason, note) for one row."""
    order = {r: i for i, r in enumerate(protocol.exclusion_reasons)}
    mapped = sorted({reasons[r.casefold()] for r in notes.reasons if r.casefold() in reasons},
                    key=order.__getitem__)
    unmapped = [r for r in notes.reasons if r.casefold() not in reasons]
    votes = {}
    for name, decision in notes.inclusion.items():
        parts = list(notes.user_notes.get(name, []))
        reason = None
        if decision == EXCLUDE and notes.reasons:
            reason = mapped[0] if mapped else None
            if unmapped or len(mapped) > 1:
                parts.append("Rayyan exclusion reasons: " + ", ".join(notes.reasons))
            for r in unmapped:
                result.unmapped_reasons[r] = result.unmapped_reasons.get(r, 0) + 1
        votes[name] = (decision, reason, "; ".join(parts) or None)
    return votes


def import_rayyan(path: str | Path, store: Store, *, actor: str,
                  reviewer_map: Sequence[str] = (), reason_map: Sequence[str] = (),
                  skip_unmatched: bool = False, matches: str | Path | None = None
                  ) -> ImportResult:
    """Rayyan's votes as title/abstract votes of the mapped accounts (origin "rayyan")."""
    file = str(path)
    people_map = _pairs(reviewer_map, "--reviewer-map")
    reason_pairs = _pairs(reason_map, "--reason-map")
    rows = read_rows(path, "rayyan")
    settled = read_matches(matches) if matches else {}
    result = ImportResult(file=Path(file).name, tool="rayyan", rows=len(rows))
    voting: list[Row] = []
    notes_of: dict[int, RayyanNotes] = {}
    for row in rows:
        notes = notes_of[row.number] = row.notes or RayyanNotes()
        if notes.inclusion:
            voting.append(row)
            continue
        result.without_votes += 1
        if notes.labels or notes.user_notes:
            result.kept_aside.append({"row": row.number, "key": row.key,
                                      "title": row.record.title, "labels": notes.labels,
                                      "notes": notes.user_notes})
    with store.write() as conn:
        lock_protocol(store, conn)
        protocol = review_protocol(store, conn)
        stage = protocol.stages[0]
        reasons = _reasons(protocol, reason_pairs)
        names = {n for row in voting for n in notes_of[row.number].inclusion}
        people = _people(store, conn, file, names, people_map)
        landing = _match_rows(store, conn, file, voting, settled, skip_unmatched, result,
                              str(matches) if matches else None)
        planned: dict[tuple[int, int], tuple[Row, int, str, str | None, str | None]] = {}
        by_id = {p.id: p for p in people.values()}
        for row, group, record_id in landing:
            for name, (decision, reason, note) in _rayyan_votes(
                    row, notes_of[row.number], protocol, reasons, result).items():
                person = people[name]
                key = (group, person.id)
                if key in planned:
                    earlier = planned[key]
                    if earlier[2] != decision and earlier[0] is row:
                        raise InputError(file, f"row {row.number}: two Rayyan reviewers "
                                         f"mapped to {person.name} decided differently "
                                         f"({earlier[2]}, {decision}); map them to two "
                                         "accounts", line=row.line)
                    if earlier[2] != decision:
                        raise InputError(file, f"row {earlier[0].number} (line "
                                         f"{earlier[0].line}) and row {row.number} are one "
                                         f"work here (record {record_id}), and {name} "
                                         f"decided {earlier[2]} on one and {decision} on the "
                                         "other: settle which stands in Rayyan first",
                                         line=row.line)
                    joined = "; ".join(dict.fromkeys(n for n in (earlier[4], note) if n)) \
                        or None
                    planned[key] = (earlier[0], record_id, decision, earlier[3] or reason, joined)
                    continue
                planned[key] = (row, record_id, decision, reason, note)
        _cast_all(store, conn, protocol, stage, file, planned, by_id, result)
        _label_all(store, conn, stage, planned, by_id, notes_of)
        audit(store, conn, actor=actor, action="import decisions", entity="review",
              entity_id=None, detail=_summary(result))
    return result


def _label_all(store: Store, conn: Connection, stage: Stage,
               planned: Mapping[tuple[int, int], tuple[Row, int, str, str | None, str | None]],
               people: Mapping[int, Reviewer], notes_of: Mapping[int, RayyanNotes]) -> None:
    """Rayyan's labels become the labels of each reviewer who voted on the article: private
    to them until the work is resolved here, as labels put on in this tool are."""
    works: dict[tuple[int, str], list[int]] = {}
    for (_, reviewer_id), (row, record_id, *_) in planned.items():
        for label in notes_of[row.number].labels:
            works.setdefault((reviewer_id, label), []).append(record_id)
    for (reviewer_id, label), record_ids in works.items():
        add_labels(store, people[reviewer_id], record_ids, label, stage=stage.id, conn=conn)


def _cast_all(store: Store, conn: Connection, protocol: Protocol, stage: Stage, file: str,
              planned: Mapping[tuple[int, int], tuple[Row, int, str, str | None, str | None]],
              people: Mapping[int, Reviewer], result: ImportResult) -> None:
    """Cast the planned votes. A reviewer's first vote on a work at the first stage is
    checked as cast_vote checks it (the same rules, against the state read once) and written
    directly, the works' states recomputed once at the end: thousands of votes in seconds,
    where a refresh per vote takes minutes. A vote that changes an earlier one here, or any
    vote at a full-text stage, goes through cast_vote itself."""
    if stage == fulltext_stage(protocol):
        for (_, reviewer_id), (row, record_id, decision, reason, note) in planned.items():
            _cast(store, conn, protocol, stage, file, row, people[reviewer_id], record_id,
                  decision, reason, note, result)
        return
    decisions, state_t = t.decisions, t.screening_state
    ids = sorted({group for group, _ in planned})
    states: dict[int, Any] = {}
    voted: set[tuple[int, int]] = set()
    _lock(store, conn, ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        states.update((r.group_id, r) for r in conn.execute(sa.select(state_t).where(
            state_t.c.stage == stage.id, state_t.c.group_id.in_(chunk))))
        voted.update((r.group_id, r.reviewer_id) for r in conn.execute(
            sa.select(decisions.c.group_id, decisions.c.reviewer_id).where(
                decisions.c.stage == stage.id, decisions.c.group_id.in_(chunk))))
    counts = Counter(group for group, _ in voted)
    stop = stopped(store, conn, stage.id)
    touched: set[int] = set()
    fresh: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (vote, its audit entry)
    for (group, reviewer_id), (row, record_id, decision, reason, note) in planned.items():
        person = people[reviewer_id]
        if (group, reviewer_id) in voted:
            _cast(store, conn, protocol, stage, file, row, person, record_id, decision,
                  reason, note, result)
            continue
        current = states.get(group)

        def refuse(message: str, row: Row = row, person: Reviewer = person,
                   record_id: int = record_id) -> InputError:
            return InputError(file, f"row {row.number} ({person.name} on record {record_id}): "
                              f"{message}", line=row.line)

        try:
            reason, answers = check_vote(protocol, stage, decision, reason, None)
        except ReviewError as exc:
            hint = (" (map Rayyan's reasons to the protocol's with --reason-map)"
                    if "needs a reason" in str(exc) else "")
            raise refuse(f"{exc}{hint}") from None
        if current is None:
            raise refuse(f"record {record_id} is not at {stage.label.lower()}: it has not "
                         "been included at the stage before")
        if current.decided_by == BY_AUTOMATION:
            raise refuse(f"record {record_id} was excluded by the protocol's automatic rule "
                         f"({current.reason}); it is not screened by people")
        if stop is not None:
            raise refuse(f"screening at {stage.label.lower()} was stopped by a lead on "
                         f"{stop['decided_at'][:10]}; no more votes are taken there")
        if current.state != OPEN or counts[group] >= stage.votes_required:
            raise refuse(f"record {record_id} already has the votes it needs at "
                         f"{stage.label.lower()}")
        now = utc_now()
        note = (note or "").strip() or None
        values = {"decision": decision, "reason": reason, "criteria": answers, "note": note}
        fresh.append(({"group_id": group, "stage": stage.id, "reviewer_id": person.id,
                       "created_at": now, "updated_at": now, "changes": 0,
                       "origin": ORIGIN["rayyan"], **values},
                      {"at": now, "actor": person.name, "action": "vote",
                       "entity": "decision", "detail": {"group": group, "stage": stage.id,
                                                        "record": record_id, **values}}))
        counts[group] += 1
        touched.add(group)
        result.added += 1
    # many rows per statement: building one statement per vote was most of the time
    for start in range(0, len(fresh), _CHUNK):
        batch = fresh[start:start + _CHUNK]
        vote_ids = conn.execute(decisions.insert().returning(
            decisions.c.id, sort_by_parameter_order=True), [v for v, _ in batch]).scalars().all()
        conn.execute(t.audit_log.insert(), [{**entry, "entity_id": str(vote_id)}
                                            for (_, entry), vote_id in zip(batch, vote_ids,
                                                                           strict=True)])
    refresh(store, conn, protocol, touched)


def _cast(store: Store, conn: Connection, protocol: Protocol, stage: Stage, file: str, row: Row,
          person: Reviewer, record_id: int, decision: str, reason: str | None,
          note: str | None, result: ImportResult) -> None:
    decisions = t.decisions
    group = group_for_record(store, conn, record_id)
    before = conn.execute(sa.select(decisions.c.decision, decisions.c.reason, decisions.c.note)
                          .where(decisions.c.group_id == group, decisions.c.stage == stage.id,
                                 decisions.c.reviewer_id == person.id)).first()
    try:
        after = cast_vote(store, person, record_id, decision, stage=stage.id, reason=reason,
                          note=note, origin=ORIGIN["rayyan"], conn=conn, protocol=protocol)
    except ReviewError as exc:
        hint = ""
        if "needs a reason" in str(exc):
            hint = " (map Rayyan's reasons to the protocol's with --reason-map)"
        raise InputError(file, f"row {row.number} ({person.name} on record {record_id}): "
                         f"{exc}{hint}", line=row.line) from None
    if before is None:
        result.added += 1
    elif tuple(before) != (after["decision"], after["reason"], after["note"]):
        result.changed += 1
    else:
        result.unchanged += 1


def _summary(result: ImportResult) -> dict[str, Any]:
    return {"file": result.file, "from": result.tool, "rows": result.rows,
            "matched": result.matched, "added": result.added, "changed": result.changed,
            "unchanged": result.unchanged, "skipped": result.skipped,
            "without_votes": result.without_votes, "kept_aside": result.kept_aside,
            "unmapped_reasons": result.unmapped_reasons,
            "earlier_stages": result.earlier_stages, "over_votes": result.over_votes}


# --- Covidence ---------------------------------------------------------------------------


def import_covidence(path: str | Path, store: Store, *, stage: str, decision: str,
                     by: str | Reviewer, actor: str, reason: str | None = None,
                     skip_unmatched: bool = False, matches: str | Path | None = None,
                     over_votes: bool = False) -> ImportResult:
    """Every reference of a Covidence list settled as `decision` at `stage` by the lead `by`
    (and included at the stages before it, where not already).

    A work with votes here at a stage it settles that are not decided (open with votes, or in
    conflict) stops the import, named by its row, unless `over_votes`: then the list's
    decision settles it as a lead's resolution would, the votes stay, and the result counts
    those works."""
    file = str(path)
    if decision not in (INCLUDE, EXCLUDE):
        raise ReviewError(f"a Covidence list is imported as include or exclude, not "
                          f"{decision!r}")
    rows = read_rows(path, "covidence")
    settled = read_matches(matches) if matches else {}
    result = ImportResult(file=Path(file).name, tool="covidence", rows=len(rows))
    with store.write() as conn:
        lock_protocol(store, conn)
        protocol = review_protocol(store, conn)
        stage_obj = protocol.stage(stage)
        lead = screener(store, conn, by)
        if not lead.is_lead:
            raise AccessError(f"{lead.name} is {lead.with_article()}; a lead settles the "
                              "decisions a Covidence list carries")
        reason = (reason or "").strip() or None
        if decision == EXCLUDE and stage_obj.exclusion_reason_required:
            reason, _ = check_vote(protocol, stage_obj, EXCLUDE, reason, None)
            if reason is None:
                raise ReviewError(f"excluding at {stage_obj.label.lower()} needs a reason "
                                  "from the protocol's list (give --reason): "
                                  + "; ".join(protocol.exclusion_reasons))
        elif reason is not None and decision != EXCLUDE:
            raise ReviewError("a reason goes with exclude only")
        landing = _match_rows(store, conn, file, rows, settled, skip_unmatched, result,
                              str(matches) if matches else None)
        works: dict[int, tuple[Row, int]] = {}
        for row, group, record_id in landing:
            if group in works:
                result.unchanged += 1  # the same work twice in the list
            else:
                works[group] = (row, record_id)
        _lock(store, conn, sorted(works))
        note = f"From Covidence: {Path(file).name}"
        over: set[int] = set()
        for stage_here in protocol.stages[:protocol.stages.index(stage_obj) + 1]:
            final = stage_here == stage_obj
            settled_now = _settle_stage(
                store, conn, protocol, stage_here, file, works,
                decision if final else INCLUDE, reason if final else None,
                note if final else f"{note} (listed at {stage_obj.label.lower()})", lead,
                implied=not final, over_votes=over if over_votes else None)
            if final:
                result.added += settled_now
                result.unchanged += len(works) - settled_now
            else:
                result.earlier_stages += settled_now
        result.over_votes = len(over)
        audit(store, conn, actor=actor, action="import decisions", entity="review",
              entity_id=None, detail={**_summary(result), "stage": stage_obj.id,
                                      "decision": decision, "by": lead.name})
    return result


def _lock(store: Store, conn: Connection, group_ids: Sequence[int]) -> None:
    """Hold these works until the transaction ends, as lock_group does for one."""
    groups = t.duplicate_groups
    for start in range(0, len(group_ids), _CHUNK):
        conn.execute(sa.select(groups.c.id).where(
            groups.c.id.in_(group_ids[start:start + _CHUNK])).with_for_update())


def _settle_stage(store: Store, conn: Connection, protocol: Protocol, stage: Stage, file: str,
                  works: Mapping[int, tuple[Row, int]], decision: str, reason: str | None,
                  note: str, lead: Reviewer, *, implied: bool,
                  over_votes: set[int] | None = None) -> int:
    """Settle every work at the stage as a lead's resolution would, unless it already stands
    so; returns how many were settled now. A work decided otherwise here, or not at the stage,
    stops the import, named by its row; so does one with votes here that are not decided (open
    with votes, or in conflict), unless `over_votes` is given: then it is settled, and its
    group is added to that set."""
    state_t, resolutions = t.screening_state, t.resolutions
    ids = sorted(works)
    states: dict[int, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        states.update((r.group_id, r) for r in conn.execute(sa.select(state_t).where(
            state_t.c.stage == stage.id, state_t.c.group_id.in_(ids[start:start + _CHUNK]))))
    now = utc_now()
    fresh: list[dict[str, Any]] = []
    blocked: list[tuple[Row, str]] = []  # works with votes that are not decided
    for group, (row, record_id) in sorted(works.items(), key=lambda w: w[1][0].number):
        where = f"row {row.number} (record {record_id})"
        current = states.get(group)
        if current is None:
            raise InputError(file, f"{where} is not at {stage.label.lower()}: it was not "
                             "included at the stage before", line=row.line)
        if current.state == DECIDED and current.outcome == decision:
            continue  # already so (by votes, a resolution, or this list imported before)
        if current.state == DECIDED:
            why = f" ({current.reason})" if current.reason else ""
            raise InputError(file, f"{where} is already decided at {stage.label.lower()} as "
                             f"{current.outcome}{why} by {current.decided_by}; the Covidence "
                             f"list says {decision}"
                             + (" (as the list is of a later stage)" if implied else ""),
                             line=row.line)
        if current.state == NOT_RETRIEVED:
            raise InputError(file, f"{where}: its full text is marked not retrieved; attach "
                             "it before settling its assessment", line=row.line)
        if current.votes:  # open with votes, or in conflict: people's work in progress
            if over_votes is None:
                votes = f"{current.votes} vote{'s' if current.votes != 1 else ''}"
                blocked.append((row, f"row {row.number}: record {record_id} has {votes} at "
                                     f"{stage.label.lower()} and is not decided"
                                     + (" (the votes disagree)" if current.state == CONFLICT
                                        else "")))
                continue
            over_votes.add(group)
        fresh.append({"group_id": group, "stage": stage.id, "decision": decision,
                      "reason": reason, "note": note, "row": row.number, "record": record_id,
                      "votes": current.votes})
    if blocked:
        more = [f"row {r.number} (line {r.line})" for r, _ in blocked[1:]]
        raise InputError(file, blocked[0][1]
                         + (f"; {len(more)} more row(s) the same: " + ", ".join(more[:10])
                            + (" ..." if len(more) > 10 else "") if more else "")
                         + f". The Covidence list says {decision}"
                         + (" (as the list is of a later stage)" if implied else "")
                         + "; nothing was imported. To settle such works as the list says, "
                         "over the votes (which stay beside the settlement), import again "
                         "with --over-votes (in the app: “Settle over votes not yet "
                         "decided”)", line=blocked[0][0].line)
    for start in range(0, len(fresh), _CHUNK):
        batch = fresh[start:start + _CHUNK]
        conn.execute(resolutions.insert(), [
            {k: v for k, v in item.items() if k not in ("row", "record", "votes")}
            | {"resolved_by": lead.id, "resolved_at": now} for item in batch])
        conn.execute(t.audit_log.insert(), [
            {"at": now, "actor": lead.name, "action": "settle from covidence",
             "entity": "group", "entity_id": str(item["group_id"]),
             "detail": {"record": item["record"], "row": item["row"], "implied": implied,
                        "over_votes": item["votes"],
                        **{k: item[k] for k in ("group_id", "stage", "decision", "reason",
                                                "note")}}}
            for item in batch])
    refresh(store, conn, protocol, [item["group_id"] for item in fresh])
    return len(fresh)


def describe(result: ImportResult) -> list[str]:
    """What an import did, in lines for a person."""
    how = {"doi": "by DOI", "pmid": "by PubMed id", "title": "by title, authors and year",
           "by you": "as you named them"}
    matched = ", ".join(f"{n} {how.get(k, k)}" for k, n in result.matched.items()) or "none"
    lines = [f"{result.file}: {result.rows} row(s); matched {matched}."]
    if result.tool == "rayyan":
        lines.append(f"Votes at titles and abstracts: {result.added} added, {result.changed} "
                     f"changed, {result.unchanged} already so.")
        if result.without_votes:
            lines.append(f"{result.without_votes} row(s) had no decision in Rayyan and were "
                         "left to be screened here"
                         + (f" ({len(result.kept_aside)} with labels or notes, kept in the "
                            "audit log)" if result.kept_aside else "") + ".")
        if result.unmapped_reasons:
            lines.append("Exclusion reasons kept in the votes' notes (not the protocol's; map "
                         "them with --reason-map \"THEIRS=OURS\"): " + "; ".join(
                             f"{r} ({n})" for r, n in sorted(result.unmapped_reasons.items())))
    else:
        lines.append(f"Settled: {result.added} added, {result.unchanged} already so"
                     + (f"; {result.earlier_stages} included at an earlier stage on the way"
                        if result.earlier_stages else "") + ".")
        if result.over_votes:
            lines.append(f"{result.over_votes} work(s) settled over reviewers' votes that were "
                         "not decided (open or in conflict); the votes stay beside the "
                         "settlement.")
    if result.skipped:
        lines.append(f"Skipped {len(result.skipped)} row(s): " + "; ".join(
            f"row {s['row']} ({s['why']})" for s in result.skipped[:10])
            + (" ..." if len(result.skipped) > 10 else ""))
    return lines
