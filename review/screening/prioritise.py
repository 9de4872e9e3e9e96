"""Prioritised screening in a review: the first stage's queue in order of predicted relevance,
retrained off the voting path, and the buscar stopping rule with a lead's decision to stop.

The model learns only from records already *decided* at the first stage (agreeing votes or a
resolution; never automation, never one reviewer's pending vote), so one reviewer's vote can
never move another's queue before the record is decided: blinding holds. Every reviewer's
queue follows the same global order, so a record ranked high reaches both dual reviewers.
A vote never waits for a fit: `retrain` runs in a background thread (`retrain_soon`, which
the app calls after each vote) or from `review rank`, and queues keep the last finished run
until a new one is stored. Before the first include is decided, the protocol's own words (its
title, question and include terms, `protocol_query`) stand in for one, so the first run can
order the queue before anyone has voted; until that run is stored (or if the protocol's words
match no record) the order is a fixed pseudo-random shuffle (not import order, which would put
one database's records first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from review.accounts import Reviewer, authorise, find_reviewer, is_lead
from review.errors import ReviewError
from review.project import review_protocol
from review.protocol import Protocol
from review.screening.state import BY_AUTOMATION, DECIDED, EXCLUDE, INCLUDE, OPEN
from review.store import Store, utc_now
from review.store import schema as t
from review.store.records import audit

if TYPE_CHECKING:
    from review.ranking.stopping import StoppingEstimate

RUNNING, DONE, FAILED = "running", "done", "failed"
_LOCK = threading.Lock()  # guards the per-process caches below (_FEATURES, _THREADS)
STALE_SECONDS = 600  # a run still "running" after this long died with its process
_SHUFFLE = 2654435761  # Knuth's multiplicative hash: a fixed shuffle of group ids


def shuffle_key(group_id: Any) -> Any:
    """The random-order key of a group id column, computed in 64-bit integers on SQLite and
    PostgreSQL alike (so both give the same order)."""
    big = sa.BigInteger()
    return (sa.cast(group_id, big) * sa.literal(_SHUFFLE, big)) % sa.literal(4294967296, big)


def latest_run(store: Store, conn: Connection, stage: str) -> Any:
    runs = t.ranking_runs
    return conn.execute(sa.select(runs).where(runs.c.stage == stage, runs.c.status == DONE)
                        .order_by(runs.c.id.desc()).limit(1)).first()


def has_run(store: Store, stage: str) -> bool:
    """Whether any retraining (done, running or failed) was ever started for the stage: the
    Screen page starts the first one itself, and only the first."""
    runs = t.ranking_runs
    with store.read() as conn:
        return conn.execute(sa.select(runs.c.id).where(runs.c.stage == stage).limit(1)
                            ).first() is not None


def order_for(store: Store, conn: Connection, protocol: Protocol, stage: str,
              group_id: Any) -> tuple[list[Any], Any, Any]:
    """ORDER BY terms for a stage's queue, the join that supplies them, and the run used."""
    if not protocol.ranking.enabled or stage != protocol.stages[0].id:
        return [group_id], None, None
    run = latest_run(store, conn, stage)
    if run is None:
        return [shuffle_key(group_id), group_id], None, None
    scores = t.ranking_scores.alias("rank_scores")
    join = (scores, sa.and_(scores.c.run_id == run.id, scores.c.group_id == group_id))
    unscored = sa.case((scores.c.position.is_(None), 1), else_=0)
    return [unscored, scores.c.position, shuffle_key(group_id), group_id], join, run


def _texts(store: Store, conn: Connection, stage: str) -> tuple[list[int], list[str]]:
    """Every group that has a row at the stage (except automation exclusions), with the text
    of its kept record."""
    from review.ranking.models import record_text  # start-up: numpy, scipy and scikit-learn

    state, groups, records = t.screening_state, t.duplicate_groups, t.records
    rows = conn.execute(
        sa.select(state.c.group_id, records.c.title, records.c.abstract, records.c.keywords)
        .join(groups, groups.c.id == state.c.group_id)
        .join(records, records.c.id == groups.c.kept_record_id)
        .where(state.c.stage == stage, sa.or_(state.c.decided_by.is_(None),
                                              state.c.decided_by != BY_AUTOMATION))
        .order_by(state.c.group_id)).all()
    return [r.group_id for r in rows], [record_text(dict(r._mapping)) for r in rows]


def _labels(store: Store, conn: Connection, stage: str) -> dict[int, int]:
    state = t.screening_state
    return {g: 1 if outcome == INCLUDE else 0 for g, outcome in conn.execute(
        sa.select(state.c.group_id, state.c.outcome).where(
            state.c.stage == stage, state.c.state == DECIDED,
            state.c.outcome.in_((INCLUDE, EXCLUDE)),
            sa.or_(state.c.decided_by.is_(None), state.c.decided_by != BY_AUTOMATION)))}


@dataclass(frozen=True, slots=True)
class RunResult:
    run_id: int | None
    status: str
    detail: str


_FEATURES: OrderedDict[tuple[str, str | None], tuple[list[int], int, Any, Any]] = OrderedDict()
_FEATURES_KEPT = 4  # reviews whose features a process keeps (a server may host many)


def _review_key(store: Store) -> tuple[str, str | None]:
    """One review of one database: reviews share a database URL, each has its own tables."""
    return store.url, store.review.namespace if store.review is not None else None


def _features(store: Store, ids: list[int], texts: list[str]) -> tuple[Any, Any]:
    """TF-IDF is the slow part of a retraining: keep the last matrix (and the vectoriser, for
    the protocol's query) per review while its records and their texts are unchanged, so a
    retraining after a vote only fits the model. Kept per review (reviews of one database
    number their records alike), for the few reviews retrained most recently."""
    from review.ranking.models import TextFeatures  # start-up: numpy, scipy and scikit-learn

    key = _review_key(store)
    digest = hash(tuple(texts))
    with _LOCK:
        cached = _FEATURES.get(key)
        if cached is not None and cached[0] == ids and cached[1] == digest:
            _FEATURES.move_to_end(key)
            return cached[2], cached[3]
    found = TextFeatures()
    matrix = found.fit_transform(texts)
    with _LOCK:
        _FEATURES[key] = (ids, digest, matrix, found)
        _FEATURES.move_to_end(key)
        while len(_FEATURES) > _FEATURES_KEPT:
            _FEATURES.popitem(last=False)
    return matrix, found


def protocol_query(protocol: Protocol) -> str:
    """The protocol's description of what the review is after, as one pseudo-record: its title,
    question and include terms (wildcards dropped). Exclusion criteria stay out: their words
    name what is not wanted, and as part of an include they would pull it forward."""
    terms = [term.replace("*", "") for term in protocol.highlight.include_terms]
    return " ".join(part for part in (protocol.title, protocol.question, *terms) if part)


def _query_row(protocol: Protocol, found: Any) -> Any:
    """The protocol's query in the review's feature space, or None when none of its words
    occurs in any record (it could not order anything)."""
    row = found.transform([protocol_query(protocol)])
    return row if row.nnz else None


def retrain(store: Store, *, stage: str | None = None) -> RunResult:
    """Fit the protocol's model on the decisions so far and store the ranking, unless the
    latest run already learnt from exactly these decisions or another retraining is running."""
    import numpy as np  # start-up: only a retraining needs numpy

    from review.ranking.models import (  # start-up: numpy, scipy, scikit-learn
        can_train,
        train,
        uses_query,
    )

    protocol = review_protocol(store)
    stage = stage or protocol.stages[0].id
    if not protocol.ranking.enabled:
        return RunResult(None, "off", "ranking is off in this protocol ([screening] ranking)")
    runs, scores = t.ranking_runs, t.ranking_scores
    with store.read() as conn:
        ids, texts = _texts(store, conn, stage)
    if not ids:
        return RunResult(None, "waiting", "no records to rank yet")
    try:
        # built outside any transaction: the first build on a large review takes seconds,
        # and votes must not wait for it
        matrix, found = _features(store, ids, texts)
    except Exception as exc:  # recorded as a failed run, as a failed fit is
        with store.write() as conn:
            conn.execute(runs.insert().values(
                stage=stage, model=protocol.ranking.model, version="failed", status=FAILED,
                n_include=0, n_exclude=0, started_at=utc_now(), finished_at=utc_now(),
                error=str(exc)[:500]))
        raise
    query = _query_row(protocol, found)
    with store.write() as conn:
        # the decisions are read here, where the run is registered, so a run registered later
        # never learnt from fewer decisions than one registered before it
        labels = _labels(store, conn, stage)
        if not can_train(labels, query is not None):
            return RunResult(None, "waiting", "random order until one include and one exclude "
                             "are decided (the protocol's title, question and include terms "
                             "match no record)")
        running = conn.execute(sa.select(runs.c.id, runs.c.started_at).where(
            runs.c.stage == stage, runs.c.status == RUNNING)).first()
        now = utc_now()
        if running is not None and running.started_at > _ago(STALE_SECONDS):
            return RunResult(running.id, RUNNING, "a retraining is already running")
        run_id = conn.execute(runs.insert().values(
            stage=stage, model=protocol.ranking.model, version="pending", status=RUNNING,
            n_include=sum(labels.values()), n_exclude=len(labels) - sum(labels.values()),
            started_at=now).returning(runs.c.id)).scalar_one()
    try:
        row_of = {g: i for i, g in enumerate(ids)}
        labelled = {row_of[g]: v for g, v in labels.items() if g in row_of}
        ranking = train(matrix, labelled, protocol.ranking.model, query=query)
    except Exception as exc:  # the run is marked failed, queues keep the last good ranking
        with store.write() as conn:
            conn.execute(runs.update().where(runs.c.id == run_id).values(
                status=FAILED, error=str(exc)[:500], finished_at=utc_now()))
        raise
    with store.write() as conn:
        previous = latest_run(store, conn, stage)
        if previous is not None and previous.version == ranking.version:
            conn.execute(runs.delete().where(runs.c.id == run_id))
            return RunResult(previous.id, DONE, "the ranking is up to date")
        order = np.argsort(-ranking.scores, kind="stable")
        rows = [{"run_id": run_id, "group_id": ids[int(i)], "score": float(ranking.scores[i]),
                 "position": position} for position, i in enumerate(order, start=1)]
        for start in range(0, len(rows), 2000):
            conn.execute(scores.insert(), rows[start:start + 2000])
        conn.execute(runs.update().where(runs.c.id == run_id).values(
            status=DONE, version=ranking.version, fit_seconds=ranking.fit_seconds,
            finished_at=utc_now()))
    if query is not None and uses_query(labelled):
        return RunResult(run_id, DONE, f"{ranking.model} trained on the protocol's title, "
                         f"question and include terms (no include decided yet) and "
                         f"{ranking.n_exclude} excludes in {ranking.fit_seconds:.2f} s")
    return RunResult(run_id, DONE, f"{ranking.model} trained on {ranking.n_include} includes "
                     f"and {ranking.n_exclude} excludes in {ranking.fit_seconds:.2f} s")


def _ago(seconds: int) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_THREADS: dict[tuple[str, str | None], threading.Thread] = {}


def retrain_soon(store: Store) -> bool:
    """Start a retraining in a background thread unless one is already running for this
    review in this process; returns at once (the caller's vote is already committed)."""
    if not review_protocol(store).ranking.enabled:
        return False
    with _LOCK:
        thread = _THREADS.get(_review_key(store))
        if thread is not None and thread.is_alive():
            return False

        def work() -> None:
            try:
                retrain(store)
            except Exception:  # noqa: BLE001 - stored as a failed run; voting goes on
                return

        thread = threading.Thread(target=work, name="review-retrain", daemon=True)
        _THREADS[_review_key(store)] = thread
        thread.start()
        return True


def wait_for_retraining(store: Store, timeout: float = 60.0) -> None:
    """For tests and scripts: wait for this process's background retraining to finish."""
    thread = _THREADS.get(_review_key(store))
    if thread is not None:
        thread.join(timeout)


# --- stopping -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stopping:
    stage: str
    estimate: StoppingEstimate
    curve: list[tuple[int, int]]
    assumptions: tuple[str, ...]
    stopped: dict[str, Any] | None
    why: str = ""


def _ranked(store: Store, conn: Connection, stage: str) -> set[int]:
    """The groups a ranking model placed: each reviewer shown the group was last shown it in
    a model run's order (screening_shown.run_id). A group shown in random order (before the
    first run) or by a run from the protocol's words alone to anyone, or never shown (votes
    cast outside the queue), was not ranked."""
    shown, runs = t.screening_shown, t.ranking_runs
    # a run from the protocol's words alone (no include decided yet) is a guess from a few
    # lines of text, not a model of the decisions: what it placed counts as unranked
    guesses = set(conn.execute(sa.select(runs.c.id).where(runs.c.stage == stage,
                                                          runs.c.n_include == 0)).scalars())
    last: dict[tuple[int, int], int | None] = {}
    for group_id, reviewer_id, run_id in conn.execute(
            sa.select(shown.c.group_id, shown.c.reviewer_id, shown.c.run_id)
            .where(shown.c.stage == stage).order_by(shown.c.id)):
        last[(group_id, reviewer_id)] = None if run_id in guesses else run_id
    ranked: set[int] = set()
    unranked: set[int] = set()
    for (group_id, _), run_id in last.items():
        (ranked if run_id is not None else unranked).add(group_id)
    return ranked - unranked


def stopping(store: Store, *, stage: str | None = None) -> Stopping:
    """The buscar estimate from the decisions so far, in the order records were decided. The
    ranking's bias applies only to samples of records a ranking model placed; a sample that
    reaches back into screening in random or import order is a random draw (bias 1)."""
    from review.ranking.stopping import (  # start-up: numpy and scipy
        DEFAULT_BIAS,
        assumptions,
        estimate,
        recall_curve,
        why_this_rule,
    )

    protocol = review_protocol(store)
    stage = stage or protocol.stages[0].id
    state = t.screening_state
    with store.read() as conn:
        decided = conn.execute(sa.select(state.c.outcome, state.c.group_id).where(
            state.c.stage == stage, state.c.state == DECIDED,
            sa.or_(state.c.decided_by.is_(None), state.c.decided_by != BY_AUTOMATION))
            .order_by(state.c.updated_at, state.c.group_id)).all()
        total = conn.execute(sa.select(sa.func.count()).select_from(state).where(
            state.c.stage == stage, sa.or_(state.c.decided_by.is_(None),
                                           state.c.decided_by != BY_AUTOMATION))).scalar_one()
        stop = stopped(store, conn, stage)
        ranked = _ranked(store, conn, stage) if protocol.ranking.enabled else set()
    labels = [1 if o == INCLUDE else 0 for o, _ in decided]
    # The default bias assumes a ranking that still puts includes first; records screened
    # without it (random order before the first model run, or import order with ranking off)
    # are a random draw: the paper's test, bias 1, for any sample that reaches back to them.
    unranked = [i for i, (_, group_id) in enumerate(decided) if group_id not in ranked]
    ranked_from = unranked[-1] + 1 if unranked else 0
    bias = DEFAULT_BIAS if protocol.ranking.enabled else 1.0
    target, confidence = protocol.ranking.recall_target, protocol.ranking.confidence
    found = estimate(labels, total, target, confidence, bias, ranked_from)
    return Stopping(stage, found, recall_curve(labels),
                    assumptions(bias, ranked_from, len(labels)), stop,
                    why_this_rule(target, confidence, bias, ranked_from, len(labels)))


def stopped(store: Store, conn: Connection, stage: str) -> dict[str, Any] | None:
    stops = t.screening_stops
    row = conn.execute(sa.select(stops).where(stops.c.stage == stage)).mappings().first()
    return dict(row) if row else None


def stop_of(store: Store, stage: str) -> dict[str, Any] | None:
    """The lead's decision to stop screening the stage, if there is one."""
    with store.read() as conn:
        return stopped(store, conn, stage)


def _lead_now(store: Store, conn: Connection, by: str | Reviewer, what: str) -> Reviewer:
    """Stopping and resuming are a lead's, whoever runs the command: a name is looked up."""
    name = authorise(store, conn, by, is_lead, f"only a lead {what}", named=True)
    found = find_reviewer(store, conn, name)
    assert found is not None  # authorise just found them
    return found


def stop_screening(store: Store, *, by: str | Reviewer, stage: str | None = None,
                   note: str | None = None) -> dict[str, Any]:
    """A lead stops screening a stage: its queues close, and PRISMA reports the records still
    open as not screened. Recorded with the stopping rule's estimate at that moment."""
    protocol = review_protocol(store)
    stage = protocol.stage(stage).id if stage else protocol.stages[0].id
    if stage != protocol.stages[0].id:
        raise ReviewError(f"only the first stage ({protocol.stages[0].id}) can be stopped: "
                          "every record that reaches a later stage is assessed")
    found = stopping(store, stage=stage).estimate
    stops, state = t.screening_stops, t.screening_state
    with store.write() as conn:
        person = _lead_now(store, conn, by, "stops screening")
        if stopped(store, conn, stage):
            raise ReviewError(f"screening at {stage} was already stopped")
        still_open = conn.execute(sa.select(sa.func.count()).select_from(state).where(
            state.c.stage == stage, state.c.state == OPEN)).scalar_one()
        values = {"stage": stage, "decided_by": person.id, "decided_at": utc_now(),
                  "n_screened": found.n_screened, "n_unscreened": int(still_open),
                  "p_value": found.p_value, "bias": found.sample_bias,
                  "recall_target": found.recall_target,
                  "confidence": found.confidence, "note": (note or "").strip() or None}
        conn.execute(stops.insert().values(**values))
        # the audit says how the p-value was computed: the sample it came from, the bias
        # assumed for ranked records, and where ranking took over
        audit(store, conn, actor=person.name, action="stop screening", entity="stage",
              entity_id=stage, detail={**values, "target_reached": found.target_reached,
                                       "sample_size": found.sample_size,
                                       "ranked_bias": found.bias,
                                       "ranked_from": found.ranked_from})
    return values


def resume_screening(store: Store, *, by: str | Reviewer, note: str,
                     stage: str | None = None) -> dict[str, Any]:
    """A lead takes back a decision to stop (made too early, or by mistake): the queues open
    again where they were. The stop and its withdrawal stay in the audit log."""
    note = " ".join((note or "").split())
    if not note:
        raise ReviewError("say why screening resumes (kept in the audit log)")
    protocol = review_protocol(store)
    stage = protocol.stage(stage).id if stage else protocol.stages[0].id
    stops = t.screening_stops
    with store.write() as conn:
        person = _lead_now(store, conn, by, "resumes screening")
        before = stopped(store, conn, stage)
        if before is None:
            raise ReviewError(f"screening at {stage} is not stopped")
        conn.execute(stops.delete().where(stops.c.stage == stage))
        audit(store, conn, actor=person.name, action="resume screening", entity="stage",
              entity_id=stage, detail={"before": before, "note": note})
    return before
