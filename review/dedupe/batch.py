"""Batch deduplication of export files, no review needed: what scripts run.

Every input record comes out once, with its own fields and id as they came in, plus
`duplicate_id` (its group) and `keep` (one true per group). CSV inputs keep their columns
unchanged (a `record_id` column stays as it was); RIS inputs keep their tags. The CSVs are
files for the next script, not for a spreadsheet, so they are not formula-neutralised as the
review's own exports are (review.tabular): a quote added to "-17" or "=..." would no longer
join back onto the input.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from review.dedupe import DedupeResult, deduplicate, merge_group
from review.errors import ReviewError
from review.io import ParsedFile, read_file, write_ris
from review.io.ris import record_to_ris
from review.records import NORMALISED_FIELDS, Raw, Record

ID_COLUMNS = ("record_id", "id", "ID", "key")
RIS_GROUP_TAG, RIS_KEEP_TAG = "ZD", "ZK"  # tags no database uses


@dataclass(frozen=True, slots=True)
class BatchInput:
    files: list[ParsedFile]
    records: list[Record]
    ids: list[str]  # the record's own id where it has one, else file:position
    origins: list[tuple[str, int]]  # (file name, position)


def read_inputs(paths: Sequence[str | Path], *, encoding: str | None = None) -> BatchInput:
    files = [read_file(p, encoding=encoding) for p in paths]
    records: list[Record] = []
    ids: list[str] = []
    origins: list[tuple[str, int]] = []
    for parsed in files:
        name = Path(parsed.name).name
        for position, record in enumerate(parsed.records, start=1):
            own = next((record.raw[c][0] for c in ID_COLUMNS if record.raw.get(c)), None)
            records.append(record)
            ids.append(own if parsed.format == "csv" and own else f"{name}:{position}")
            origins.append((name, position))
    return BatchInput(files, records, ids, origins)


def run_batch(paths: Sequence[str | Path], *, encoding: str | None = None,
              progress: Callable[[str, int, int], None] | None = None
              ) -> tuple[BatchInput, DedupeResult]:
    data = read_inputs(paths, encoding=encoding)
    uids = [f"{i:09d}" for i in range(len(data.records))]  # ids given may repeat across files
    return data, deduplicate(data.records, uids, progress=progress)


def _csv_row(record: Record) -> dict[str, str]:
    row = {}
    for name in NORMALISED_FIELDS:
        value = getattr(record, name)
        row[name] = "; ".join(value) if isinstance(value, list) else ("" if value is None
                                                                         else str(value))
    return row


def write_records(path: Path, data: BatchInput, result: DedupeResult) -> None:
    """OUT as CSV or RIS by its extension: every input record once, in input order."""
    group = [str(g + 1) for g in result.group]
    keep = ["true" if k else "false" for k in result.kept]
    suffix = path.suffix.lower()
    if suffix == ".ris":
        entries: list[Raw] = []
        for record, g, k in zip(data.records, group, keep, strict=True):
            raw = dict(record.raw) if record.format == "ris" else record_to_ris(record)
            raw[RIS_GROUP_TAG], raw[RIS_KEEP_TAG] = [g], [k]
            entries.append(raw)
        path.write_text(write_ris(entries), encoding="utf-8")
        return
    if suffix != ".csv":
        raise ReviewError(f"{path}: write .csv or .ris (the format follows the extension)")
    all_csv = all(f.format == "csv" for f in data.files)
    if all_csv:  # the columns as they came in, untouched
        columns: list[str] = []
        for record in data.records:
            columns += [c for c in record.raw if c not in columns]
        rows = [{c: record.raw.get(c, [""])[0] for c in columns} for record in data.records]
    else:
        columns = ["record_id", "source_file", "source_line", *NORMALISED_FIELDS]
        rows = [{"record_id": rid, "source_file": origin[0], "source_line": str(record.line),
                 **_csv_row(record)}
                for record, rid, origin in zip(data.records, data.ids, data.origins, strict=True)]
    for row, g, k in zip(rows, group, keep, strict=True):
        row["duplicate_id"], row["keep"] = g, k
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*columns, "duplicate_id", "keep"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def write_pairs(path: Path, data: BatchInput, result: DedupeResult) -> None:
    """Every candidate pair: both ids, outcome, score, reason, evidence, merged."""
    index = {uid: i for i, uid in enumerate(result.uids)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["record_a", "record_b", "outcome", "score", "merged", "reason", "evidence"])
    for pair in result.pairs:
        a, b = index[pair.a], index[pair.b]
        writer.writerow([data.ids[a], data.ids[b], pair.outcome, f"{pair.score:.3f}",
                         "true" if pair.merged else "false", pair.reason,
                         json.dumps(pair.evidence, sort_keys=True)])
    path.write_text(out.getvalue(), encoding="utf-8")


def write_unique(path: Path, data: BatchInput, result: DedupeResult) -> int:
    """One merged record per group (RIS), the most complete copy with gaps filled."""
    members: dict[int, list[int]] = {}
    for i, g in enumerate(result.group):
        members.setdefault(g, []).append(i)
    entries: list[Raw] = []
    for g in sorted(members):
        indexes = members[g]
        kept = next(k for k, i in enumerate(indexes) if result.kept[i])
        merged = merge_group([data.records[i] for i in indexes], kept)
        raw = record_to_ris(merged)
        raw[RIS_GROUP_TAG] = [str(g + 1)]
        raw["N1"] = raw.get("N1", []) + ["Merged from: " + ", ".join(data.ids[i] for i in indexes)]
        entries.append(raw)
    if path.suffix.lower() != ".ris":
        raise ReviewError(f"{path}: --unique writes RIS; name the file .ris")
    path.write_text(write_ris(entries), encoding="utf-8")
    return len(entries)
