"""Streamlit pages through AppTest: the records browser on a real review database."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
def _app(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("REVIEW_DB", str(db))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    return app.run()


def test_records_page_shows_sources_and_search(review_db: Path, monkeypatch) -> None:
    app = _app(review_db, monkeypatch)
    assert not app.exception
    assert app.title[0].value == "Records"
    assert app.metric[0].value == "2"
    sources = app.dataframe[0].value
    assert list(sources["Source"]) == ["CINAHL (EBSCO)"] and list(sources["Records"]) == [2]
    app.text_input[0].input("overgaard").run()  # accents folded
    assert "1 matching record(s)" in [c.value for c in app.caption]
    table = app.dataframe[1].value
    assert list(table["Title"]) == ["Peer mentoring in a voluntary organisation"]


def test_record_detail_escapes_untrusted_text(review_db: Path, monkeypatch) -> None:
    app = _app(review_db, monkeypatch)
    app.number_input[0].set_value(1).run()
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


def test_untrusted_text_is_escaped() -> None:
    from review.ui.safe import md_escape

    escaped = md_escape("<script>x</script> **b** ![i](http://e.org/x.png)")
    assert "<script>" not in escaped and "&lt;script&gt;" in escaped
    assert "\\*\\*b\\*\\*" in escaped and "\\!\\[i\\]\\(" in escaped
