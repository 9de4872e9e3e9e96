"""The app on a database of several reviews (AppTest): a picker of them, the review the
address names, its own sign-in, links to the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from review.accounts import add_reviewer
from review.duplicates import run_dedupe
from review.importing import SourceInfo, import_files
from review.project import create_review
from tests.conftest import HOSTILE

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


@pytest.fixture
def two_reviews(tmp_path: Path, protocol_path: Path) -> Path:
    db = tmp_path / "server.db"
    alpha = create_review(protocol_path, db, actor="lead", review="alpha")
    add_reviewer(alpha, "Ana", role="lead", password=PASSWORD, actor="lead")
    beta = create_review(protocol_path, db, actor="lead", review="beta", title="Beta review")
    add_reviewer(beta, "Ben", role="lead", password=PASSWORD, actor="lead")
    add_reviewer(beta, "Cy", role="reviewer", password=PASSWORD, actor="lead")
    export = tmp_path / "beta.ris"
    export.write_text(HOSTILE, encoding="utf-8")
    import_files(beta, [export], SourceInfo("CINAHL (EBSCO)", "database", "2025-02-01"),
                 actor="lead")
    run_dedupe(beta, actor="lead")
    add_reviewer(alpha, "Ben", role="reviewer", actor="lead")  # joins with his account
    alpha.close()
    beta.close()
    return db


def _app(db: Path, monkeypatch: pytest.MonkeyPatch, review: str | None = None) -> AppTest:
    monkeypatch.setenv("REVIEW_DB", str(db))
    monkeypatch.delenv("REVIEW_SLUG", raising=False)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if review is not None:
        app.query_params["review"] = review
    return app.run()


def _markdown(app: AppTest) -> str:
    return "\n".join(m.value for m in app.markdown)


def _sign_in(app: AppTest, name: str) -> AppTest:
    next(w for w in app.text_input if w.label == "Name").input(name)
    next(w for w in app.text_input if w.label == "Password").input(PASSWORD)
    next(b for b in app.button if b.label == "Sign in").click().run()
    if any(c.value == "Signing you in..." for c in app.caption):
        app.run()  # AppTest has no browser to fetch the cookie: run again
    assert not app.exception, app.exception
    return app


def test_without_a_review_in_the_address_the_app_offers_each(two_reviews: Path,
                                                             monkeypatch) -> None:  # noqa: ANN001
    app = _app(two_reviews, monkeypatch)
    assert not app.exception, app.exception
    assert app.title[0].value == "Choose a review"
    assert [b.label for b in app.button] == [
        r"Peer support for self\-harm in non\-clinical settings", "Beta review"]
    assert not [c.value for c in app.caption if "records" in c.value]  # no figures yet
    app.button[1].click().run()  # opens it here, named in the address
    assert not app.exception, app.exception
    assert app.query_params["review"] == "beta"
    assert "Beta review" in [t.value for t in app.text]


def test_an_unknown_review_in_the_address_says_so_and_offers_the_others(
        two_reviews: Path, monkeypatch) -> None:  # noqa: ANN001
    app = _app(two_reviews, monkeypatch, review="gamma")
    assert app.info[0].value == "This server holds no review 'gamma'."
    assert "Beta review" in [b.label for b in app.button]


def test_the_review_in_the_address_opens_with_its_own_people(two_reviews: Path,
                                                            monkeypatch) -> None:  # noqa: ANN001
    app = _app(two_reviews, monkeypatch, review="beta")
    assert not app.exception, app.exception
    assert "Beta review" in [t.value for t in app.text]
    app = _sign_in(app, "Ana")  # a person of the other review only
    assert not any("Signed in as" in t.value for t in app.text)
    app = _sign_in(_app(two_reviews, monkeypatch, review="beta"), "Ben")
    assert any(t.value == "Signed in as Ben (lead)" for t in app.text)
    assert app.query_params["review"] == "beta"
    assert "Your other reviews" in [c.value for c in app.sidebar.caption]
    assert [b.label for b in app.sidebar.button if b.key.startswith("switch-review")] == [
        r"Peer support for self\-harm in non\-clinical settings (reviewer) · 0 records, 0 open"]
    app = _sign_in(_app(two_reviews, monkeypatch, review="beta"), "Cy")  # in beta only
    assert "Your other reviews" not in [c.value for c in app.sidebar.caption]


def test_a_server_administrator_creates_a_review_with_its_first_lead(
        two_reviews: Path, protocol_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from review.accounts import authenticate, list_reviewers, set_admin
    from review.errors import ReviewError
    from review.reviews import create_with_lead, list_reviews
    from review.store import Store

    server = Store.open_database(two_reviews)
    set_admin(server, "Ben", True, actor="admin")
    server.close()
    app = _sign_in(_app(two_reviews, monkeypatch, review="beta"), "Ben")
    app.switch_page(str(ROOT / "review" / "ui" / "pages" / "administration.py")).run()
    assert not app.exception, app.exception
    assert [t.value for t in app.title] == ["Administration"]
    assert "Ben" in app.dataframe[1].value["Name"].tolist()  # the accounts
    app.session_state["admin-file-0"] = None
    next(w for w in app.text_input if w.label.startswith("Slug")).input("gamma")
    next(w for w in app.text_input if w.label == "First lead").input("Dee")
    next(w for w in app.text_input if w.label.startswith("Their password")).input(PASSWORD)
    app.button[0].click().run()  # no protocol file: refused, nothing made
    assert app.error[0].value == "A review needs a protocol file, a slug and a first lead."
    assert [s.slug for s in list_reviews(two_reviews)] == ["alpha", "beta"]
    made = create_with_lead(protocol_path, two_reviews, slug="gamma", lead="Dee",
                            password=PASSWORD, actor="Ben")
    assert (made.slug, made.people) == ("gamma", 1)
    gamma = Store.open(two_reviews, "gamma")
    assert authenticate(gamma, "Dee", PASSWORD) is not None
    assert [(p.name, p.role) for p in list_reviewers(gamma)] == [("Dee", "lead")]
    gamma.close()
    with pytest.raises(ReviewError, match="'delta' was created, but its first lead was not "
                                          "added"):
        create_with_lead(protocol_path, two_reviews, slug="delta", lead="Eve",
                         password="short", actor="Ben")
