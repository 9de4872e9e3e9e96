"""Bulk actions on a filtered set of works (review.screening.filters): labelling it, and a
lead's exclusion of it by one of the protocol's rules.

A bulk exclusion is automation, not a person's vote: the lead chooses the set and one of the
protocol's machine-checkable criteria that apply at the first stage (a rule such as
`year >= 2000`), and the rule judges each work on its merged record, as an automatic criterion
would. Works the rule fails are excluded at the first stage, recorded in
`automation_exclusions` with the rule's reason; the state refresh reads that table like an
automatic criterion, so PRISMA counts them as "excluded by automation tools" and no one is
asked to screen them. It never goes across people's votes: a work anyone has voted on, at any
stage, is left out and counted, and so are works already decided and works the rule does not
exclude (it passes them, or cannot tell). A lead can lift an exclusion again. When a person
joins an excluded work with another (a duplicate confirmed), the exclusion goes if the joined
work has any votes or resolution, and otherwise stands only if the rule still excludes the
joined work's merged record (review.screening.state, audited either way it changes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from review.accounts import AccessError, Reviewer
from review.errors import ReviewError
from review.project import lock_protocol, review_protocol
from review.protocol import Criterion, Protocol
from review.screening.filters import Filter, chunks, select
from review.screening.labels import add_labels
from review.screening.state import BY_AUTOMATION, OPEN, group_for_record, merged_records, refresh
from review.screening.votes import screener, stage_of
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit


@dataclass(frozen=True, slots=True)
class BulkExclusion:
    """What a bulk exclusion did (or, with dry_run, would do) to the filtered set."""

    criterion: str
    selected: int
    excluded: list[int] = field(default_factory=list)  # record ids
    voted: int = 0  # left out: someone has voted on them
    decided: int = 0  # left out: already decided without votes (automation)
    kept_by_rule: int = 0  # left out: the rule passes them or cannot tell

    def summary(self) -> str:
        parts = [f"{len(self.excluded)} of {self.selected} selected record(s) excluded by "
                 f"the rule {self.criterion!r}"]
        if self.voted:
            parts.append(f"{self.voted} left out because someone has voted on them")
        if self.decided:
            parts.append(f"{self.decided} left out because they are already decided")
        if self.kept_by_rule:
            parts.append(f"{self.kept_by_rule} left out because the rule does not exclude "
                         "them (it passes them or cannot tell)")
        return "; ".join(parts) + "."


def rule_criteria(protocol: Protocol) -> list[Criterion]:
    """The protocol's criteria with a rule that applies at the first stage: what a lead may
    exclude by in bulk."""
    return [c for c in protocol.criteria_for(protocol.stages[0].id) if c.rule is not None]


def _lead(store: Store, conn: Any, who: str | Reviewer) -> Reviewer:
    person = screener(store, conn, who)
    if not person.is_lead:
        raise AccessError(f"{person.name} is {person.with_article()}; only a lead excludes "
                          "records in bulk")
    return person


def label_selection(store: Store, who: str | Reviewer, f: Filter, label: str) -> int:
    """Put one's label on every work the filter selects; returns how many newly got it."""
    with store.write() as conn:
        chosen = select(store, conn, who, f)
        if not chosen.records:
            return 0
        return add_labels(store, who, chosen.records, label, stage=chosen.stage, conn=conn)


def exclude_selection(store: Store, who: str | Reviewer, f: Filter, criterion: str, *,
                      dry_run: bool = False) -> BulkExclusion:
    """Exclude, by the named criterion's rule, the works of the filtered set it fails that no
    one has voted on; for a lead. With dry_run, only say what it would do."""
    groups, decisions, state = t.duplicate_groups, t.decisions, t.screening_state
    with store.write() as conn:
        lock_protocol(store, conn)
        protocol = review_protocol(store, conn)
        person = _lead(store, conn, who)
        first = protocol.stages[0]
        if stage_of(protocol, f.stage) != first:
            raise ReviewError(f"a bulk exclusion by a rule is made at {first.label.lower()}, "
                              "where PRISMA counts records excluded by automation tools; "
                              "filter at that stage")
        allowed = {c.id: c for c in rule_criteria(protocol)}
        if criterion not in allowed:
            raise ReviewError(f"no rule {criterion!r} to exclude by at {first.label.lower()}; "
                              "the protocol's rules there: "
                              + (", ".join(allowed) or "none"))
        chosen = allowed[criterion]
        selection = select(store, conn, person, f, protocol)
        ids = selection.groups
        voted: set[int] = set()
        candidates: list[int] = []
        decided = 0
        for part in chunks(ids):
            # hold the works first, so no vote lands between the check and the exclusion
            conn.execute(sa.select(groups.c.id).where(groups.c.id.in_(part)).with_for_update())
            voted |= {g for (g,) in conn.execute(sa.select(decisions.c.group_id).distinct()
                                                 .where(decisions.c.group_id.in_(part)))}
            rows = conn.execute(sa.select(state.c.group_id, state.c.state).where(
                state.c.group_id.in_(part), state.c.stage == first.id)).all()
            for row in rows:
                if row.group_id in voted:
                    continue
                if row.state != OPEN:
                    decided += 1
                else:
                    candidates.append(row.group_id)
        reasons: dict[int, str] = {}
        for part in chunks(candidates):
            for group_id, merged in merged_records(store, conn, list(part)).items():
                result = chosen.rule.evaluate(merged.normalised())  # type: ignore[union-attr]
                if result.passed is False:
                    reasons[group_id] = f"{chosen.label}: {result.reason}"
        kept = dict(zip(selection.groups, selection.records, strict=True))
        outcome = BulkExclusion(
            criterion=chosen.id, selected=len(ids),
            excluded=[kept[g] for g in sorted(reasons)], voted=len(voted), decided=decided,
            kept_by_rule=len(candidates) - len(reasons))
        if dry_run or not reasons:
            return outcome
        now = utc_now()
        conn.execute(t.automation_exclusions.insert(), [
            {"group_id": g, "stage": first.id, "criterion": chosen.id, "reason": reason,
             "excluded_by": person.id, "excluded_at": now} for g, reason in reasons.items()])
        refresh(store, conn, protocol, list(reasons))
        audit(store, conn, actor=person.name, action="bulk exclude by rule", entity="criterion",
              entity_id=chosen.id, detail={
                  "rule": str(chosen.rule), "stage": first.id, "groups": sorted(reasons),
                  "records": outcome.excluded, "selected": len(ids), "left out": {
                      "voted": outcome.voted, "decided": outcome.decided,
                      "kept by rule": outcome.kept_by_rule}})
        return outcome


def exclusion_of(store: Store, record_id: int) -> dict[str, Any] | None:
    """The bulk exclusion by a rule on the work this record belongs to, if it has one."""
    bulk, links = t.automation_exclusions, t.record_groups
    with store.read() as conn:
        row = conn.execute(sa.select(bulk).join(links, links.c.group_id == bulk.c.group_id)
                           .where(links.c.record_id == record_id)).mappings().first()
        return dict(row) if row else None


def lift_exclusion(store: Store, who: str | Reviewer, record_id: int) -> bool:
    """Take back a bulk exclusion by a rule on one work (for a lead): it goes back to
    screening. False when the work had none."""
    bulk = t.automation_exclusions
    with store.write() as conn:
        lock_protocol(store, conn)
        protocol = review_protocol(store, conn)
        person = _lead(store, conn, who)
        group_id = group_for_record(store, conn, record_id)
        row = conn.execute(sa.select(bulk).where(bulk.c.group_id == group_id)).first()
        if row is None:
            return False
        conn.execute(bulk.delete().where(bulk.c.group_id == group_id))
        refresh(store, conn, protocol, [group_id])
        audit(store, conn, actor=person.name, action="lift bulk exclusion", entity="group",
              entity_id=str(group_id), detail={"record": record_id, "criterion": row.criterion,
                                               "reason": row.reason,
                                               "decided_by": BY_AUTOMATION})
        return True
