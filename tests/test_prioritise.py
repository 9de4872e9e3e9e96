"""Prioritised screening inside a review: the protocol's words order the queue before any decision,
then the model's order from the decisions, the same for every reviewer, retraining off the
voting path, the model run recorded for each record shown, the stopping rule, and a lead's stop
(queues close, PRISMA reports the rest as not screened). On a real SQLite file and a real
PostgreSQL server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from review.accounts import AccessError, add_reviewer
from review.cli.main import main
from review.duplicates import run_dedupe
from review.errors import ReviewError
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.screening import prioritise
from review.screening import votes as screening
from review.store import Store
from review.store import schema as t
from tests.test_screening import audit_actions

PEER = [f"Peer support group number {i} for young people who self-harm run by a charity"
        for i in range(12)]
OTHER = [f"Outcomes of knee surgery number {i} in elderly patients with arthritis"
         for i in range(24)]


def _ris(titles: list[str]) -> str:
    return "".join(f"TY  - JOUR\nTI  - {t}\nAU  - Author{i}, A\nPY  - 2015\nJO  - Journal {i}\n"
                   f"VL  - {i}\nSP  - {i * 10 + 1}\nER  - \n\n" for i, t in enumerate(titles))


@pytest.fixture
def review(db_url: str, tmp_path: Path, protocol_path: Path) -> Store:
    text = protocol_path.read_text(encoding="utf-8").replace("ranking = false", "ranking = true")
    assert "ranking = true" in text
    protocol = tmp_path / "ranked.toml"
    protocol.write_text(text, encoding="utf-8")
    store = create_review(protocol, db_url, actor="lead")
    export = tmp_path / "search.ris"
    # peer-support titles and unrelated ones interleaved, so import order says nothing
    mixed = [t for pair in zip(OTHER[::2], OTHER[1::2], PEER, strict=True) for t in pair]
    export.write_text(_ris(mixed), encoding="utf-8")
    import_files(store, [export], SourceInfo("MEDLINE", "database"), actor="lead")
    run_dedupe(store, actor="lead")
    for name, role in (("Lee", "lead"), ("Ana", "reviewer"), ("Ben", "reviewer")):
        add_reviewer(store, name, role=role, actor="lead")
    return store


def _title(store: Store, record_id: int) -> str:
    records = t.records
    with store.read() as conn:
        return conn.execute(sa.select(records.c.title).where(records.c.id == record_id)
                            ).scalar_one()


def _decide(store: Store, record_id: int, decision: str) -> None:
    for name in ("Ana", "Ben"):
        screening.cast_vote(store, name, record_id, decision)


def test_the_protocol_orders_the_queue_before_any_decision_then_the_decisions_do(
        review: Store) -> None:
    before = [r["record_id"] for r in screening.queue(review, "Ana")]
    assert sorted(before) == list(range(1, 37)) and before != sorted(before)
    assert before == [r["record_id"] for r in screening.queue(review, "Ben")]

    # no vote yet: the protocol's title, question and include terms stand in for an include
    start = prioritise.retrain(review)
    assert start.status == "done", start.detail
    assert "the protocol's title, question and include terms" in start.detail
    assert "(no include decided yet) and 0 excludes" in start.detail
    ranked = [r["record_id"] for r in screening.queue(review, "Ana")]
    assert all("Peer support" in _title(review, i) for i in ranked[:12])
    assert ranked == [r["record_id"] for r in screening.queue(review, "Ben")]

    peer = next(i for i in ranked if "Peer support" in _title(review, i))
    other = next(i for i in ranked if "knee" in _title(review, i))
    _decide(review, peer, "include")
    _decide(review, other, "exclude")
    result = prioritise.retrain(review)
    assert result.status == "done", result.detail
    # a real include is decided: the protocol's words are no longer learnt from
    assert "protocol" not in result.detail and result.run_id != start.run_id

    ranked = [r["record_id"] for r in screening.queue(review, "Ana")]
    top = [_title(review, i) for i in ranked[:11]]
    assert all("Peer support" in t for t in top), top  # every remaining include comes first
    item = screening.next_item(review, "Ben")
    assert item is not None and item.record_id == ranked[0]  # dual: the same top for both
    assert item.run_id == result.run_id and item.rank is not None
    shown = t.screening_shown
    with review.read() as conn:
        row = conn.execute(sa.select(shown).order_by(shown.c.id.desc())).first()
    assert (row.group_id, row.run_id, row.position) == (item.group_id, result.run_id, item.rank)


def test_the_protocols_words_are_its_title_question_and_include_terms(
        protocol_path: Path) -> None:
    from review.protocol import load_protocol

    protocol = load_protocol(protocol_path)
    query = prioritise.protocol_query(protocol)
    assert query.startswith(protocol.title)
    assert protocol.question.strip() in query
    assert all(term.replace("*", "") in query for term in protocol.highlight.include_terms)
    assert "*" not in query
    assert not any(c.description.strip()[:40] in query for c in protocol.criteria)


def test_a_pending_vote_never_moves_the_ranking(review: Store) -> None:
    queue = [r["record_id"] for r in screening.queue(review, "Ana")]
    peer = next(i for i in queue if "Peer support" in _title(review, i))
    other = next(i for i in queue if "knee" in _title(review, i))
    _decide(review, peer, "include")
    _decide(review, other, "exclude")
    first = prioritise.retrain(review)
    lone = next(i for i in queue if "knee" in _title(review, i) and i != other)
    screening.cast_vote(review, "Ana", lone, "include")  # Ben has not voted: not decided
    again = prioritise.retrain(review)
    assert (again.status, again.run_id) == ("done", first.run_id)
    assert again.detail == "the ranking is up to date"


def test_retraining_runs_beside_the_vote(review: Store) -> None:
    queue = [r["record_id"] for r in screening.queue(review, "Ana")]
    _decide(review, next(i for i in queue if "Peer" in _title(review, i)), "include")
    _decide(review, next(i for i in queue if "knee" in _title(review, i)), "exclude")
    assert prioritise.retrain_soon(review) is True
    prioritise.wait_for_retraining(review)
    runs = t.ranking_runs
    with review.read() as conn:
        statuses = [r.status for r in conn.execute(sa.select(runs))]
    assert statuses == ["done"]


def test_ranking_off_keeps_group_order(tmp_path: Path, protocol_path: Path) -> None:
    store = create_review(protocol_path, tmp_path / "plain.db", actor="lead")
    export = tmp_path / "s.ris"
    export.write_text(_ris(OTHER[:5] + PEER[:5]), encoding="utf-8")
    import_files(store, [export], SourceInfo("MEDLINE", "database"), actor="lead")
    run_dedupe(store, actor="lead")
    add_reviewer(store, "Ana", actor="lead")
    assert [r["record_id"] for r in screening.queue(store, "Ana")] == list(range(1, 11))
    assert prioritise.retrain(store).status == "off"
    # Screened in import order, the records are a random draw: the stopping rule drops the
    # ranking's bias and is the paper's test.
    found = prioritise.stopping(store)
    assert found.estimate.bias == 1.0 and found.estimate.sample_bias == 1.0
    # ... and says so: no ranking bias in its assumptions or its reasons
    assert "bias 1" in found.assumptions[0] and "twice the odds" not in found.assumptions[0]
    assert "bias of 2" not in found.why and "paper's bias of 1" in found.why


def test_stopping_rule_and_a_leads_stop(review: Store) -> None:
    queue = [r["record_id"] for r in screening.queue(review, "Ana")]
    _decide(review, next(i for i in queue if "Peer" in _title(review, i)), "include")
    _decide(review, next(i for i in queue if "knee" in _title(review, i)), "exclude")
    prioritise.retrain(review)
    for _ in range(20):  # screen in the model's order, as the reviewers would
        item = screening.next_item(review, "Ana")
        decision = "include" if "Peer" in item.record["title"] else "exclude"
        _decide(review, item.record_id, decision)
        prioritise.retrain(review)
    found = prioritise.stopping(review)
    assert found.estimate.n_records == 36 and found.estimate.n_screened == 22
    assert found.estimate.n_included == 12  # all includes found first
    assert found.curve[-1] == (22, 12) and found.assumptions
    assert found.estimate.bias == 2.0 and "twice the odds" in found.assumptions[0]
    # the first two were decided before any model run placed them: samples reaching back to
    # them are a random draw (bias 1), and the assumptions say so
    assert found.estimate.ranked_from == 2 and found.estimate.mixed
    assert "The first 2 records decided" in found.assumptions[0]
    assert "bias 1" in found.assumptions[0] and "first 2 records" in found.why
    assert "target method" in found.why and "59 includes" in found.why  # 95% with 95%
    with pytest.raises(AccessError):
        prioritise.stop_screening(review, by="Ana")
    with pytest.raises(ReviewError, match="only the first stage"):
        prioritise.stop_screening(review, by="Lee", stage="full_text")
    values = prioritise.stop_screening(review, by="Lee", note="rule says stop")
    assert values["n_unscreened"] == 14
    # the stop keeps the bias its p-value was computed with, in the table and the audit
    assert values["bias"] == found.estimate.sample_bias
    assert prioritise.stop_of(review, "title_abstract")["bias"] == values["bias"]
    detail = audit_actions(review, "stop screening")[0]["detail"]
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert detail["bias"] == values["bias"] and detail["ranked_bias"] == 2.0
    assert detail["ranked_from"] == 2 and detail["sample_size"] == found.estimate.sample_size
    assert screening.next_item(review, "Ana") is None and screening.queue(review, "Ben") == []
    with pytest.raises(ReviewError, match="was stopped by a lead"):
        screening.cast_vote(review, "Ana", 1, "exclude")
    from review.prisma.counts import compute

    counts = compute(review)
    assert counts.records_awaiting_screening == 14 and counts.screening_stopped_on
    assert "records_awaiting_screening" not in counts.pending()
    from review.prisma.diagram import render_svg

    assert "Not screened, screening stopped on" in render_svg(counts)
    # taken back (too early, or by mistake): the queues open again where they were
    with pytest.raises(AccessError):
        prioritise.resume_screening(review, by="Ana", note="I want to go on")
    with pytest.raises(ReviewError, match="say why"):
        prioritise.resume_screening(review, by="Lee", note="  ")
    withdrawn = prioritise.resume_screening(review, by="Lee", note="stopped too early")
    assert withdrawn["note"] == "rule says stop"
    assert prioritise.stop_of(review, "title_abstract") is None
    assert len(screening.queue(review, "Ana")) == 14 and not compute(review).screening_stopped_on
    with pytest.raises(ReviewError, match="not stopped"):
        prioritise.resume_screening(review, by="Lee", note="again")
    assert len(audit_actions(review, "stop screening")) == 1
    resumed = audit_actions(review, "resume screening")
    assert len(resumed) == 1 and resumed[0]["actor"] == "Lee"


def test_cli_rank_stopping_and_stop(review: Store) -> None:
    db = review.url.removeprefix("sqlite:///") if review.url.startswith("sqlite") else review.url
    runner = CliRunner()
    result = runner.invoke(main, ["rank", "--db", db])
    assert result.exit_code == 0 and result.output.startswith("done: svm trained on the "
                                                              "protocol's title")
    result = runner.invoke(main, ["stopping", "--db", db, "--format", "json", "--curve"])
    assert result.exit_code == 0 and '"target_reached": false' in result.output
    assert '"why_this_rule": "Why this rule: it was compared with the target method' \
        in result.output
    result = runner.invoke(main, ["stop-screening", "--by", "Ana", "--db", db])
    assert result.exit_code == 1 and "only a lead stops screening" in result.output
    result = runner.invoke(main, ["stop-screening", "--by", "Lee", "--db", db])
    assert result.exit_code == 0 and "36 left unscreened" in result.output
    result = runner.invoke(main, ["resume-screening", "--by", "Lee", "--note", "too early",
                                  "--db", db])
    assert result.exit_code == 0 and "resumed" in result.output
    assert prioritise.stop_of(review, "title_abstract") is None


def _ranked_review(tmp_path: Path, protocol_path: Path, titles: list[str],
                   people: dict[str, str]) -> tuple[Path, Store]:
    """A review with ranking on, the titles imported and deduplicated, and people (name ->
    role) who sign in with the password NAME-password."""
    text = protocol_path.read_text(encoding="utf-8").replace("ranking = false", "ranking = true")
    assert "ranking = true" in text
    protocol = tmp_path / "ranked.toml"
    protocol.write_text(text, encoding="utf-8")
    db = tmp_path / "ranked.db"
    store = create_review(protocol, db, actor="lead")
    export = tmp_path / "search.ris"
    export.write_text(_ris(titles), encoding="utf-8")
    import_files(store, [export], SourceInfo("MEDLINE", "database"), actor="lead")
    run_dedupe(store, actor="lead")
    for name, role in people.items():
        add_reviewer(store, name, role=role, password=f"{name.lower()}-password", actor="lead")
    return db, store


def _signed_in(db: Path, name: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN202
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("REVIEW_DB", str(db))
    app = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=60).run()
    [w for w in app.text_input if w.label == "Name"][0].input(name)
    [w for w in app.text_input if w.label == "Password"][0].input(f"{name.lower()}-password")
    [b for b in app.button if b.label == "Sign in"][0].click().run()
    app.run()  # after "Signing you in..." (a browser fetches its session cookie, comes back)
    assert not app.exception, app.exception
    return app


def test_screen_page_starts_from_the_protocol_then_follows_the_decisions(
        tmp_path: Path, protocol_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # peer records last in import order
    db, store = _ranked_review(tmp_path, protocol_path, OTHER[:12] + PEER[:6],
                               {"Ana": "reviewer", "Ben": "reviewer"})
    app = _signed_in(db, "Ana", monkeypatch)
    captions = " ".join(c.value for c in app.caption)
    assert "Random order until the first model run, from the protocol's title" in captions
    # the page started the first run in the background, before any vote
    prioritise.wait_for_retraining(store)
    assert prioritise.retrain(store).detail == "the ranking is up to date"
    app = _signed_in(db, "Ana", monkeypatch)
    shown = " ".join(s.value for s in app.subheader) + " ".join(m.value for m in app.markdown)
    assert "for young people" in shown  # the protocol's words put peer records first
    assert "Ordered by predicted relevance" in " ".join(c.value for c in app.caption)
    _decide(store, 13, "include")  # a peer-support record
    _decide(store, 1, "exclude")
    result = prioritise.retrain(store)
    assert result.status == "done"
    assert "trained on 1 includes and 1 excludes" in result.detail
    app = _signed_in(db, "Ana", monkeypatch)
    shown = " ".join(s.value for s in app.subheader) + " ".join(m.value for m in app.markdown)
    assert "for young people" in shown
    assert f"model run {result.run_id}" in " ".join(c.value for c in app.caption)


def test_progress_page_shows_the_rule_and_a_lead_stops(
        tmp_path: Path, protocol_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db, store = _ranked_review(tmp_path, protocol_path, OTHER[:8] + PEER[:4],
                               {"Lee": "lead", "Ana": "reviewer", "Ben": "reviewer"})
    _decide(store, 9, "include")
    _decide(store, 1, "exclude")
    app = _signed_in(db, "Lee", monkeypatch)
    app.switch_page(str(Path(__file__).parent.parent / "review/ui/pages/progress.py")).run()
    assert not app.exception, app.exception
    assert "When to stop screening" in [s.value for s in app.subheader]
    assert any("Not yet confident" in m.value for m in app.markdown)
    assert any("compared with the target method" in c.value for c in app.caption)
    app.checkbox[0].check()
    [b for b in app.button if b.label == "Stop screening"][0].click().run()
    assert not app.exception, app.exception
    assert any("Screening was stopped on" in i.value for i in app.info)
    assert prioritise.stop_of(store, "title_abstract")["n_unscreened"] == 10
    [w for w in app.text_input if w.label.startswith("Why resume")][0].input("by mistake")
    [b for b in app.button if b.label == "Resume screening"][0].click().run()
    assert not app.exception, app.exception
    assert prioritise.stop_of(store, "title_abstract") is None
    assert any(b.label == "Stop screening" for b in app.button)


def test_records_placed_from_the_protocol_alone_count_as_unranked(review: Store) -> None:
    start = prioritise.retrain(review)
    assert start.status == "done"
    shown = [screening.next_item(review, name) for name in ("Ana", "Ben")]
    assert all(item is not None and item.run_id == start.run_id for item in shown)
    record_id = shown[0].record_id  # type: ignore[union-attr]
    _decide(review, record_id, "include" if "Peer" in _title(review, record_id) else "exclude")
    # the stopping rule's bias is for records a model of the decisions placed; this one was
    # placed by the protocol's words alone, so a sample reaching back to it is a random draw
    assert prioritise.stopping(review).estimate.ranked_from == 1


def test_each_review_of_a_database_ranks_from_its_own_records(review: Store,
                                                               tmp_path: Path) -> None:
    # a second review in the same database numbers its records 1..36 too, with the peer-support
    # titles first: features kept from the first review would put the wrong records on top
    second = create_review(tmp_path / "ranked.toml", review.url, actor="lead", review="second")
    export = tmp_path / "second.ris"
    export.write_text(_ris(PEER + OTHER), encoding="utf-8")
    import_files(second, [export], SourceInfo("MEDLINE", "database"), actor="lead")
    run_dedupe(second, actor="lead")
    for name in ("Lee", "Ana"):
        add_reviewer(second, name, role="lead" if name == "Lee" else "reviewer", actor="lead")
    assert prioritise.retrain(review).status == "done"
    assert prioritise.retrain(second).status == "done"
    for store in (review, second):
        ranked = [r["record_id"] for r in screening.queue(store, "Ana")]
        assert all("Peer support" in _title(store, i) for i in ranked[:12]), store.review
    assert [r["record_id"] for r in screening.queue(second, "Ana")][:12] != \
        [r["record_id"] for r in screening.queue(review, "Ana")][:12]


def test_the_first_run_is_started_once_and_a_failed_feature_build_is_recorded(
        review: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    stage = "title_abstract"
    assert not prioritise.has_run(review, stage)

    def broken(*_args: object) -> None:
        raise ReviewError("the records have no title, abstract or keywords to learn from")

    monkeypatch.setattr(prioritise, "_features", broken)
    with pytest.raises(ReviewError, match="no title, abstract or keywords"):
        prioritise.retrain(review)
    runs = t.ranking_runs
    with review.read() as conn:
        failed = conn.execute(sa.select(runs.c.status, runs.c.error)).all()
    assert [(r.status, r.error) for r in failed] == [
        ("failed", "the records have no title, abstract or keywords to learn from")]
    # a failed first run counts: the Screen page does not start it again on every redraw
    assert prioritise.has_run(review, stage)
