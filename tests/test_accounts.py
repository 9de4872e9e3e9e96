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
from review.screening import cast_vote
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
    audit = store.table("audit_log")
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
    reviewers = store.table("reviewers")
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
    reviewers = store.table("reviewers")
    with store.write() as conn:
        conn.execute(reviewers.update().where(reviewers.c.id == ben.id).values(active=False))
    with pytest.raises(AccessError, match="no longer an active reviewer"):
        cast_vote(store, ben, 1, "include")
    store.close()
