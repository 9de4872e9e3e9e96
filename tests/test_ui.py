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
    return db


def test_duplicates_page_finds_and_decides(tmp_path: Path, protocol_path: Path,
                                           monkeypatch) -> None:
    from review import duplicates as dup
    from review.store import Store

    db = _duplicated_review(tmp_path, protocol_path)
    monkeypatch.setenv("REVIEW_USER", "ana")
    app = _app(db, monkeypatch)
    app.switch_page("review/ui/pages/duplicates.py").run()
    assert not app.exception
    assert app.title[0].value == "Duplicates"
    [b for b in app.button if b.label == "Find duplicates"][0].click().run()
    assert not app.exception
    assert "4 records in 3 groups; 1 pairs wait for a person." in app.success[0].value
    same = [b for b in app.button if b.label == "Same work"][0]
    same.click().run()
    assert not app.exception
    store = Store.open(db)
    decided = dup.list_pairs(store, status=dup.CONFIRMED)
    assert [(p["record_a"], p["record_b"], p["decided_by"]) for p in decided] == [(2, 4, "ana")]
    store.close()
