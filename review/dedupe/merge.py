"""The merged record of a duplicate group: the most complete copy, with gaps filled from the
others, so nothing a database knew about the work is lost when one copy is kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from review.records import LIST_FIELDS, NORMALISED_FIELDS, Record


def merge_group(records: Sequence[Record], kept: int) -> Record:
    """Start from records[kept]; each empty field takes the first value the other copies have
    (in the order given); the longest abstract wins; list fields are united in order."""
    base = records[kept]
    others = [r for i, r in enumerate(records) if i != kept]
    values: dict[str, Any] = {}
    for name in NORMALISED_FIELDS:
        value = getattr(base, name)
        if name in LIST_FIELDS:
            united = list(value)
            for other in others:
                united += [v for v in getattr(other, name) if v not in united]
            values[name] = united if name != "authors" or not value else list(value)
            continue
        if name == "abstract":
            candidates = [v for v in [value] + [o.abstract for o in others] if v]
            values[name] = max(candidates, key=len) if candidates else None
            continue
        if value in (None, ""):
            value = next((getattr(o, name) for o in others if getattr(o, name) not in (None, "")),
                         None)
        values[name] = value
    return replace(base, **values)
