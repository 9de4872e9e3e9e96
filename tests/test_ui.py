"""Streamlit pages through AppTest on real review databases: sign-in, Screen (vote, undo,
change, blinding), Full text, Conflicts, Duplicates, Progress, Import and the records browser."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from review import accounts
from review.duplicates import run_dedupe
from review.screening import fulltext
from review.screening import votes as screening
from review.store import Store
from review.store import schema as t

ROOT = Path(__file__).resolve().parent.parent
PAGES = "review/ui/pages"
PEOPLE = {"Lee": ("lead", "lee-password"), "Ana": ("reviewer", "ana-password"),
          "Ben": ("reviewer", "ben-password")}


def tiny_pdf(text: str = "Full text of the report") -> bytes:
    """A small valid one-page PDF (with a correct cross-reference table)."""
    stream = f"BT /F1 18 Tf 40 100 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 200] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def add_people(db: Path, people: dict[str, tuple[str, str]] = PEOPLE) -> None:
    store = Store.open(db)
    for name, (role, password) in people.items():
        accounts.add_reviewer(store, name, role=role, password=password, actor="test")
    store.close()


@pytest.fixture
def team_db(review_db: Path) -> Path:
    """The small hostile review, deduplicated (so in screening), with a lead and two reviewers:
    record 1 (hostile markup, 2020) and record 2 (2018) wait at titles and abstracts."""
    store = Store.open(review_db)
    run_dedupe(store, actor="test")
    store.close()
    add_people(review_db)
    return review_db


def _app(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("REVIEW_DB", str(db))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    return app.run()


def _widget(widgets, label: str):  # noqa: ANN001, ANN202
    found = [w for w in widgets if w.label == label]
    assert found, f"no widget labelled {label!r} in {[w.label for w in widgets]}"
    return found[0]


def _click(app: AppTest, label: str) -> AppTest:
    _widget(app.button, label).click().run()
    assert not app.exception, app.exception
    return app


def _sign_in(app: AppTest, name: str, password: str | None = None) -> AppTest:
    _widget(app.text_input, "Name").input(name)
    _widget(app.text_input, "Password").input(password or PEOPLE[name][1])
    return _back_with_cookie(_click(app, "Sign in"))


def _back_with_cookie(app: AppTest) -> AppTest:
    """After a sign-in the page draws nothing while the browser fetches its session cookie
    and comes back; AppTest has no browser, so run again (the session is kept in memory)."""
    if any(c.value == "Signing you in..." for c in app.caption):
        app.run()
        assert not app.exception, app.exception
    return app


def _signed_in(db: Path, monkeypatch: pytest.MonkeyPatch, name: str,
               page: str | None = None) -> AppTest:
    app = _sign_in(_app(db, monkeypatch), name)
    assert f"Signed in as {name}" in " ".join(t.value for t in app.text)
    if page:
        app.switch_page(f"{PAGES}/{page}.py").run()
        assert not app.exception, app.exception
    return app


def _texts(app: AppTest) -> str:
    """Everything the page shows as text (for checks of what must never appear)."""
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info",
                                  "success", "warning", "error", "text")
             for e in getattr(app, kind)]
    for frame in app.dataframe:
        parts.append(frame.value.to_csv())
    for widget in (*app.text_input, *app.selectbox, *app.radio):
        parts.append(f"{widget.label}={widget.value}")
    return "\n".join(str(p) for p in parts)


def _progress_text(app: AppTest) -> str:
    return app.get("progress")[0].proto.text


def _progress_value(app: AppTest) -> int:
    return app.get("progress")[0].proto.value


_STYLE_INCLUDE = ("color:#0b4d1e;background:#c9efd5;font-weight:700;padding:0 .15em;"
                  "border-radius:.2em")
_INC = f'<mark class="term-include" style="{_STYLE_INCLUDE}">'
_EXC = ('<mark class="term-exclude" style="color:#7c1010;background:#fcd6d3;'
        'text-decoration:underline;text-decoration-thickness:2px;text-underline-offset:2px;'
        'padding:0 .15em;border-radius:.2em">')


def _record_title(app: AppTest) -> str:
    """The record's title: the Screen page's level-3 heading (Markdown, marks as HTML)."""
    found = [m.value[4:].split("\n\n")[0] for m in app.markdown if m.value.startswith("### ")]
    assert len(found) == 1, [m.value for m in app.markdown]
    return found[0]


# --- sign-in -------------------------------------------------------------------------------

def test_sign_in_opens_screen_and_sign_out_returns(team_db: Path, monkeypatch) -> None:
    app = _app(team_db, monkeypatch)
    assert not app.exception
    assert app.title[0].value == "Sign in"
    assert "Demo accounts" not in _texts(app)  # not a demo review: no accounts listed
    _sign_in(app, "Ana")
    assert app.title[0].value == "Screen: titles and abstracts"
    assert app.session_state["reviewer"].name == "Ana"
    _click(app, "Sign out")
    assert app.title[0].value == "Sign in"
    assert "reviewer" not in app.session_state


def test_wrong_password_is_refused(team_db: Path, monkeypatch) -> None:
    app = _sign_in(_app(team_db, monkeypatch), "Ana", "not-her-password")
    assert app.title[0].value == "Sign in"
    assert "do not match a reviewer" in app.error[0].value
    assert "reviewer" not in app.session_state
    _sign_in(app, "Nobody", "whatever-it-is")
    assert "do not match a reviewer" in app.error[0].value


def test_demo_accounts_listed_on_the_demo_only(team_db: Path, monkeypatch) -> None:
    store = Store.open(team_db)
    accounts.put_setting(store, "demo_accounts",
                         [{"name": "Ana", "role": "reviewer", "password": "ana-password"}])
    store.close()
    app = _app(team_db, monkeypatch)
    assert "Demo review only" in " ".join(c.value for c in app.caption)
    table = app.dataframe[0].value
    assert list(table["Name"]) == ["Ana"] and list(table["Password"]) == ["ana-password"]


def test_review_without_reviewers_says_how_to_add_one(review_db: Path, monkeypatch) -> None:
    app = _app(review_db, monkeypatch)
    assert not app.exception
    assert "review users add NAME --role lead" in app.code[0].value
    assert not app.text_input  # nothing to sign in to


def test_navigation_follows_the_role() -> None:
    from review.accounts import Reviewer
    from review.ui.app import pages_for

    def titles(role: str, resolver: bool = False) -> list[str]:
        return [p.title for p in pages_for(Reviewer(1, "x", role, resolver, True))]

    assert titles("reviewer") == ["Screen", "Full text", "Conflicts", "Records", "Progress",
                                  "Extraction"]
    assert titles("reviewer", resolver=True) == ["Screen", "Full text", "Conflicts", "Records",
                                                 "Progress", "Extraction"]
    assert titles("lead") == ["Screen", "Full text", "Conflicts", "Records", "Progress",
                              "Duplicates", "Import", "Move in", "Extraction", "Findings",
                              "Tables", "PRISMA", "Accounts"]
    assert titles("observer") == ["Progress", "PRISMA"]


@pytest.mark.parametrize("page", ["duplicates", "import_exports", "move_in", "findings",
                                  "tables", "prisma", "accounts"])
def test_lead_pages_are_not_open_to_a_reviewer(team_db: Path, monkeypatch, page: str) -> None:
    app = _signed_in(team_db, monkeypatch, "Ana")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(f"{PAGES}/{page}.py")


def test_signed_out_session_sees_only_sign_in(team_db: Path, monkeypatch) -> None:
    app = _app(team_db, monkeypatch)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(f"{PAGES}/screen.py")


# --- Screen --------------------------------------------------------------------------------

def test_screen_shows_record_escaped_and_votes_then_undoes(team_db: Path, monkeypatch) -> None:
    app = _signed_in(team_db, monkeypatch, "Ana")
    assert _progress_text(app) == "0 of 2 voted at titles and abstracts (2 left)"
    assert _progress_value(app) == 0
    heading = _record_title(app)
    assert "<script>" not in heading and "&lt;script&gt;" in heading
    abstract = [m.value for m in app.markdown if "not bold" in m.value][0]
    assert "<b>" not in abstract and "\\[link\\]\\(javascript" in abstract
    assert any(c.value.startswith("Suggestion: published 2020; meets year")
               for c in app.caption)
    _widget(app.radio, "Peer support").set_value("no")
    _widget(app.text_input, "Note (optional)").input("About **forums**")
    _click(app, "Exclude")
    assert app.success[0].value == "Vote saved: exclude on record 1."
    # committed before the next record shows
    store = Store.open(team_db)
    [vote] = screening.my_votes(store, "Ana")
    assert (vote["record_id"], vote["decision"], vote["criteria"], vote["note"],
            vote["origin"]) == (1, "exclude", {"peer_support": "no"}, "About **forums**", "ui")
    # the next record, with an include term marked after escaping; progress is what is voted
    assert _progress_text(app) == "1 of 2 voted at titles and abstracts (1 left)"
    assert _progress_value(app) == 50  # half full with one record left, not full
    assert _record_title(app) == (
        'Peer mentoring in a <mark class="term-include" style="' + _STYLE_INCLUDE
        + '">voluntary</mark> organisation')
    _click(app, "Undo last vote")
    assert "withdrawn" in app.success[0].value
    assert "&lt;script&gt;" in _record_title(app)  # record 1 is back
    assert screening.my_votes(store, "Ana") == []
    _click(app, "Include")
    _click(app, "Include")
    assert _progress_text_or_none(app) is None
    assert app.success[-1].value.startswith(
        "Nothing is waiting for you at titles and abstracts: you have voted on every record "
        "waiting here (2 vote(s) of yours")
    assert [v["decision"] for v in screening.my_votes(store, "Ana")] == ["include", "include"]
    store.close()


def _progress_text_or_none(app: AppTest) -> str | None:
    bars = app.get("progress")
    return bars[0].proto.text if bars else None


def test_screen_shows_question_and_every_criterion_in_full(team_db: Path, monkeypatch) -> None:
    from review.project import review_protocol

    app = _signed_in(team_db, monkeypatch, "Ana")
    panel = [e for e in app.expander if e.label == "Review question and criteria"]
    assert len(panel) == 1
    text = " ".join(m.value for m in panel[0].markdown)
    store = Store.open(team_db)
    protocol = review_protocol(store)
    store.close()
    from review.ui.safe import md_escape

    assert md_escape(protocol.question) in text
    for criterion in protocol.criteria_for("title_abstract"):
        assert md_escape(criterion.label) in text and md_escape(criterion.description) in text
    assert md_escape("Full text in English") not in text  # asked at full text only
    assert "Unmoderated online forum" in text  # the exclusion reasons, in order
    # the checklist carries no tooltips: the full text is in view instead
    assert all(not r.help for r in app.radio)


def test_screen_marks_a_reviewers_own_terms_with_a_legend(team_db: Path, monkeypatch) -> None:
    from review.screening import terms

    app = _signed_in(team_db, monkeypatch, "Ben")
    app.expander  # noqa: B018
    _widget(app.text_area, "My include terms").input("mentoring\n\nMentoring")
    _widget(app.text_area, "My exclude terms").input("organisation")
    _click(app, "Save my terms")
    assert app.success[0].value == "Your terms are saved: 1 include, 1 exclude."
    store = Store.open(team_db)
    assert terms.my_terms(store, "Ben") == terms.Highlight(("mentoring",), ("organisation",))
    assert terms.my_terms(store, "Ana") == terms.Highlight()  # per person
    screening.cast_vote(store, "Ben", 1, "exclude", origin="test")
    store.close()
    app.run()
    title = _record_title(app)
    assert '<mark class="term-include"' in title and ">mentoring</mark>" in title
    assert '<mark class="term-exclude"' in title and ">organisation</mark>" in title
    legend = [m.value for m in app.markdown if "<small>Marked:" in m.value]
    assert legend and "(bold)" in legend[0] and "(underlined)" in legend[0]
    assert "the protocol and your own list" in legend[0]
    app = _signed_in(team_db, monkeypatch, "Ana", "screen")
    store = Store.open(team_db)
    screening.cast_vote(store, "Ana", 1, "exclude", origin="test")
    store.close()
    app.run()
    assert ">mentoring</mark>" not in _record_title(app)  # Ben's terms are his own


def test_screen_terms_refuse_a_term_without_letters(team_db: Path, monkeypatch) -> None:
    app = _signed_in(team_db, monkeypatch, "Ana")
    _widget(app.text_area, "My include terms").input("peer\n***")
    _click(app, "Save my terms")
    assert app.error[0].value == "include term '***' needs a letter or digit"


def test_screen_previous_and_next_walk_through_my_votes(team_db: Path, monkeypatch) -> None:
    app = _signed_in(team_db, monkeypatch, "Ana")
    _click(app, "Include")  # record 1
    assert "Peer mentoring" in _record_title(app)
    _click(app, "Previous vote")
    assert "Record 1 reopened: your vote is include" in app.info[0].value
    _click(app, "Previous vote")
    assert [i.value for i in app.info] == [
        "That is your first vote at this stage.",
        "Record 1 reopened: your vote is include; change it below."]
    _click(app, "Next")  # past the latest vote: the queue again
    assert "Peer mentoring" in _record_title(app) and not app.info
    _click(app, "Next")  # at the queue already: Next stays pressable and says where you are
    assert "Peer mentoring" in _record_title(app)
    assert [i.value for i in app.info] == [
        "This is the next record to screen; Next steps forward after Previous vote."]
    _click(app, "Exclude")  # record 2: the queue is empty
    _click(app, "Previous vote")
    assert "Record 2 reopened: your vote is exclude" in app.info[0].value
    _click(app, "Previous vote")
    assert "Record 1 reopened" in app.info[0].value
    _click(app, "Maybe")  # a changed vote goes back to the queue, here empty
    assert app.success[0].value == "Vote changed to maybe on record 1."
    store = Store.open(team_db)
    assert [v["decision"] for v in screening.my_votes(store, "Ana")] == ["maybe", "exclude"]
    store.close()


def test_screen_form_holds_the_reopened_vote_across_pages(team_db: Path, monkeypatch) -> None:
    """The form's widgets keep their keys from record to record: the values shown are the
    record's own vote, also after another page dropped the widgets."""
    store = Store.open(team_db)
    screening.cast_vote(store, "Ana", 1, "exclude", criteria={"peer_support": "no"},
                        note="Family members only", origin="test")
    store.close()
    app = _signed_in(team_db, monkeypatch, "Ana")
    assert _widget(app.radio, "Peer support").value is None  # record 2: blank
    _click(app, "Previous vote")
    assert _widget(app.radio, "Peer support").value == "no"
    assert _widget(app.text_input, "Note (optional)").value == "Family members only"
    app.switch_page(f"{PAGES}/progress.py").run()
    app.switch_page(f"{PAGES}/screen.py").run()
    assert "Record 1 reopened" in app.info[0].value
    assert _widget(app.radio, "Peer support").value == "no"
    assert _widget(app.text_input, "Note (optional)").value == "Family members only"
    _click(app, "Next")  # the queue: record 2's form is blank again
    assert _widget(app.radio, "Peer support").value is None
    assert _widget(app.text_input, "Note (optional)").value == ""


def test_screen_changes_a_vote_from_my_votes(team_db: Path, monkeypatch) -> None:
    store = Store.open(team_db)
    screening.cast_vote(store, "Ana", 1, "include", origin="test")
    app = _signed_in(team_db, monkeypatch, "Ana")
    assert "Peer mentoring" in _record_title(app)  # record 2 is next
    assert not [b for b in app.button if b.key.startswith("screen-my-vote-")]  # closed: no read
    app.session_state["screen-my-votes-open"] = True  # as a click on its header does
    app.run()
    assert any("Your 1 vote(s)" in c.value for c in app.caption)
    [row] = [b for b in app.button if b.key.startswith("screen-my-vote-")]
    assert row.label.startswith("**1** · include · waiting · ")
    row.click().run()
    assert "Record 1 reopened: your vote is include" in app.info[0].value
    _click(app, "Maybe")
    assert app.success[0].value == "Vote changed to maybe on record 1."
    [vote] = screening.my_votes(store, "Ana")
    assert vote["decision"] == "maybe" and vote["changes"] == 1
    store.close()


def test_screen_is_blind_to_the_other_reviewer(team_db: Path, monkeypatch) -> None:
    store = Store.open(team_db)
    screening.cast_vote(store, "Ana", 1, "exclude", note="Ana-private-note", origin="test")
    store.close()
    app = _signed_in(team_db, monkeypatch, "Ben")
    shown = _texts(app)
    assert "&lt;script&gt;" in _record_title(app)  # Ben still gets record 1 to screen
    assert "Ana" not in shown and "private" not in shown and "exclude on" not in shown
    assert _widget(app.radio, "Peer support").value is None
    assert "My votes" in [e.label for e in app.expander]
    app.session_state["screen-my-votes-open"] = True
    app.run()
    assert any("No votes yet" in c.value for c in app.caption)
    app.switch_page(f"{PAGES}/progress.py").run()
    assert not app.exception
    table = app.dataframe[0].value
    assert set(table["Reviewer"]) == {"Ben"}
    assert "Ana" not in _texts(app)


def test_screen_says_why_nothing_is_shown(review_db: Path, monkeypatch) -> None:
    """Imported with --no-dedupe: not deduplicated (not 'every record has your vote'); then
    after dedupe, a reviewer who voted on everything is told so, with their count."""
    add_people(review_db)
    app = _signed_in(review_db, monkeypatch, "Ana")
    assert not app.get("progress")
    assert app.info[0].value.startswith("2 record(s) imported but not yet deduplicated")
    assert "review dedupe" in app.info[0].value
    assert not app.success
    store = Store.open(review_db)
    run_dedupe(store, actor="test")
    for record in (1, 2):
        screening.cast_vote(store, "Ana", record, "include", origin="test")
    store.close()
    app.run()
    assert "you have voted on every record waiting here (2 vote(s)" in app.success[0].value


# --- Full text -----------------------------------------------------------------------------

@pytest.fixture
def fulltext_db(team_db: Path) -> Path:
    """Both records included by both reviewers: two reports sought at full text."""
    store = Store.open(team_db)
    for name in ("Ana", "Ben"):
        for record in (1, 2):
            screening.cast_vote(store, name, record, "include", origin="test")
    store.close()
    return team_db


def test_fulltext_attach_pdf_and_exclude_with_reason(fulltext_db: Path, monkeypatch) -> None:
    app = _signed_in(fulltext_db, monkeypatch, "Ana", "fulltext")
    assert app.title[0].value == "Full text"
    assert "No PDF attached yet" in app.info[0].value
    assert "Mark not retrieved" not in [b.label for b in app.button]  # leads only
    app.file_uploader[0].upload("notes.pdf", b"just text", "application/pdf").run()
    assert "notes.pdf: not a PDF" in app.error[0].value
    pdf = tiny_pdf()
    app.file_uploader[0].clear().upload("Report 1.pdf", pdf, "application/pdf").run()
    assert not app.exception
    assert app.success[0].value == "Attached Report 1\\.pdf to record 1."
    assert any(c.value.startswith("Report 1\\.pdf (1 KB") for c in app.caption)
    assert [b.label for b in app.get("download_button")] == ["Download the PDF"]
    store = Store.open(fulltext_db)
    assert fulltext.pdf_bytes(store, 1) == ("Report 1.pdf", pdf)
    _click(app, "Exclude")  # no reason: the service's message, not a traceback
    assert "needs a reason from the protocol's list" in app.error[0].value
    _widget(app.selectbox, "Exclusion reason").set_value("Clinical setting")
    _click(app, "Exclude")
    assert app.success[0].value == "Vote saved: exclude on record 1."
    [vote] = screening.my_votes(store, "Ana", "full_text")
    assert (vote["record_id"], vote["reason"]) == (1, "Clinical setting")
    # record 2 has no PDF: a vote needs a note saying how it was read
    _click(app, "Include")
    assert "attach the full text (PDF) before assessing it" in app.error[0].value
    _widget(app.text_input, "Note (optional)").input("Read the journal's HTML version")
    _click(app, "Include")
    assert "Nothing is waiting for you at full texts: you have voted on every record" \
        in app.success[-1].value
    store.close()


def test_fulltext_lead_marks_not_retrieved(fulltext_db: Path, monkeypatch) -> None:
    app = _signed_in(fulltext_db, monkeypatch, "Lee", "fulltext")
    _click(app, "Mark not retrieved")
    assert "say why the report was not retrieved" in app.error[0].value
    _widget(app.text_input, "Why it was not retrieved").input("Requested from authors")
    _click(app, "Mark not retrieved")
    assert app.success[0].value == "Record 1 marked not retrieved."
    assert "Peer mentoring" in _record_title(app)  # record 2 is next
    store = Store.open(fulltext_db)
    [report] = fulltext.list_reports(store, status="not retrieved")
    assert (report["record_id"], report["reason"]) == (1, "Requested from authors")
    store.close()


# --- Conflicts -----------------------------------------------------------------------------

def test_conflicts_side_by_side_and_resolved(team_db: Path, monkeypatch) -> None:
    store = Store.open(team_db)
    screening.cast_vote(store, "Ana", 1, "include", note="<i>fits</i>", origin="test",
                        criteria={"peer_support": "yes"})
    screening.cast_vote(store, "Ben", 1, "exclude", origin="test")
    app = _signed_in(team_db, monkeypatch, "Lee", "conflicts")
    assert app.header[0].value == "Titles and abstracts: record 1"
    assert "**Conflict 1 of 1**" in [m.value for m in app.markdown]
    # the record (title as its heading, escaped) with its abstract, open
    [record] = [m.value for m in app.markdown if m.value.startswith("### ")]
    assert record.startswith("### &lt;script&gt;") and "&lt;b&gt;not bold" in record
    markdown = [m.value for m in app.markdown]
    assert "**Ana**: include" in markdown and "**Ben**: exclude" in markdown
    assert "Note: &lt;i&gt;fits&lt;/i&gt;" in markdown  # a note is untrusted text too
    answers = app.dataframe[0].value
    assert list(answers["Criterion"]) == ["Peer support"] and list(answers["Answer"]) == ["yes"]
    _click(app, "Resolve")
    assert app.error[0].value == "Choose include or exclude."
    _widget(app.radio, "Decision").set_value("include")
    _widget(app.text_input, "Note (optional)").input("Setting is a charity")
    _click(app, "Resolve")
    assert app.success[0].value == "Record 1 resolved: include."
    assert "No conflicts are waiting." in [s.value for s in app.success]
    [row] = [r for r in screening.my_votes(store, "Ana") if r["record_id"] == 1]
    assert row["status"] == "include (resolution)"
    store.close()


def test_fulltext_conflict_needs_a_listed_reason(fulltext_db: Path, monkeypatch) -> None:
    store = Store.open(fulltext_db)
    store_note = "read online"
    screening.cast_vote(store, "Ana", 2, "include", stage="full_text", note=store_note)
    screening.cast_vote(store, "Ben", 2, "exclude", stage="full_text", note=store_note,
                        reason="Not peer support")
    app = _signed_in(fulltext_db, monkeypatch, "Lee", "conflicts")
    assert app.header[0].value == "Full texts: record 2"
    assert "Reason: Not peer support" in [m.value for m in app.markdown]
    _widget(app.radio, "Decision").set_value("exclude")
    _click(app, "Resolve")
    assert "needs a reason from the protocol's list" in app.error[0].value
    _widget(app.selectbox, "Exclusion reason (for exclude; needed)").set_value("Not peer support")
    _click(app, "Resolve")
    assert app.success[0].value == "Record 2 resolved: exclude."
    with store.read() as conn:
        row = conn.execute(t.resolutions.select()).mappings().one()
    assert (row["stage"], row["decision"], row["reason"]) == ("full_text", "exclude",
                                                              "Not peer support")
    store.close()


# --- Progress ------------------------------------------------------------------------------

def test_progress_for_a_lead_has_stages_reviewers_agreement_and_charts(
        team_db: Path, monkeypatch) -> None:
    store = Store.open(team_db)
    for name, decision in (("Ana", "include"), ("Ben", "include")):
        screening.cast_vote(store, name, 1, decision, origin="test")
    screening.cast_vote(store, "Ana", 2, "exclude", origin="test")
    store.close()
    app = _signed_in(team_db, monkeypatch, "Lee", "progress")
    stages, people, agreed = (f.value for f in app.dataframe)
    first = stages.iloc[0]
    assert (first["Stage"], first["Records"], first["Included"], first["Waiting for votes"]) \
        == ("Titles and abstracts", 2, 1, 1)
    ana = people[(people["Reviewer"] == "Ana") & (people["Stage"] == "Titles and abstracts")]
    assert list(ana["Votes"]) == [2]
    pooled = agreed[agreed["Reviewers"] == "all pairs pooled"].iloc[0]
    assert (pooled["Records voted by both"], pooled["Agreed"]) == (1, 1)
    assert len(app.get("vega_lite_chart")) == 2


# --- Duplicates ----------------------------------------------------------------------------

def _duplicated_review(tmp_path: Path, protocol_path: Path) -> Path:
    from review.importing import SourceInfo, import_files
    from review.project import create_review
    from tests.test_duplicates import COPY_A, COPY_B, WEAK

    db = tmp_path / "dups.db"
    store = create_review(protocol_path, db, actor="lead")
    for name, text in (("a.ris", COPY_A), ("b.ris", COPY_B), ("w.ris", WEAK)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        import_files(store, [path], SourceInfo(name, "database"), actor="lead")
    store.close()
    add_people(db)
    return db


def test_duplicates_page_finds_and_decides(tmp_path: Path, protocol_path: Path,
                                           monkeypatch) -> None:
    from review import duplicates as dup

    db = _duplicated_review(tmp_path, protocol_path)
    app = _signed_in(db, monkeypatch, "Lee", "duplicates")
    assert app.title[0].value == "Duplicates"
    _click(app, "Find duplicates")
    assert "4 records in 3 groups; 1 pairs wait for a person." in app.success[0].value
    _click(app, "Same work")
    store = Store.open(db)
    decided = dup.list_pairs(store, status=dup.CONFIRMED)
    assert [(p["record_a"], p["record_b"], p["decided_by"]) for p in decided] == [(2, 4, "Lee")]
    store.close()


# --- Import --------------------------------------------------------------------------------

NEW_EXPORT = ("TY  - JOUR\nTI  - Moderated peer support forums for young people\nAU  - Lund, Per\n"
              "PY  - 2021\nER  - \n\nTY  - JOUR\nTI  - A <img src=x onerror=alert(1)> study\n"
              "PY  - 2022\nER  - \n")


def test_import_page_imports_and_dedupes(team_db: Path, monkeypatch) -> None:
    from review.store import records as store_records

    app = _signed_in(team_db, monkeypatch, "Lee", "import_exports")
    assert app.title[0].value == "Import"
    app.file_uploader[0].upload("psycinfo export.ris", NEW_EXPORT.encode(), "text/plain")
    _widget(app.text_input, "Source name").input("PsycInfo (Ovid)")
    _widget(app.selectbox, "Kind of source").set_value("database")
    _click(app, "Import")
    message = app.success[0].value
    assert message.startswith("Imported 2 records from 1 file(s) as PsycInfo \\(Ovid\\)")
    assert "4 records in 4 groups" in message
    store = Store.open(team_db)
    files = [(f["name"], f["file_name"], f["kind"]) for f in store_records.list_sources(store)]
    assert ("PsycInfo (Ovid)", "psycinfo export.ris", "database") in files
    assert screening.queue_size(store, "Ana") == 4  # the new records entered screening
    store.close()


def test_import_page_names_file_and_line_of_an_error(team_db: Path, monkeypatch) -> None:
    app = _signed_in(team_db, monkeypatch, "Lee", "import_exports")
    broken = "TY  - JOUR\nTI  - One\nTY  - JOUR\nTI  - Two\nER  - \n"
    app.file_uploader[0].upload("broken.ris", broken.encode(), "text/plain")
    _widget(app.text_input, "Source name").input("Embase")
    _click(app, "Import")
    assert app.error[0].value.startswith("broken\\.ris, line 3")
    store = Store.open(team_db)
    from review.store import records as store_records

    assert len(store_records.list_sources(store)) == 1  # nothing imported
    store.close()



def test_import_page_takes_the_search_details_and_offers_the_appendix(team_db: Path,
                                                                       monkeypatch) -> None:
    import datetime as dt

    from review.prisma.searches import source_rows

    ovid = Path(__file__).parent / "fixtures" / "ovid_citavi_peer_support.ovd"
    app = _signed_in(team_db, monkeypatch, "Lee", "import_exports")
    app.file_uploader[0].upload("embase.ovd", ovid.read_bytes(), "text/plain")
    _widget(app.text_input, "Source name").input("Embase")
    _widget(app.date_input, "Searched on (optional)").set_value(dt.date(2024, 3, 14))
    _widget(app.text_input, "Platform (optional)").input("Ovid")
    _widget(app.text_area, "Search strategy (optional)").input("1 exp automutilation/\n"
                                                               "2 peer support.ti,ab.")
    _widget(app.text_input, "Limits (optional)").input("English; 2010-2024")
    _click(app, "Import")
    assert app.success[0].value.startswith("Imported 4 records from 1 file(s) as Embase")
    store = Store.open(team_db)
    row = [r for r in source_rows(store) if r["name"] == "Embase"][0]
    assert (row["format"], row["record_count"], row["after_deduplication"]) == ("ovid", 4, 4)
    assert (row["searched_on"], row["platform"], row["limits"]) == (
        "2024-03-14", "Ovid", "English; 2010-2024")
    assert row["query"] == "1 exp automutilation/\n2 peer support.ti,ab."
    store.close()
    searches = app.dataframe[0].value
    assert list(searches["Source"]) == ["CINAHL (EBSCO)", "Embase"]
    assert list(searches["Strategy"]) == ["missing", "recorded"]
    assert list(searches["Platform"]) == ["", "Ovid"]
    assert [b.label for b in app.get("download_button")] == [
        "Search appendix (Markdown)", "Search appendix (CSV)"]

    # the CINAHL search came without its strategy: a lead adds it, and a platform, here
    _widget(app.selectbox, "Search").set_value(0).run()
    assert _widget(app.text_input, "Platform").value == ""
    _widget(app.text_input, "Platform").input("EBSCOhost")
    _widget(app.text_area, "Search strategy").input("S1 peer support\nS2 self-harm\nS3 S1 AND S2")
    _click(app, "Save the search's details")
    assert app.success[0].value.startswith("Saved the details of CINAHL")
    store = Store.open(team_db)
    cinahl = [r for r in source_rows(store) if r["name"] == "CINAHL (EBSCO)"][0]
    assert (cinahl["platform"], cinahl["searched_on"]) == ("EBSCOhost", "2025-02-01")
    assert cinahl["query"] == "S1 peer support\nS2 self-harm\nS3 S1 AND S2"
    store.close()
    assert list(app.dataframe[0].value["Strategy"]) == ["recorded", "recorded"]
    _widget(app.selectbox, "Search").set_value(1).run()  # the other search's own values show
    assert _widget(app.text_input, "Platform").value == "Ovid"
    assert _widget(app.text_input, "Limits").value == "English; 2010-2024"

# --- Records browser -----------------------------------------------------------------------

def test_records_page_shows_sources_and_search(team_db: Path, monkeypatch) -> None:
    app = _signed_in(team_db, monkeypatch, "Ana", "records")
    assert app.title[0].value == "Records"
    assert app.metric[0].value == "2"
    sources = app.dataframe[0].value
    assert list(sources["Source"]) == ["CINAHL (EBSCO)"] and list(sources["Records"]) == [2]
    _widget(app.text_input, "Search").input("overgaard").run()  # accents folded
    assert "1 matching record(s), one per work (duplicates merged)" in [
        c.value for c in app.caption]
    table = app.dataframe[1].value
    assert list(table["Title"]) == ["Peer mentoring in a voluntary organisation"]


def test_record_detail_escapes_untrusted_text(team_db: Path, monkeypatch) -> None:
    app = _signed_in(team_db, monkeypatch, "Ana", "records")
    _widget(app.number_input, "Open record by ID").set_value(1).run()
    assert not app.exception
    heading = app.subheader[0].value
    assert "<script>" not in heading and "&lt;script&gt;" in heading
    assert "\\*\\*bold\\*\\*" in heading
    abstract = [m.value for m in app.markdown if "not bold" in m.value][0]
    assert "<b>" not in abstract and "\\[link\\]\\(javascript" in abstract
    provenance = app.dataframe[-1].value
    values = list(provenance["Value"])
    assert "CINAHL (EBSCO)" in values and "forum.ris" in values


def test_missing_database_is_a_plain_error(tmp_path: Path, monkeypatch) -> None:
    app = _app(tmp_path / "none.db", monkeypatch)
    assert not app.exception
    assert "no review at" in app.error[0].value


# --- escaping and highlighting -------------------------------------------------------------

def test_untrusted_text_is_escaped() -> None:
    from review.ui.safe import md_escape

    escaped = md_escape("<script>x</script> **b** ![i](http://e.org/x.png)")
    assert "<script>" not in escaped and "&lt;script&gt;" in escaped
    assert "\\*\\*b\\*\\*" in escaped and "\\!\\[i\\]\\(" in escaped
    assert md_escape(":red[x]") == "\\:red\\[x\\]"  # no Streamlit colour directive


def test_highlight_escapes_first_then_marks_terms() -> None:
    from review.protocol import terms_regex
    from review.ui.safe import highlight

    include = terms_regex(("peer support", "moderat*", "peer"))
    exclude = terms_regex(("hospital",))
    text = ("<b>Peer  support</b> in a moderated forum, not a hospital :red[x] [l](javascript:1)"
            " peers")
    marked = highlight(text, include, exclude)
    assert marked == (f"&lt;b&gt;{_INC}Peer  support</mark>&lt;/b&gt; in a "
                      f"{_INC}moderated</mark> forum, not a {_EXC}hospital</mark> "
                      "\\:red\\[x\\] \\[l\\]\\(javascript\\:1\\) peers")
    assert highlight(None, include, exclude) == ""
    assert highlight("a [b] c", None, None) == "a \\[b\\] c"
    # overlapping terms of both lists: the earliest, then the longest, is marked once
    both = highlight("family peer support", terms_regex(("family peer",)),
                     terms_regex(("family", "peer support")))
    assert both == f"{_INC}family peer</mark> support"
    # a term's own text is escaped inside the mark
    assert highlight("<i>x</i> peer", terms_regex(("peer",)), None) == \
        f"&lt;i&gt;x&lt;/i&gt; {_INC}peer</mark>"


def _contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_highlight_colours_pass_wcag_aa_and_differ_by_more_than_colour() -> None:
    from review.ui.safe import _STYLE, EXCLUDE_MARK, INCLUDE_MARK

    for colours in (INCLUDE_MARK, EXCLUDE_MARK):
        assert _contrast(colours["color"], colours["background"]) >= 4.5
        assert f"color:{colours['color']};background:{colours['background']}" in " ".join(
            _STYLE.values())  # both set: the same in a light or a dark theme
    assert _contrast("#000000", "#ffffff") == pytest.approx(21)  # the check itself is right
    assert _contrast("#777777", "#ffffff") < 4.5
    assert "font-weight:700" in _STYLE["include"] and "underline" not in _STYLE["include"]
    assert "underline" in _STYLE["exclude"] and "font-weight" not in _STYLE["exclude"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from review.demo.build import build_demo

    db = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(db).close()
    return db


@pytest.mark.parametrize("page, heading", [("extraction", "Extraction"),
                                           ("tables", "Tables"),
                                           ("prisma", "PRISMA")])
def test_lead_opens_extraction_tables_and_prisma_on_the_demo(demo_db: Path, monkeypatch,
                                                             page: str, heading: str) -> None:
    monkeypatch.setenv("REVIEW_DB", str(demo_db))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    _widget(app.text_input, "Name").input("Morgan")
    _widget(app.text_input, "Password").input("morgan-demo")
    _back_with_cookie(_click(app, "Sign in"))
    app.switch_page(f"{PAGES}/{page}.py").run()
    assert not app.exception, app.exception
    assert any(heading in t.value for t in app.title), [t.value for t in app.title]
    assert not app.error, [e.value for e in app.error]


# --- team server: observers, session expiry, disabled accounts, Accounts, OIDC -------------

def _observer(db: Path) -> None:
    add_people(db, {"Olu": ("observer", "olu-password")})


def test_observer_sees_progress_of_the_whole_review_and_nothing_to_screen(
        team_db: Path, monkeypatch) -> None:
    _observer(team_db)
    store = Store.open(team_db)
    for name in ("Ana", "Ben"):
        screening.cast_vote(store, name, 1, "include", origin="test")
    store.close()
    app = _sign_in(_app(team_db, monkeypatch), "Olu", "olu-password")
    assert app.title[0].value == "Progress"
    stages, people, agreed = (f.value for f in app.dataframe)
    assert stages.iloc[0]["Included"] == 1
    assert set(people["Reviewer"]) == {"Lee", "Ana", "Ben"}
    assert "Signed in as Olu (observer)" in " ".join(t.value for t in app.text)
    for page in ("screen", "fulltext", "records", "extraction", "conflicts", "accounts"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(f"{PAGES}/{page}.py")


def test_a_reviewer_sees_only_their_own_progress(team_db: Path, monkeypatch) -> None:
    store = Store.open(team_db)
    screening.cast_vote(store, "Ben", 1, "exclude", note="Ben's own reasons", origin="test")
    screening.cast_vote(store, "Ana", 1, "include", origin="test")
    store.close()
    app = _signed_in(team_db, monkeypatch, "Ana", "progress")
    [mine] = [f.value for f in app.dataframe]
    assert set(mine["Reviewer"]) == {"Ana"}
    assert "Ben" not in _texts(app) and "Agreement" not in _texts(app)


def test_session_ends_after_the_idle_minutes(team_db: Path, monkeypatch) -> None:
    from review.ui import session

    clock = [1_000_000.0]
    monkeypatch.setattr(session, "_now", lambda: clock[0])
    monkeypatch.setenv("REVIEW_SESSION_MINUTES", "30")
    app = _signed_in(team_db, monkeypatch, "Ana")
    clock[0] += 29 * 60  # active within the limit: still signed in, and the clock restarts
    app.run()
    assert app.title[0].value == "Screen: titles and abstracts"
    clock[0] += 29 * 60
    app.run()
    assert app.title[0].value == "Screen: titles and abstracts"
    clock[0] += 31 * 60
    app.run()
    assert app.title[0].value == "Sign in"
    assert "signed out after 30 minutes without activity" in app.info[0].value
    assert "reviewer" not in app.session_state


def test_a_disabled_account_is_signed_out_at_its_next_click(team_db: Path, monkeypatch) -> None:
    app = _signed_in(team_db, monkeypatch, "Ana")
    store = Store.open(team_db)
    accounts.set_active(store, "Ana", False, actor="Lee")
    store.close()
    _widget(app.button, "Include").click().run()
    assert app.title[0].value == "Sign in"
    assert "disabled" in app.info[0].value
    store = Store.open(team_db)
    assert screening.my_votes(store, "Ben") == []
    with pytest.raises(accounts.AccessError):
        screening.my_votes(store, "Ana")
    store.close()


def test_a_password_reset_ends_the_sessions_opened_before_it(team_db: Path,
                                                             monkeypatch) -> None:
    ana = _signed_in(team_db, monkeypatch, "Ana")
    store = Store.open(team_db)
    accounts.set_password(store, "Ana", "ana-new-password", actor="Lee")  # after a leak
    store.close()
    _widget(ana.button, "Include").click().run()
    assert ana.title[0].value == "Sign in"
    assert "password was changed" in ana.info[0].value
    store = Store.open(team_db)
    assert screening.my_votes(store, "Ana") == []  # the click after the reset cast nothing
    store.close()
    _sign_in(ana, "Ana", "ana-new-password")
    assert "Signed in as Ana" in " ".join(t.value for t in ana.text)

    # a lead setting their own password keeps this session; others of theirs end
    lee = _signed_in(team_db, monkeypatch, "Lee", "accounts")
    other = _signed_in(team_db, monkeypatch, "Lee")
    _widget(lee.selectbox, "Person").select("Lee").run()
    _widget(lee.text_input, "New password").input("lee-new-password")
    _widget(lee.text_input, "New password again").input("lee-new-password")
    _click(lee, "Set the password")
    assert "Your other sessions have ended" in lee.success[0].value
    lee.run()
    assert lee.title[0].value == "Accounts"
    other.run()
    assert other.title[0].value == "Sign in"


def test_accounts_page_adds_disables_resets_and_changes_role(team_db: Path, monkeypatch) -> None:
    app = _signed_in(team_db, monkeypatch, "Lee", "accounts")
    table = app.dataframe[0].value
    assert list(table["Name"]) == ["Lee", "Ana", "Ben"]
    _widget(app.text_input, "Name").input("Sam <b>")
    [w for w in app.selectbox if w.label == "Role"][-1].select("observer")  # the Add form's
    _widget(app.text_input, "Email (optional; for single sign-on)").input("sam@example.org")
    _widget(app.text_input, "Password (optional; at least 8 characters)").input("sam-password")
    _click(app, "Add")
    assert app.success[0].value == "Added Sam &lt;b&gt; \\(observer\\)\\."
    store = Store.open(team_db)
    sam = accounts.get_reviewer(store, "Sam <b>")
    assert (sam.role, sam.email) == ("observer", "sam@example.org")
    assert accounts.authenticate(store, "Sam <b>", "sam-password") == sam
    store.close()

    _widget(app.selectbox, "Person").select("Ana").run()
    _click(app, "Disable Ana")
    assert "Ana is disabled" in app.success[0].value
    _widget(app.selectbox, "Person").select("Ana").run()
    _click(app, "Enable Ana")
    _widget(app.selectbox, "Person").select("Ben").run()
    _widget(app.text_input, "New password").input("ben-new-password")
    _widget(app.text_input, "New password again").input("ben-new-password")
    _click(app, "Set the password")
    assert "New password set for Ben" in app.success[0].value
    _widget(app.selectbox, "Person").select("Ben").run()
    _widget(app.checkbox, "Third reviewer").check()
    _click(app, "Save role and email")
    assert not app.error, app.error[0].value
    assert "Ben is now third reviewer" in app.success[0].value
    _widget(app.selectbox, "Person").select("Lee").run()
    _click(app, "Disable Lee")
    assert "only active lead" in app.error[0].value

    store = Store.open(team_db)
    assert accounts.authenticate(store, "Ben", "ben-new-password") is not None
    assert accounts.get_reviewer(store, "Ben").can_resolve
    assert accounts.get_reviewer(store, "Ana").active
    audit = t.audit_log
    with store.read() as conn:
        actions = [(r.actor, r.action) for r in conn.execute(
            sa.select(audit.c.actor, audit.c.action).where(audit.c.entity == "reviewer",
                                                           audit.c.actor == "Lee"))]
    store.close()
    assert actions == [("Lee", "add reviewer"), ("Lee", "disable reviewer"),
                       ("Lee", "enable reviewer"), ("Lee", "set password"),
                       ("Lee", "change role")]


AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32,
        "example": {"client_id": "review-app", "client_secret": "s",
                    "server_metadata_url": "https://id.example.org/.well-known/openid"}}


def _oidc_app(db: Path, monkeypatch, user: dict | None = None) -> AppTest:
    monkeypatch.setenv("REVIEW_DB", str(db))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.secrets["auth"] = AUTH
    app.user = user or {}
    return app.run()


def test_oidc_button_only_where_auth_is_configured(team_db: Path, monkeypatch) -> None:
    from review.ui.session import providers_in

    plain = _app(team_db, monkeypatch)
    assert [b.label for b in plain.button] == ["Sign in"]  # the password form's only
    app = _oidc_app(team_db, monkeypatch)
    assert not app.exception
    assert [b.label for b in app.button] == ["Sign in with Example", "Sign in"]
    assert providers_in({"redirect_uri": "x", "client_id": "a", "client_secret": "b",
                         "client_kwargs": {"prompt": "login"}}) == [(None, "single sign-on")]
    assert providers_in({"redirect_uri": "x", "cookie_secret": "y"}) == []
    assert providers_in(None) == []


def test_oidc_identity_signs_in_the_reviewer_with_that_email(team_db: Path, monkeypatch) -> None:
    store = Store.open(team_db)
    accounts.set_email(store, "Ana", "ana@example.org", actor="Lee")
    store.close()
    app = _back_with_cookie(_oidc_app(team_db, monkeypatch, {
        "is_logged_in": True, "email": "ANA@example.org", "email_verified": True}))
    assert not app.exception
    assert app.title[0].value == "Screen: titles and abstracts"
    assert app.session_state["reviewer"].name == "Ana"
    # the same identity, not a reviewer's email: refused with what to do, nothing opens
    app = _oidc_app(team_db, monkeypatch, {"is_logged_in": True, "email": "eve@example.org"})
    assert app.title[0].value == "Sign in"
    assert "eve@example\\.org is not the email of a reviewer" in app.info[0].value
    assert "Sign out of the provider" in [b.label for b in app.button]
    # an identity Streamlit has not logged in (AppTest's default user) signs nobody in
    app = _oidc_app(team_db, monkeypatch, {"email": "ana@example.org"})
    assert app.title[0].value == "Sign in"


# --- upload limits ----------------------------------------------------------------------------

def test_import_refuses_a_file_over_the_limit_with_a_clear_message(team_db: Path,
                                                                    monkeypatch) -> None:
    from review.store import records as store_records
    from review.ui import import_page

    monkeypatch.setattr(import_page, "MAX_MB", 1)
    app = _signed_in(team_db, monkeypatch, "Lee", "import_exports")
    assert app.file_uploader[0].proto.max_upload_size_mb == 1
    big = ("TY  - JOUR\nTI  - " + "x" * 2_000_000 + "\nER  - \n").encode()
    app.file_uploader[0].upload("huge <export>.ris", big, "text/plain")
    _widget(app.text_input, "Source name").input("Embase")
    _click(app, "Import")
    message = app.error[0].value
    assert "huge &lt;export&gt;\\.ris (2 MB) is larger than 1 MB per file" in message
    store = Store.open(team_db)
    assert len(store_records.list_sources(store)) == 1  # nothing imported
    store.close()


def test_fulltext_upload_is_pdf_only_and_limited(fulltext_db: Path, monkeypatch) -> None:
    from review.ui import fulltext_page

    monkeypatch.setattr(fulltext_page, "MAX_MB", 1)
    app = _signed_in(fulltext_db, monkeypatch, "Ana", "fulltext")
    [uploader] = app.file_uploader
    assert uploader.proto.type == [".pdf"] and uploader.proto.max_upload_size_mb == 1
    uploader.upload("scan.pdf", tiny_pdf() + b" " * 1_200_000, "application/pdf").run()
    assert "scan\\.pdf is larger than 1 MB" in app.error[0].value
    store = Store.open(fulltext_db)
    assert fulltext.list_reports(store)[0]["status"] != "retrieved"
    store.close()


def test_labels_box_shows_each_records_own_labels_as_votes_move_on(team_db: Path,
                                                                   monkeypatch) -> None:
    """The labels box keeps one key from record to record (so the browser updates it in
    place): the next record shows its own labels, none carried over, and a reopened record
    shows its labels again."""
    from review.screening import labels

    store = Store.open(team_db)
    first = screening.next_item(store, "Ana").record_id
    labels.add_label(store, "Ana", first, "ask Sam", stage="title_abstract")
    store.close()
    app = _signed_in(team_db, monkeypatch, "Ana")
    assert _widget(app.multiselect, "My labels").value == ["ask Sam"]
    _click(app, "Include")
    assert f"Vote saved: include on record {first}." in _texts(app)
    assert _widget(app.multiselect, "My labels").value == []
    _click(app, "Previous vote")
    assert f"Record {first} reopened" in _texts(app)
    assert _widget(app.multiselect, "My labels").value == ["ask Sam"]
