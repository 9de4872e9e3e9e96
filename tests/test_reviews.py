"""Several reviews in one database (issue 19): each holds exactly what it would alone, on a
real SQLite file and a real PostgreSQL server; choosing a review; a database of schema 19
becomes its first review with every row kept; the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from review.demo.build import build_demo
from review.importing import SourceInfo, import_files
from review.prisma.counts import compute
from review.project import create_review, review_info
from review.reviews import list_reviews, summarise
from review.screening import votes as screening
from review.store import CHOSEN_REVIEW, Store
from review.store import schema as t
from review.store.archive import table_contents
from tests.conftest import HOSTILE

_TIMES = re.compile(r"(^at$|_at$)")


def _comparable(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table but what differs between any two builds: times, salted
    password hashes, and the slug the audit log notes at creation."""
    found = {}
    for name, rows in table_contents(store).items():
        kept = []
        for row in rows:
            row = {k: v for k, v in row.items() if not _TIMES.search(k) and k != "password_hash"}
            if name == "audit_log" and isinstance(row.get("detail"), dict):
                row["detail"] = {k: v for k, v in row["detail"].items() if k != "slug"}
            kept.append(row)
        found[name] = kept
    return found


def _other_review(db: str, protocol_path: Path, tmp_path: Path, slug: str) -> Store:
    """A small review with a lead, a reviewer, two records and a vote: rows of its own in
    every table the demo also writes to first."""
    store = create_review(protocol_path, db, actor="lead", review=slug, title="Other review")
    export = tmp_path / f"{slug}.ris"
    export.write_text(HOSTILE, encoding="utf-8")
    import_files(store, [export], SourceInfo("CINAHL (EBSCO)", "database", "2025-02-01"),
                 actor="lead")
    from review.accounts import add_reviewer
    from review.duplicates import run_dedupe

    run_dedupe(store, actor="lead")
    add_reviewer(store, "Oli", role="reviewer", actor="lead")
    screening.cast_vote(store, "Oli", 1, "exclude", origin="test")
    return store


def test_two_reviews_in_one_database_are_each_what_they_would_be_alone(
        db_url: str, tmp_path: Path, protocol_path: Path, request: pytest.FixtureRequest) -> None:
    if db_url.startswith("postgresql"):
        alone_db = request.getfixturevalue("postgres").new_database()
    else:
        alone_db = str(tmp_path / "alone.db")
    alone = build_demo(alone_db)
    other = _other_review(db_url, protocol_path, tmp_path, "other")
    other_before = _comparable(other)
    beside = build_demo(db_url, review="demo")
    try:
        assert beside.review is not None and beside.review.slug == "demo"
        assert beside.review.namespace is not None  # the second review: a namespace of its own
        assert _comparable(beside) == _comparable(alone)
        assert compute(beside) == compute(alone)
        assert _comparable(other) == other_before  # the demo's build touched nothing of it
        assert summarise(other).records == 2
        assert [(s.slug, s.records) for s in list_reviews(db_url)] == [
            ("other", 2), ("demo", summarise(alone).records)]
        # the same record id in each review is each review's own record
        assert screening.my_votes(other, "Oli")[0]["decision"] == "exclude"
        with pytest.raises(Exception, match="Oli"):
            screening.my_votes(beside, "Oli")  # Oli is a person of the other review only
    finally:
        for store in (alone, other, beside):
            store.close()


def test_a_review_is_chosen_by_slug_env_or_being_the_only_one(
        db_url: str, protocol_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REVIEW_SLUG", raising=False)
    first = create_review(protocol_path, db_url, actor="lead", review="first")
    first.close()
    only = Store.open(db_url)  # the only review
    assert only.review is not None and only.review.slug == "first"
    only.close()
    create_review(protocol_path, db_url, actor="lead", review="second", title="Second").close()
    with pytest.raises(Exception, match="holds 2 reviews: first, second; choose one with "
                                        r"--review SLUG \(or \$REVIEW_SLUG\)"):
        Store.open(db_url)
    with pytest.raises(Exception, match="holds no review 'third'; its reviews: first, second"):
        Store.open(db_url, review="third")
    monkeypatch.setenv("REVIEW_SLUG", "second")
    store = Store.open(db_url)
    assert review_info(store).title == "Second"
    store.close()
    token = CHOSEN_REVIEW.set("first")  # the command line's --review wins over the variable
    try:
        store = Store.open(db_url)
        assert store.review is not None and store.review.slug == "first"
        store.close()
    finally:
        CHOSEN_REVIEW.reset(token)


def test_a_slug_taken_or_malformed_is_refused_and_leaves_nothing(
        db_url: str, protocol_path: Path) -> None:
    create_review(protocol_path, db_url, actor="lead", review="alpha").close()
    with pytest.raises(Exception, match="already holds a review 'alpha'"):
        create_review(protocol_path, db_url, actor="lead", review="alpha")
    with pytest.raises(Exception, match="already holds a review \\(alpha\\)"):
        create_review(protocol_path, db_url, actor="lead")  # no slug: as before, refused
    with pytest.raises(Exception, match="review slug 'Bad Slug' is not usable"):
        create_review(protocol_path, db_url, actor="lead", review="Bad Slug")
    assert [s.slug for s in list_reviews(db_url)] == ["alpha"]
    server = Store.open_database(db_url)
    tables = sa.inspect(server.engine).get_table_names()
    server.close()
    assert not any(name.startswith("review_") for name in tables)


def test_a_second_reviews_audit_log_is_append_only(db_url: str, protocol_path: Path) -> None:
    create_review(protocol_path, db_url, actor="lead", review="alpha").close()
    second = create_review(protocol_path, db_url, actor="lead", review="beta")
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), second.write() as conn:
        conn.execute(sa.delete(t.audit_log))
    with second.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.audit_log)).scalar() == 1
    second.close()


def test_a_database_of_schema_19_becomes_its_first_review_with_every_row_kept(
        tmp_path: Path) -> None:
    """Built by the migrations up to 19 as the previous version did, with rows; opened by
    this version, it is one review under a slug made from its title, nothing lost."""
    from tests.conftest import migrate_up_to

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        migrate_up_to(conn, 19)
        conn.exec_driver_sql(
            "INSERT INTO review (id, title, protocol_file, protocol_text, protocol_sha256, "
            "created_at) VALUES (1, 'Peer support: self-harm (2026 update)', 'p.toml', 'x', "
            "'abc', '2026-01-01T00:00:00Z')")
        conn.exec_driver_sql(
            "INSERT INTO sources (id, name, kind, file_name, sha256, format, encoding, "
            "line_endings, size_bytes, searched_on, imported_at, imported_by, record_count) "
            "VALUES (7, 'MEDLINE', 'database', 'm.ris', 'abc', 'ris', 'utf-8', 'lf', 10, "
            "'2025-01-01', '2026-01-01T00:00:00Z', 'lead', 1)")
        conn.exec_driver_sql(
            "INSERT INTO records (id, source_id, position, source_line, raw, authors, issn, "
            "isbn, keywords, search_text) VALUES (3, 7, 1, 1, '{}', '[]', '[]', '[]', '[]', '')")
    engine.dispose()
    store = Store.open(url)
    assert store.review is not None
    assert (store.review.slug, store.review.namespace) == ("peer-support-self-harm-2026-update",
                                                          None)
    with store.read() as conn:
        assert conn.execute(sa.select(t.records.c.id, t.records.c.source_id)).all() == [(3, 7)]
        assert conn.execute(sa.select(t.sources.c.name)).scalar_one() == "MEDLINE"
    store.close()
    assert [(s.slug, s.records) for s in list_reviews(url)] == [
        ("peer-support-self-harm-2026-update", 1)]


def _cli(*args: str, given: str | None = None) -> Any:
    from review.cli.main import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False, input=given,
                              env={"REVIEW_USER": "lead", "REVIEW_SLUG": None})


def test_the_command_line_makes_lists_and_chooses_reviews(tmp_path: Path,
                                                         protocol_path: Path) -> None:
    db = str(tmp_path / "server.db")
    made = _cli("init", "--protocol", str(protocol_path), "--db", db, "--review", "alpha")
    assert made.exit_code == 0 and "as 'alpha'" in made.output
    made = _cli("init", "--protocol", str(protocol_path), "--db", db, "--review", "beta",
                "--title", "Beta review")
    assert made.exit_code == 0, made.output
    export = tmp_path / "beta.ris"
    export.write_text(HOSTILE, encoding="utf-8")
    done = _cli("import", str(export), "--source", "CINAHL", "--db", db, "--review", "beta")
    assert done.exit_code == 0, done.output
    listed = json.loads(_cli("reviews", "list", "--db", db, "--format", "json").output)
    assert [(r["slug"], r["title"], r["records"]) for r in listed] == [
        ("alpha", "Peer support for self-harm in non-clinical settings", 0),
        ("beta", "Beta review", 2)]
    assert listed[1]["stages"] == {"title_abstract": {"open": 2}}
    csv_out = _cli("reviews", "list", "--db", db, "--format", "csv").output.splitlines()
    assert csv_out[0] == "slug,title,records,people,title_abstract"
    refused = _cli("progress", "--db", db)
    assert refused.exit_code == 1
    assert "holds 2 reviews: alpha, beta; choose one with --review SLUG" in refused.output
    users = _cli("users", "add", "Ana", "--role", "reviewer", "--password-stdin", "--db", db,
                 "--review", "alpha", given="a long passphrase\n")
    assert users.exit_code == 0, users.output
    assert "Ana" in _cli("users", "list", "--db", db, "--review", "alpha").output
    assert "Ana" not in _cli("users", "list", "--db", db, "--review", "beta").output


# --- one account per person per server, a role per review ---------------------------------

PASSWORD, NEW_PASSWORD = "first passphrase", "second passphrase"


def _two(db_url: str, protocol_path: Path) -> tuple[Store, Store]:
    alpha = create_review(protocol_path, db_url, actor="admin", review="alpha")
    beta = create_review(protocol_path, db_url, actor="admin", review="beta", title="Beta")
    return alpha, beta


def test_one_account_signs_in_to_each_of_its_reviews_with_one_password(
        db_url: str, protocol_path: Path) -> None:
    from review.accounts import add_reviewer, authenticate, list_accounts, set_password
    from review.errors import ReviewError
    from review.sessions import Session as Kept
    from review.sessions import start_session

    alpha, beta = _two(db_url, protocol_path)
    add_reviewer(alpha, "Ana", role="lead", password=PASSWORD, actor="admin")
    with pytest.raises(ReviewError, match="a password of their own, used in every review"):
        add_reviewer(beta, "ana", role="reviewer", password="someone else's", actor="admin")
    joined = add_reviewer(beta, "Ana", role="reviewer", actor="admin")  # her account, as is
    assert joined.role == "reviewer"
    assert authenticate(beta, "Ana", PASSWORD) is not None  # one password
    assert [(a.name, a.reviews) for a in list_accounts(alpha)] == [
        ("Ana", (("alpha", "lead"), ("beta", "reviewer")))]
    person = authenticate(beta, "Ana", PASSWORD)
    assert person is not None
    started, _code = start_session(beta, Kept(person, "password", None, 0.0), binding=None)
    set_password(alpha, "Ana", NEW_PASSWORD, actor="admin")  # changed in one review ...
    assert authenticate(beta, "Ana", PASSWORD) is None  # ... changed in every one
    assert authenticate(beta, "Ana", NEW_PASSWORD) is not None
    assert started.id is not None
    with beta.read() as conn:
        ended = conn.execute(sa.select(t.sessions.c.end_reason).where(
            t.sessions.c.id == started.id)).scalar_one()
        audited = conn.execute(sa.select(t.audit_log.c.action).order_by(
            t.audit_log.c.id.desc())).first()
    assert ended == "password changed"  # her session in the other review ended too
    assert audited is not None and audited.action == "end sessions"
    for store in (alpha, beta):
        store.close()


def test_a_lead_changes_an_accounts_password_only_if_they_lead_each_of_its_reviews(
        db_url: str, protocol_path: Path) -> None:
    from review.accounts import (
        AccessError,
        add_reviewer,
        list_reviewers,
        set_admin,
        set_password,
    )

    alpha, beta = _two(db_url, protocol_path)
    lea = add_reviewer(alpha, "Lea", role="lead", password=PASSWORD, actor="admin")
    add_reviewer(alpha, "Ana", role="reviewer", password=PASSWORD, actor="admin")
    add_reviewer(beta, "Ana", role="reviewer", actor="admin")
    with pytest.raises(AccessError, match="also in the review 'beta', which you do not lead"):
        set_password(alpha, "Ana", NEW_PASSWORD, actor=lea)
    add_reviewer(beta, "Lea", role="lead", actor="admin")  # now she leads both
    set_password(alpha, "Ana", NEW_PASSWORD, actor=lea)
    add_reviewer(beta, "Ben", role="lead", password=PASSWORD, actor="admin")
    ben = add_reviewer(alpha, "Ben", role="observer", actor="admin")
    with pytest.raises(AccessError, match="observer"):
        set_password(alpha, "Ana", PASSWORD, actor=ben)  # not a lead of this review
    set_admin(alpha, "Ben", True, actor="admin")
    with pytest.raises(AccessError):  # an administrator, but still an observer here
        set_password(alpha, "Ana", PASSWORD, actor=ben)
    beta_ben = next(p for p in list_reviewers(beta) if p.name == "Ben")
    set_password(beta, "Ana", PASSWORD, actor=beta_ben)  # a lead here and an administrator
    for store in (alpha, beta):
        store.close()


def test_disabling_an_account_ends_its_sessions_in_every_review(db_url: str,
                                                                protocol_path: Path) -> None:
    from review.accounts import (
        AccessError,
        add_reviewer,
        authenticate,
        set_account_active,
    )
    from review.sessions import Session as Kept
    from review.sessions import start_session

    alpha, beta = _two(db_url, protocol_path)
    lea = add_reviewer(alpha, "Lea", role="lead", password=PASSWORD, actor="admin")
    sessions = []
    for store in (alpha, beta):
        if store is beta:
            add_reviewer(beta, "Ana", role="reviewer", actor="admin")
        else:
            add_reviewer(alpha, "Ana", role="reviewer", password=PASSWORD, actor="admin")
        person = authenticate(store, "Ana", PASSWORD)
        assert person is not None
        sessions.append(start_session(store, Kept(person, "password", None, 0.0),
                                      binding=None)[0].id)
    with pytest.raises(AccessError, match="not a server administrator"):
        set_account_active(alpha, "Ana", False, actor=lea)  # a lead manages their review only
    assert set_account_active(alpha, "Ana", False, actor="admin") == 2
    for store, session_id in zip((alpha, beta), sessions, strict=True):
        assert authenticate(store, "Ana", PASSWORD) is None
        with store.read() as conn:
            assert conn.execute(sa.select(t.sessions.c.end_reason).where(
                t.sessions.c.id == session_id)).scalar_one() == "disabled"
    set_account_active(beta, "Ana", True, actor="admin")
    assert authenticate(beta, "Ana", PASSWORD) is not None
    for store in (alpha, beta):
        store.close()


def _member_services() -> list[tuple[str, Any]]:
    """Services a person calls as themselves, each with a record or study of the review."""
    from review.extraction.findings import add_finding
    from review.screening import conflicts as conflict_service
    from review.screening.agreement import agreement, progress
    from review.screening.decisions_csv import export_decisions
    from review.screening.discussion import post
    from review.screening.fulltext import attach_pdf
    from review.screening.labels import add_label, labels_on

    return [
        ("vote", lambda s, who: screening.cast_vote(s, who, 1, "include", origin="test")),
        ("queue", lambda s, who: screening.queue(s, who)),
        ("next record", lambda s, who: screening.next_item(s, who)),
        ("my votes", lambda s, who: screening.my_votes(s, who)),
        ("undo", lambda s, who: screening.undo_last(s, who)),
        ("conflicts", lambda s, who: conflict_service.conflicts(s, who)),
        ("resolve", lambda s, who: conflict_service.resolve(s, 1, "include", by=who)),
        ("finding", lambda s, who: add_finding(s, "benefits", "A finding.", by=who)),
        ("PRISMA", lambda s, who: compute(s, by=who)),
        ("label", lambda s, who: add_label(s, who, 1, "check")),
        ("labels shown", lambda s, who: labels_on(s, who, 1)),
        ("discussion", lambda s, who: post(s, 1, "A note.", by=who)),
        ("full text", lambda s, who: attach_pdf(s, 1, b"%PDF-1.4", "a.pdf", actor=who)),
        ("agreement", lambda s, who: agreement(s, by=who)),
        ("progress", lambda s, who: progress(s, by=who)),
        ("decisions export", lambda s, who: export_decisions(s, by=who)),
    ]


_OPERATOR_BY_NAME = {"PRISMA", "full text"}  # a plain name there is the command line's operator


@pytest.mark.parametrize("service", [name for name, _ in _member_services()])
def test_a_person_of_one_review_is_refused_by_every_service_of_another(
        service: str, db_url: str, protocol_path: Path, tmp_path: Path) -> None:
    from review.accounts import add_reviewer
    from review.errors import ReviewError

    call = dict(_member_services())[service]
    alpha = _other_review(db_url, protocol_path, tmp_path, "alpha")
    lea = add_reviewer(alpha, "Lea", role="lead", actor="admin")
    beta = _other_review(db_url, protocol_path, tmp_path, "beta")  # Oli in both, Lea not
    beta_lead = add_reviewer(beta, "Bo", role="lead", actor="admin")
    assert lea.id == beta_lead.id  # the same id in each review: a different person
    # by name (the command line; PRISMA's `by` is then the operator, not a person) and signed in
    for who in ((lea,) if service in _OPERATOR_BY_NAME else ("Lea", lea)):
        with pytest.raises(ReviewError, match="Lea|no longer an active reviewer"):
            call(beta, who)
    try:
        call(alpha, lea)  # a member: let through (a lead may do each of these) ...
    except ReviewError as exc:  # ... to whatever the review itself then says
        assert not re.search("no reviewer called|no longer an active reviewer", str(exc))
    for store in (alpha, beta):
        store.close()


def test_people_of_a_restored_review_take_their_accounts_on_the_server(
        db_url: str, protocol_path: Path, tmp_path: Path) -> None:
    """Restored beside other reviews, a person with an account keeps one password (the
    account's); a person new to the server gets an account of their own."""
    from review.accounts import add_reviewer, authenticate, list_accounts
    from review.store.archive import export_project, import_project

    elsewhere = create_review(protocol_path, tmp_path / "laptop.db", actor="admin",
                              review="laptop")
    add_reviewer(elsewhere, "Ana", role="lead", password=PASSWORD, actor="admin")
    add_reviewer(elsewhere, "Zed", role="reviewer", password=PASSWORD, actor="admin")
    export_project(elsewhere, tmp_path / "laptop.zip")
    elsewhere.close()
    server = create_review(protocol_path, db_url, actor="admin", review="server")
    add_reviewer(server, "Ana", role="lead", password=NEW_PASSWORD, actor="admin")
    restored = import_project(tmp_path / "laptop.zip", db_url)
    assert restored.review is not None and restored.review.slug == "laptop"
    assert authenticate(restored, "Ana", NEW_PASSWORD) is not None  # her server password
    assert authenticate(restored, "Ana", PASSWORD) is None
    assert authenticate(restored, "Zed", PASSWORD) is not None  # new here: his own
    assert [(a.name, a.reviews) for a in list_accounts(server)] == [
        ("Ana", (("server", "lead"), ("laptop", "lead"))),
        ("Zed", (("laptop", "reviewer"),))]
    for store in (server, restored):
        store.close()


def test_the_command_line_manages_accounts_across_reviews(tmp_path: Path,
                                                          protocol_path: Path) -> None:
    db = str(tmp_path / "server.db")
    for slug in ("alpha", "beta"):
        assert _cli("init", "--protocol", str(protocol_path), "--db", db,
                    "--review", slug).exit_code == 0
    first = _cli("users", "add", "Ana", "--role", "lead", "--password-stdin", "--db", db,
                 "--review", "alpha", given=f"{PASSWORD}\n")
    assert first.output == "Added Ana (lead).\n"
    joined = _cli("users", "add", "ana", "--db", db, "--review", "beta")  # nothing asked
    assert joined.exit_code == 0 and "with their account on this server" in joined.output
    listed = json.loads(_cli("accounts", "list", "--db", db, "--format", "json").output)
    assert listed == [{"name": "Ana", "email": None, "active": True, "admin": False,
                       "reviews": "alpha (lead); beta (reviewer)"}]
    assert _cli("accounts", "admin", "Ana", "--db", db).exit_code == 0
    off = _cli("accounts", "disable", "Ana", "--db", db)
    assert off.output == "Disabled the account of Ana; 0 open session(s) ended.\n"
    listed = json.loads(_cli("accounts", "list", "--db", db, "--format", "json").output)
    assert (listed[0]["active"], listed[0]["admin"]) == (False, True)


def test_signed_in_to_one_review_signs_the_same_account_in_to_another(
        db_url: str, protocol_path: Path) -> None:
    """The cookie of a session in one review starts one in another review of the person's,
    only while that session, their membership here and their account all stand."""
    import time

    from review.accounts import add_reviewer, set_account_active, set_active
    from review.sessions import (
        carry_over,
        cookie_name,
        end_session,
        password_sign_in,
        redeem,
        start_session,
    )

    alpha, beta = _two(db_url, protocol_path)
    add_reviewer(alpha, "Ana", role="lead", password=PASSWORD, actor="admin")
    add_reviewer(beta, "Ana", role="reviewer", actor="admin")
    add_reviewer(beta, "Bo", role="lead", actor="admin")
    now = time.time()
    kept = password_sign_in(alpha, "Ana", PASSWORD, now=now)
    assert kept is not None
    started, code = start_session(alpha, kept, binding=None)
    cookie = redeem(alpha, code, now=now)
    assert cookie is not None
    cookies = {cookie_name(alpha): cookie}
    carried = carry_over(beta, cookies, now=now)
    assert carried is not None and carried.reviewer.name == "Ana"
    assert carried.reviewer.role == "reviewer" and carried.via == "password"
    assert carry_over(beta, {cookie_name(alpha): cookie[:-2] + "xx"}, now=now) is None  # forged
    assert carry_over(alpha, {cookie_name(beta): cookie}, now=now) is None  # not beta's cookie
    set_active(beta, "Ana", False, actor="admin")  # no longer a member here
    assert carry_over(beta, cookies, now=now) is None
    set_active(beta, "Ana", True, actor="admin")
    set_account_active(beta, "Ana", False, actor="admin")  # account off: her sessions end
    assert carry_over(beta, cookies, now=now) is None
    set_account_active(beta, "Ana", True, actor="admin")
    kept = password_sign_in(alpha, "Ana", PASSWORD, now=now)
    assert kept is not None
    started, code = start_session(alpha, kept, binding=None)
    cookie = redeem(alpha, code, now=now)
    assert cookie is not None and carry_over(beta, {cookie_name(alpha): cookie}, now=now)
    assert started.id is not None
    end_session(alpha, started.id, actor="Ana", now=now)  # signed out there: nothing here
    assert carry_over(beta, {cookie_name(alpha): cookie}, now=now) is None
    for store in (alpha, beta):
        store.close()


def test_a_lead_cannot_give_another_reviews_lead_an_email_to_sign_in_as_them(
        db_url: str, protocol_path: Path) -> None:
    """The email is the account's: a lead adding someone who has an account cannot set one
    (single sign-on matches on it), and a row out of step with its account carries nobody's
    session over."""
    import time

    from review.accounts import add_reviewer
    from review.errors import ReviewError
    from review.sessions import carry_over, cookie_name, identity_sign_in, redeem, start_session

    alpha, beta = _two(db_url, protocol_path)
    add_reviewer(alpha, "Alice", role="lead", password=PASSWORD, actor="admin")
    mallory = add_reviewer(beta, "Mallory", role="lead", password=PASSWORD, actor="admin")
    with pytest.raises(ReviewError, match="their email is the account's in every review"):
        add_reviewer(beta, "Alice", role="observer", email="m@example.org", actor=mallory)
    add_reviewer(beta, "Alice", role="observer", actor=mallory)
    with beta.write() as conn:  # a row changed behind the services' back
        conn.execute(t.reviewers.update().where(t.reviewers.c.name == "Alice")
                     .values(email="m@example.org"))
    session, _ = identity_sign_in(beta, {"email": "m@example.org", "email_verified": True},
                                  now=time.time())
    assert session is not None  # beta's own row says so: beta's business ...
    started, code = start_session(beta, session, binding=None)
    cookie = redeem(beta, code, now=time.time())
    assert cookie is not None and started.id is not None
    # ... but it does not stand for Alice in alpha
    assert carry_over(alpha, {cookie_name(beta): cookie}, now=time.time()) is None
    for store in (alpha, beta):
        store.close()


def test_a_disabled_account_stays_disabled_when_its_review_moves_or_is_restored(
        db_url: str, protocol_path: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from review.accounts import add_reviewer, authenticate, list_accounts, set_account_active
    from review.store.archive import copy_reviews, export_project, import_project

    source = create_review(protocol_path, tmp_path / "source.db", actor="admin", review="src")
    add_reviewer(source, "Eve", role="reviewer", password=PASSWORD, actor="admin")
    add_reviewer(source, "Lea", role="lead", password=PASSWORD, actor="admin")
    set_account_active(source, "Eve", False, actor="admin")
    export_project(source, tmp_path / "src.zip")
    restored = import_project(tmp_path / "src.zip", db_url)
    if db_url.startswith("postgresql"):
        moved_db = request.getfixturevalue("postgres").new_database()
    else:
        moved_db = str(tmp_path / "moved.db")
    moved = copy_reviews([source], moved_db)[0]
    for store in (restored, moved):
        assert authenticate(store, "Eve", PASSWORD) is None
        assert authenticate(store, "Lea", PASSWORD) is not None
        assert [(a.name, a.active) for a in list_accounts(store)] == [("Eve", False),
                                                                      ("Lea", True)]
        store.close()
    source.close()


def test_each_review_signs_its_cookies_with_its_own_key_whichever_comes_first(
        tmp_path: Path, protocol_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from review import sessions

    monkeypatch.delenv("REVIEW_SECRET", raising=False)
    db = tmp_path / "server.db"
    alpha = create_review(protocol_path, db, actor="admin", review="alpha")
    beta = create_review(protocol_path, db, actor="admin", review="beta")
    monkeypatch.setattr(sessions, "_KEYS", {})
    first = (sessions.signing_key(beta), sessions.signing_key(alpha))
    monkeypatch.setattr(sessions, "_KEYS", {})
    second = (sessions.signing_key(beta), sessions.signing_key(alpha))
    monkeypatch.setattr(sessions, "_KEYS", {})
    assert sessions.signing_key(alpha) == first[1] and first == second
    assert first[0] != first[1]  # each review its own
    for store in (alpha, beta):
        store.close()


def test_a_lead_sets_their_own_password_though_only_a_reviewer_elsewhere(
        db_url: str, protocol_path: Path) -> None:
    from review.accounts import add_reviewer, authenticate, set_admin, set_password

    alpha, beta = _two(db_url, protocol_path)
    lea = add_reviewer(alpha, "Lea", role="lead", password=PASSWORD, actor="admin")
    add_reviewer(beta, "Lea", role="reviewer", actor="admin")
    set_password(alpha, "Lea", NEW_PASSWORD, actor=lea)
    assert authenticate(beta, "Lea", NEW_PASSWORD) is not None
    set_admin(alpha, "Lea", True, actor="admin")
    for store in (alpha, beta):
        with store.read() as conn:
            assert conn.execute(sa.select(t.audit_log.c.action).order_by(
                t.audit_log.c.id.desc())).first() == ("grant server administration",)
        store.close()
