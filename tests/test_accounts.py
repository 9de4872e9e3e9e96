"""Reviewer accounts on SQLite and PostgreSQL: roles, Argon2 password hashes, sign-in, names
matched without regard to case (in any alphabet), and settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from review.accounts import (
    AccessError,
    add_reviewer,
    authenticate,
    get_reviewer,
    get_setting,
    list_reviewers,
    put_setting,
    set_password,
)
from review.errors import ReviewError
from review.project import create_review
from review.screening.votes import cast_vote
from review.store import Store
from review.store import schema as t
from tests.test_screening import build


@pytest.fixture
def store(db_url: str, protocol_path: Path):
    store = create_review(protocol_path, db_url, actor="lead")
    yield store
    store.close()


def test_add_and_list_reviewers_with_roles(store) -> None:
    lead = add_reviewer(store, "  Morgan   Lee ", role="lead", password="morgan-pass",
                        actor="setup")
    assert (lead.name, lead.role, lead.is_lead, lead.can_resolve) == (
        "Morgan Lee", "lead", True, True)
    third = add_reviewer(store, "Jordan", resolver=True, actor="setup")
    plain = add_reviewer(store, "Priya", actor="setup")
    assert (third.can_resolve, third.is_lead, plain.can_resolve) == (True, False, False)
    assert [(r.name, r.role, r.resolver) for r in list_reviewers(store)] == [
        ("Morgan Lee", "lead", False), ("Jordan", "reviewer", True),
        ("Priya", "reviewer", False)]
    assert get_reviewer(store, "morgan lee").id == lead.id
    audit = t.audit_log
    with store.read() as conn:
        rows = conn.execute(sa.select(audit.c.detail).where(
            audit.c.action == "add reviewer")).all()
    assert [r.detail["name"] for r in rows] == ["Morgan Lee", "Jordan", "Priya"]
    assert all("morgan-pass" not in str(r.detail) for r in rows)


def test_bad_names_roles_and_passwords_are_refused(store) -> None:
    add_reviewer(store, "Priya", actor="setup")
    with pytest.raises(ReviewError, match="already a reviewer called 'PRIYA'"):
        add_reviewer(store, "PRIYA", actor="setup")
    with pytest.raises(ReviewError, match="needs a name"):
        add_reviewer(store, "   ", actor="setup")
    with pytest.raises(ReviewError, match="unknown role 'admin'"):
        add_reviewer(store, "Tom", role="admin", actor="setup")
    with pytest.raises(ReviewError, match="at least 8 characters"):
        add_reviewer(store, "Tom", password="short", actor="setup")
    with pytest.raises(ReviewError, match=r"no reviewer called 'Zed' .*reviewers: Priya"):
        get_reviewer(store, "Zed")
    assert [r.name for r in list_reviewers(store)] == ["Priya"]


def test_names_match_case_insensitively_beyond_ascii(store) -> None:
    """SQLite's lower() folds ASCII only: 'ÅSA' and 'Åsa' must still be one person."""
    asa = add_reviewer(store, "Åsa Öberg", password="asa-password", actor="setup")
    assert get_reviewer(store, "åsa öberg").id == asa.id
    assert get_reviewer(store, "ÅSA ÖBERG").id == asa.id
    assert authenticate(store, "åsa öberg", "asa-password") == asa
    with pytest.raises(ReviewError, match="already a reviewer"):
        add_reviewer(store, "åsa öberg", actor="setup")


def test_passwords_are_argon2_hashes_and_sign_in_checks_them(store) -> None:
    add_reviewer(store, "Priya", password="priya-secret", actor="setup")
    add_reviewer(store, "Tom", actor="setup")  # no password: no app sign-in
    reviewers = t.reviewers
    with store.read() as conn:
        stored = conn.execute(sa.select(reviewers.c.password_hash).where(
            reviewers.c.name == "Priya")).scalar_one()
    assert stored.startswith("$argon2id$") and "priya-secret" not in stored
    assert authenticate(store, "Priya", "priya-secret").name == "Priya"
    assert authenticate(store, " priya ", "priya-secret").name == "Priya"
    assert authenticate(store, "Priya", "priya-Secret") is None
    assert authenticate(store, "Nobody", "priya-secret") is None
    assert authenticate(store, "Tom", "") is None
    set_password(store, "Tom", "tom-password", actor="setup")
    assert authenticate(store, "Tom", "tom-password").name == "Tom"
    with pytest.raises(ReviewError, match="at least 8"):
        set_password(store, "Tom", "x", actor="setup")
    with store.write() as conn:
        conn.execute(reviewers.update().where(reviewers.c.name == "Tom").values(active=False))
    assert authenticate(store, "Tom", "tom-password") is None


def test_settings_hold_json(store) -> None:
    assert get_setting(store, "demo_accounts", []) == []
    value = [{"name": "Morgan", "role": "lead", "password": "morgan-demo"}]
    put_setting(store, "demo_accounts", value)
    put_setting(store, "demo_accounts", value + [{"name": "Tom"}])
    assert get_setting(store, "demo_accounts") == value + [{"name": "Tom"}]


def test_a_signed_in_reviewer_who_was_deactivated_cannot_vote(db_url: str,
                                                              tmp_path: Path) -> None:
    """The app keeps the Reviewer from sign-in; the services check it is still active."""
    store = build(db_url, tmp_path)
    ben = get_reviewer(store, "Ben")
    reviewers = t.reviewers
    with store.write() as conn:
        conn.execute(reviewers.update().where(reviewers.c.id == ben.id).values(active=False))
    with pytest.raises(AccessError, match="no longer an active reviewer"):
        cast_vote(store, ben, 1, "include")
    store.close()


# --- team server: observers, account changes, emails, migration 7 ------------------------

def _audit(store, action: str) -> list[dict]:
    audit = t.audit_log
    with store.read() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(audit).where(audit.c.action == action).order_by(audit.c.id))]


def test_an_observer_signs_in_but_cannot_screen(db_url: str, tmp_path: Path) -> None:
    from review.screening.votes import my_votes, next_item, queue

    store = build(db_url, tmp_path)
    olu = add_reviewer(store, "Olu", role="observer", password="olu-password", actor="Lead")
    assert (olu.is_observer, olu.can_resolve, olu.sees_whole_review) == (True, False, True)
    assert authenticate(store, "Olu", "olu-password") == olu
    for call in (lambda: cast_vote(store, olu, 1, "include"), lambda: next_item(store, "Olu"),
                 lambda: queue(store, "Olu"), lambda: my_votes(store, olu)):
        with pytest.raises(AccessError, match="observer of this review"):
            call()
    with pytest.raises(ReviewError, match="only a reviewer can be a third reviewer"):
        add_reviewer(store, "Pat", role="observer", resolver=True, actor="Lead")
    store.close()


def test_account_changes_are_audited_with_before_and_after(store) -> None:
    from review.accounts import set_active, set_email, set_role

    lead = add_reviewer(store, "Morgan", role="lead", password="morgan-pass", actor="setup")
    add_reviewer(store, "Priya", password="priya-pass", email="Priya@Example.org", actor=lead)
    assert get_reviewer(store, "priya").email == "priya@example.org"
    set_active(store, "Priya", False, actor=lead)
    assert authenticate(store, "Priya", "priya-pass") is None  # disabled: no sign-in
    set_active(store, "Priya", True, actor=lead)
    set_password(store, "Priya", "a-new-password", actor=lead)
    assert authenticate(store, "Priya", "priya-pass") is None
    assert authenticate(store, "Priya", "a-new-password") is not None
    changed = set_role(store, "Priya", "reviewer", resolver=True, actor=lead)
    assert changed.describe() == "third reviewer"
    set_email(store, "Priya", None, actor=lead)
    [disable] = _audit(store, "disable reviewer")
    assert (disable["actor"], disable["detail"]) == (
        "Morgan", {"name": "Priya", "before": {"active": True}, "after": {"active": False}})
    [role] = _audit(store, "change role")
    assert role["detail"]["before"] == {"role": "reviewer", "resolver": False}
    assert role["detail"]["after"] == {"role": "reviewer", "resolver": True}
    [email] = _audit(store, "change email")
    assert email["detail"]["before"] == {"email": "priya@example.org"}
    [password] = _audit(store, "set password")
    assert password["detail"]["after"] == {"password": "set"}
    assert "$argon2" not in str(_audit(store, "set password"))


def test_only_an_active_lead_changes_accounts_and_the_last_lead_stays(store) -> None:
    from review.accounts import set_active, set_role

    lead = add_reviewer(store, "Morgan", role="lead", password="morgan-pass", actor="setup")
    priya = add_reviewer(store, "Priya", password="priya-pass", actor="setup")
    olu = add_reviewer(store, "Olu", role="observer", actor="setup")
    for who in (priya, olu):
        with pytest.raises(AccessError, match="only a lead manages accounts"):
            set_active(store, "Morgan", False, actor=who)
        with pytest.raises(AccessError, match="only a lead manages accounts"):
            add_reviewer(store, "Sam", actor=who)
    with pytest.raises(ReviewError, match="only active lead"):
        set_active(store, "Morgan", False, actor=lead)
    with pytest.raises(ReviewError, match="only active lead"):
        set_role(store, "Morgan", "reviewer", actor="setup")
    set_role(store, "Priya", "lead", actor=lead)
    set_role(store, "Morgan", "reviewer", actor="setup")
    with pytest.raises(AccessError, match="only a lead manages accounts"):
        set_active(store, "Priya", False, actor=lead)  # Morgan is no longer a lead


def test_emails_are_unique_and_find_their_reviewer(store) -> None:
    from review.accounts import reviewer_by_email

    priya = add_reviewer(store, "Priya", email="priya@example.org", actor="setup")
    with pytest.raises(ReviewError, match="already the email of Priya"):
        add_reviewer(store, "Tom", email="PRIYA@example.org", actor="setup")
    with pytest.raises(ReviewError, match="is not an email address"):
        add_reviewer(store, "Tom", email="tom at example", actor="setup")
    assert reviewer_by_email(store, " Priya@EXAMPLE.org ") == priya
    assert reviewer_by_email(store, "nobody@example.org") is None
    assert reviewer_by_email(store, "") is None


def _older_copy(source: Store, url: str, before: int,
                monkeypatch: pytest.MonkeyPatch) -> tuple[Store, sa.MetaData]:
    """The same review in a new database at the schema before migration `before`: made by the
    migrations of that time, with every row copied over (columns the old schema lacks left
    out). The services speak only the declared, current schema, so an old review is made by
    copying a current one back, not by running them against old tables."""
    import review.store as store_module
    from review.store.migrations import MIGRATIONS
    old = tuple(m for m in MIGRATIONS if m[0] < before)
    monkeypatch.setattr(store_module, "MIGRATIONS", old)
    monkeypatch.setattr(store_module, "LATEST", max(m[0] for m in old))
    target = Store.create(url)
    md = sa.MetaData()
    md.reflect(target.engine)
    with source.read() as src, target.write() as dst:
        for table in t.REVIEW_TABLES:
            if table.name not in md.tables:
                continue
            into = md.tables[table.name]
            rows = [{c.name: r[c.name] for c in into.c} for r in src.execute(
                sa.select(table).order_by(*table.primary_key.columns)).mappings()]
            # a column pointing into its own table (a group merged into a later one) goes last
            own = [c.name for c in into.c if any(fk.column.table is into for fk in c.foreign_keys)]
            if rows:
                dst.execute(into.insert(), [{**r, **dict.fromkeys(own)} for r in rows])
            for r in rows:
                for name in own:
                    if r[name] is not None:
                        dst.execute(into.update().where(*[c == r[c.name] for c in
                                                          into.primary_key.columns])
                                    .values({name: r[name]}))
            key = list(into.primary_key.columns)
            if dst.dialect.name == "postgresql" and len(key) == 1 and rows and \
                    isinstance(key[0].type, sa.Integer):  # ids come next after the copied ones
                dst.execute(sa.select(sa.func.setval(
                    sa.func.pg_get_serial_sequence(into.name, key[0].name),
                    sa.select(sa.func.max(key[0])).scalar_subquery())))
    return target, md


def test_migration_7_keeps_reviewers_and_their_votes(db_url: str, tmp_path: Path,
                                                     request: pytest.FixtureRequest,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A review made at the schema before 7 (roles lead and reviewer only), with votes and a
    resolution pointing at reviewers, is brought to the current schema: same rows, same ids,
    foreign keys still enforced, and observers now allowed."""
    from review.screening.conflicts import resolve
    from review.store.migrations import LATEST
    current = build(str(tmp_path / "current.db") if "://" not in db_url else
                    request.getfixturevalue("postgres").new_database(), tmp_path)
    cast_vote(current, "Ana", 1, "include")
    cast_vote(current, "Ben", 1, "exclude")
    cast_vote(current, "Ana", 2, "include")
    resolve(current, 1, "include", by="Lead")
    store, old = _older_copy(current, db_url, 7, monkeypatch)
    current.close()
    assert store.schema_version() < 7 and "email" not in old.tables["reviewers"].c
    with pytest.raises(sa.exc.IntegrityError):  # the old constraint: no observers yet
        with store.write() as conn:
            conn.execute(old.tables["reviewers"].insert().values(
                name="Olu", role="observer", resolver=False, active=True,
                created_at="2025-01-01T00:00:00Z", created_by="test"))
    reviewers, decisions = old.tables["reviewers"], old.tables["decisions"]
    with store.read() as conn:
        before_people = conn.execute(sa.select(reviewers).order_by(reviewers.c.id)).all()
        before_votes = conn.execute(sa.select(decisions).order_by(decisions.c.id)).all()
    assert len(before_people) == 4 and len(before_votes) == 3
    store.close()

    monkeypatch.undo()
    store = Store.open(db_url)
    assert store.schema_version() == LATEST
    reviewers, decisions = t.reviewers, t.decisions
    with store.read() as conn:
        after_people = conn.execute(sa.select(reviewers).order_by(reviewers.c.id)).all()
        after_votes = conn.execute(sa.select(decisions).order_by(decisions.c.id)).all()
    assert [tuple(r)[:8] for r in after_people] == [tuple(r) for r in before_people]
    assert all(r.email is None for r in after_people)
    assert after_votes == before_votes
    if "://" not in db_url:  # every foreign key of every table still points at a row
        with store.read() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    olu = add_reviewer(store, "Olu", role="observer", actor="Lead")
    assert olu.id > max(r.id for r in before_people)  # (a refused insert uses up a PG id)
    with pytest.raises(sa.exc.IntegrityError):  # foreign keys still hold
        with store.write() as conn:
            conn.execute(decisions.insert().values(
                group_id=3, stage="title_abstract", reviewer_id=999, decision="include",
                criteria={}, created_at="x", updated_at="x", changes=0, origin="test"))
    with pytest.raises(sa.exc.IntegrityError):  # and the new role list
        with store.write() as conn:
            conn.execute(reviewers.update().where(reviewers.c.id == olu.id).values(role="boss"))
    cast_vote(store, "Ben", 2, "include")  # screening carries on over the rebuilt table
    store.close()
