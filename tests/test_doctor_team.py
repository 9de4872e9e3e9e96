"""`review doctor` for a team server: the session expiry setting, and an OpenID Connect
configuration in secrets.toml that is complete and has reviewers to match (SQLite and
PostgreSQL)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from review.accounts import add_reviewer, set_email
from review.doctor import run_checks
from review.project import create_review

SSO = "single sign-on (OpenID Connect)"
GOOD = """
[auth]
redirect_uri = "https://review.example.org/oauth2callback"
cookie_secret = "0123456789abcdef0123456789abcdef"

[auth.example]
client_id = "review-app"
client_secret = "not-a-real-secret"
server_metadata_url = "https://id.example.org/.well-known/openid-configuration"
"""


@pytest.fixture
def review(db_url: str, protocol_path: Path):
    store = create_review(protocol_path, db_url, actor="lead")
    add_reviewer(store, "Lee", role="lead", password="long-enough", actor="lead")
    yield db_url, store
    store.close()


def _checks(db: str, secrets: list[Path]) -> dict[str, tuple[bool, str]]:
    return {c.name: (c.ok, c.detail) for c in run_checks(db, secrets)}


def test_session_minutes_must_be_a_positive_number(review, monkeypatch, tmp_path) -> None:
    db, _ = review
    monkeypatch.delenv("REVIEW_SESSION_MINUTES", raising=False)
    assert _checks(db, [])["session expiry"] == (
        True, "signed-in sessions end after 60 idle minutes ($REVIEW_SESSION_MINUTES not set)")
    monkeypatch.setenv("REVIEW_SESSION_MINUTES", "45")
    assert _checks(db, [])["session expiry"][0]
    for bad in ("an hour", "0", "nan", "inf"):
        monkeypatch.setenv("REVIEW_SESSION_MINUTES", bad)
        ok, detail = _checks(db, [])["session expiry"]
        assert not ok and "not a positive number" in detail


def test_without_auth_section_sign_on_is_not_configured(review, tmp_path) -> None:
    db, _ = review
    other = tmp_path / "secrets.toml"
    other.write_text('api_key = "x"\n', encoding="utf-8")
    assert _checks(db, [tmp_path / "missing.toml", other])[SSO] == (
        True, "not configured: reviewers sign in with name and password")


def test_an_auth_section_is_checked_for_what_sign_in_needs(review, tmp_path) -> None:
    db, store = review
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(GOOD, encoding="utf-8")
    ok, detail = _checks(db, [secrets])[SSO]
    assert not ok and "no active reviewer has an email" in detail
    set_email(store, "Lee", "lee@example.org", actor="lead")
    ok, detail = _checks(db, [secrets])[SSO]
    if importlib.util.find_spec("authlib") is None:
        assert not ok and detail == "Authlib is not installed: pip install 'streamlit[auth]'"
    else:
        assert ok and detail == "1 provider(s); 1 reviewer(s) with an email"
    secrets.write_text(GOOD.replace("/oauth2callback", "/").replace(
        "0123456789abcdef0123456789abcdef", "short").replace(
        'client_secret = "not-a-real-secret"\n', ""), encoding="utf-8")
    ok, detail = _checks(db, [secrets])[SSO]
    assert not ok
    assert "redirect_uri must be the app's absolute address ending in /oauth2callback" in detail
    assert "cookie_secret must be a random string of 32 or more" in detail
    assert "[auth.example] lacks client_secret" in detail
    secrets.write_text("[auth\n", encoding="utf-8")
    ok, detail = _checks(db, [secrets])[SSO]
    assert not ok and "cannot be read as TOML" in detail
