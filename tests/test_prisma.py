"""PRISMA 2020 counts, exports and diagram on a review built in code with a known number at
every box (SQLite and PostgreSQL); the identities after random sequences of imports, dedupe
decisions, votes, resolutions and full-text marks (hypothesis, SQLite); the CLI and the page.
"""

from __future__ import annotations

import dataclasses
import io
import json
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from review.accounts import add_reviewer
from review.cli.main import main
from review.duplicates import decide_pair, list_groups, list_pairs, run_dedupe, split_group
from review.errors import ReviewError
from review.extraction.studies import link_report, list_studies, study_counts
from review.importing import SourceInfo, import_files
from review.prisma.counts import Prisma, PrismaIdentityError, check_identities, compute, identities
from review.prisma.diagram import PAD, boxes, render_png, render_svg, text_width
from review.prisma.template import COLUMNS, TEMPLATE, read_csv, template_values, to_csv, to_json
from review.project import create_review
from review.screening import conflicts
from review.screening import votes as screening
from review.screening.fulltext import attach_pdf, mark_not_retrieved
from review.store import Store
from review.store import schema as t
from tests.conftest import missing
from tests.test_screening import PDF, protocol_text

ROOT = Path(__file__).resolve().parent.parent
TA, FT = "title_abstract", "full_text"


def work(key: str, year: int = 2015) -> str:
    """One RIS record; the same key gives an identical copy (a duplicate the engine merges)."""
    return (f"TY  - JOUR\nTI  - Study {key} of community peer support in place number {key}\n"
            f"AU  - Writer{key}, Sam\nPY  - {year}\nJO  - Journal of Example {key}\n"
            f"VL  - {len(key)}\nSP  - 11\nDO  - 10.5555/example.{key}\nER  - \n")


# source name, kind, works (a key seen before is a duplicate of it)
SOURCES = (
    ("MEDLINE (Ovid)", "database", [("m1",), ("m2",), ("m3",), ("m4",), ("m5",), ("m6",)]),
    ("Embase", "database", [("m1",), ("m2",), ("e3",)]),
    ("ClinicalTrials.gov", "register", [("r1",), ("r2", 1995)]),
    ("Charity websites", "website", [("w1",), ("o1",)]),
    ("Peer support organisations", "organisation", [("o1",)]),
    ("Citation searching", "citation", [("m3",), ("c2",), ("c3", 1990)]),
)


def build(db: str, tmp_path: Path) -> tuple[Store, dict[str, int]]:
    """The review: the year rule made automatic, every source kind, duplicates across them;
    returns the store and the record id of each work (its first copy)."""
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(protocol_text(automatic=True), encoding="utf-8")
    store = create_review(protocol, db, actor="lead")
    for name, kind, works in SOURCES:
        path = tmp_path / f"{kind}.ris"
        path.write_text("\n".join(work(*w) for w in works), encoding="utf-8")
        import_files(store, [path], SourceInfo(name, kind), actor="lead")
    run_dedupe(store, actor="lead")
    add_reviewer(store, "Lead", role="lead", actor="lead")
    add_reviewer(store, "Ana", actor="lead")
    add_reviewer(store, "Ben", actor="lead")
    ids: dict[str, int] = {}
    with store.read() as conn:
        records = t.records
        for rid, title in conn.execute(sa.select(records.c.id, records.c.title)
                                       .order_by(records.c.id)):
            ids.setdefault(title.split()[1], rid)
    return store, ids


def vote(store: Store, rid: int, a: str, b: str | None = None, *, stage: str = TA,
         reason: str | None = None, reason_b: str | None = None) -> None:
    screening.cast_vote(store, "Ana", rid, a, stage=stage,
                        reason=reason if a == "exclude" else None)
    if b is not None:
        screening.cast_vote(store, "Ben", rid, b, stage=stage,
                            reason=(reason_b or reason) if b == "exclude" else None)


def screen_known(store: Store, ids: dict[str, int]) -> None:
    """Votes, resolutions and full texts giving the numbers in EXPECTED."""
    for key in ("m1", "m2", "m3", "e3", "w1", "o1"):
        vote(store, ids[key], "include", "include")
    vote(store, ids["m4"], "exclude", "exclude")
    vote(store, ids["c2"], "exclude", "exclude")
    vote(store, ids["m5"], "include", "exclude")
    conflicts.resolve(store, ids["m5"], "exclude", by="Lead", stage=TA)
    vote(store, ids["m6"], "include", "exclude")
    conflicts.resolve(store, ids["m6"], "include", by="Lead", stage=TA)
    vote(store, ids["r1"], "include")  # one vote of two: awaiting screening
    for key in ("m1", "m3", "m6", "e3", "w1", "o1"):
        attach_pdf(store, ids[key], PDF, f"{key}.pdf", actor="lead")
    mark_not_retrieved(store, ids["m2"], "requested from the authors, no reply", actor="lead")
    vote(store, ids["m1"], "include", "include", stage=FT)
    vote(store, ids["m3"], "exclude", "exclude", stage=FT, reason="Not peer support")
    vote(store, ids["m6"], "exclude", "exclude", stage=FT, reason="Clinical setting")
    vote(store, ids["e3"], "include", "exclude", stage=FT, reason="Not primary research")
    conflicts.resolve(store, ids["e3"], "include", by="Lead", stage=FT)
    vote(store, ids["w1"], "include", "include", stage=FT)
    vote(store, ids["o1"], "exclude", "exclude", stage=FT, reason="Not about self-harm")
    studies = {s.records[0]: s.id for s in list_studies(store)}
    link_report(store, ids["w1"], studies[ids["m1"]], actor="lead")  # a companion report


EXPECTED = dict(
    database_results=9, register_results=2, website_results=2, organisation_results=1,
    citations_results=3, other_results=0, records_stored=17,
    database_specific_results=[{"name": "MEDLINE (Ovid)", "n": 6}, {"name": "Embase", "n": 3}],
    register_specific_results=[{"name": "ClinicalTrials.gov", "n": 2}],
    dbr_awaiting_deduplication=0, duplicates=2, excluded_automatic=1, excluded_other=0,
    records_screened=8, records_excluded=2, records_awaiting_screening=1,
    dbr_sought_reports=5, dbr_notretrieved_reports=1, dbr_awaiting_retrieval=0,
    dbr_awaiting_assessment=0, dbr_assessed=4,
    dbr_excluded=[{"name": "Not peer support", "n": 1}, {"name": "Clinical setting", "n": 1}],
    dbr_awaiting_later_stage=0, dbr_included_reports=2,
    other_awaiting_deduplication=0, other_duplicates_of_dbr=1, other_duplicates=1,
    other_excluded_automatic=1, other_records_screened=3, other_records_excluded=1,
    other_awaiting_screening=0, other_sought_reports=2, other_notretrieved_reports=0,
    other_awaiting_retrieval=0, other_awaiting_assessment=0, other_assessed=2,
    other_excluded=[{"name": "Not about self-harm", "n": 1}], other_awaiting_later_stage=0,
    other_included_reports=1, new_studies=2, new_reports=3, total_studies=2, total_reports=3,
    screening_stopped_on="", previous_records=0, previous_awaiting_deduplication=0,
    previous_reports=0, previous_studies=0, duplicates_of_previous=0,
    other_duplicates_of_previous=0,
)


@pytest.fixture
def known(db_url: str, tmp_path: Path):
    store, ids = build(db_url, tmp_path)
    screen_known(store, ids)
    yield store
    store.close()


def test_known_review_has_the_expected_number_at_every_box(known: Store) -> None:
    counts = compute(known)
    assert counts.as_dict() == EXPECTED
    assert all(i.holds for i in identities(counts))
    assert counts.pending() == {"records_awaiting_screening": 1}
    assert (counts.new_studies, counts.new_reports) == study_counts(known)


def test_mid_review_counts_show_what_is_pending(db_url: str, tmp_path: Path) -> None:
    store, ids = build(db_url, tmp_path)
    counts = compute(store)  # nothing screened yet: every screened record awaits
    assert counts.records_screened == 8 and counts.records_awaiting_screening == 8
    assert counts.other_awaiting_screening == 3 and counts.dbr_sought_reports == 0
    vote(store, ids["m1"], "include", "include")
    vote(store, ids["m2"], "include", "include")
    attach_pdf(store, ids["m2"], PDF, "m2.pdf", actor="lead")
    vote(store, ids["m2"], "include", stage=FT)
    counts = compute(store)
    assert (counts.dbr_sought_reports, counts.dbr_awaiting_retrieval,
            counts.dbr_awaiting_assessment, counts.dbr_assessed) == (2, 1, 1, 0)
    late = tmp_path / "late.ris"
    late.write_text(work("z9") + "\n" + work("w1"), encoding="utf-8")
    import_files(store, [late], SourceInfo("Hand search", "other"), actor="lead")
    counts = compute(store)  # imported, not yet deduplicated: awaiting, never dropped
    assert counts.other_results == 2 and counts.other_awaiting_deduplication == 2
    assert any("awaiting deduplication" in line for line in counts.pending_lines())
    run_dedupe(store, actor="lead")
    counts = compute(store)
    assert counts.other_awaiting_deduplication == 0 and counts.other_duplicates == 2
    assert counts.other_records_screened == 4
    store.close()


def test_csv_has_the_template_layout_and_reads_back(known: Store) -> None:
    counts = compute(known)
    text = to_csv(counts)
    lines = text.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert [line.split(",")[0] for line in lines[1:]] == [row[0] for row in TEMPLATE]
    assert read_csv(text) == template_values(counts)
    back = read_csv(text)
    assert back["dbr_excluded"] == (("Not peer support", 1), ("Clinical setting", 1))
    assert back["database_specific_results"] == (("MEDLINE (Ovid)", 6), ("Embase", 3))
    assert back["records_screened"] == 8 and back["new_reports"] == 3
    assert '"MEDLINE (Ovid), 6; Embase, 3"' in text


def test_csv_names_are_made_safe_and_other_kind_gets_its_row() -> None:
    counts = Prisma(database_results=5, database_specific_results=(("Embase, Elsevier; 2024", 5),),
                    other_results=4, records_stored=9, records_screened=5,
                    records_awaiting_screening=5, other_records_screened=4,
                    other_awaiting_screening=4)
    check_identities(counts)
    text = to_csv(counts)
    back = read_csv(text)
    assert back["database_specific_results"] == (("Embase - Elsevier - 2024", 5),)
    assert back["other_results"] == 4 and back["dbr_excluded"] == ()
    with pytest.raises(ReviewError, match=r"prisma\.csv, line 3: previous_studies: expected a "
                                          "number, found 'many'"):
        read_csv(text.replace("previous_studies.html,0", "previous_studies.html,many"),
                 "prisma.csv")
    with pytest.raises(ReviewError, match="not a PRISMA2020 template CSV"):
        read_csv("a,b\n1,2\n", "other.csv")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_source_names_and_reasons_cannot_run_as_formulas(start: str) -> None:
    import csv
    import io

    name, reason = f"{start}HYPERLINK(\"http://example.org\")", f"{start}SUM(A1)"
    counts = Prisma(database_results=5, database_specific_results=((name, 5),),
                    records_stored=5, records_screened=5, records_excluded=0,
                    dbr_sought_reports=5, dbr_assessed=5, dbr_excluded=((reason, 2),),
                    dbr_included_reports=3)
    text = to_csv(counts)
    cells = {row["data"]: row["n"] for row in csv.DictReader(io.StringIO(text, newline=""))}
    for data in ("database_specific_results", "dbr_excluded"):
        assert not cells[data].startswith(("=", "+", "-", "@", "\t", "\r")), cells[data]
    if start in "=+@":  # safe_name trims a hyphen or white space at either end anyway
        assert cells["database_specific_results"].startswith("'" + start)
    assert read_csv(text) == template_values(counts)  # the quote comes off again


def test_json_holds_every_count_and_the_identities(known: Store) -> None:
    document = json.loads(to_json(compute(known), review="Example"))
    assert document["counts"] == EXPECTED and document["complete"] is False
    assert document["pending"] == {"records_awaiting_screening": 1}
    assert all(i["holds"] for i in document["identities"]) and len(document["identities"]) > 10


def _box_texts(svg: str) -> dict[str, str]:
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    return {g.get("id"): " ".join(t.text or "" for t in g.iter(f"{ns}text"))
            for g in root.iter(f"{ns}g") if g.get("class") == "box"}


def test_svg_is_well_formed_and_holds_every_count(known: Store) -> None:
    counts = compute(known)
    svg = render_svg(counts, caption="Computed <from> the review & its data")
    texts = _box_texts(svg)
    everything = " ".join(texts.values())
    assert "Computed &lt;from&gt; the review &amp; its data" in svg
    expected = {
        "identified_dbr": ["Databases (n = 9)", "MEDLINE (Ovid) (n = 6)", "Embase (n = 3)",
                           "Registers (n = 2)", "ClinicalTrials.gov (n = 2)"],
        "removed_before_screening": ["Duplicate records removed (n = 2)",
                                     "automation tools (n = 1)", "other reasons (n = 0)"],
        "identified_other": ["Websites (n = 2)", "Organisations (n = 1)",
                             "Citation searching (n = 3)"],
        "records_screened": ["Records screened (n = 8)"],
        "records_excluded": ["Records excluded (n = 2)", "Awaiting screening (n = 1)"],
        "other_not_sought": ["register records (n = 1)", "Duplicate records removed (n = 1)",
                             "automation tools (n = 1)", "Records excluded (n = 1)"],
        "dbr_sought_reports": ["(n = 5)"], "dbr_notretrieved_reports": ["(n = 1)"],
        "dbr_assessed": ["(n = 4)"],
        "dbr_excluded": ["Reports excluded (n = 2)", "Not peer support (n = 1)",
                         "Clinical setting (n = 1)"],
        "other_sought_reports": ["(n = 2)"], "other_notretrieved_reports": ["(n = 0)"],
        "other_assessed": ["(n = 2)"],
        "other_excluded": ["Reports excluded (n = 1)", "Not about self-harm (n = 1)"],
        "included": ["Studies included in review (n = 2)", "Reports of included studies (n = 3)"],
    }
    assert set(texts) == set(expected)
    for box, parts in expected.items():
        for part in parts:
            assert part in texts[box], (box, part, texts[box])
    assert everything.count("(n = ") == 31
    root = ET.fromstring(svg)
    for band in ("Identification", "Screening", "Included"):
        assert any(t.text == band for t in root.iter("{http://www.w3.org/2000/svg}text"))


def test_diagram_fits_six_digit_counts_and_long_names() -> None:
    long_name = "Embase via Elsevier with the conference abstracts subset and in-process citations"
    counts = Prisma(database_results=999_999, database_specific_results=((long_name, 999_999),),
                    records_stored=999_999, duplicates=499_999, records_screened=500_000,
                    records_excluded=400_000, dbr_sought_reports=100_000,
                    dbr_notretrieved_reports=1, dbr_assessed=99_999,
                    dbr_excluded=(("Not peer support", 99_000),), dbr_included_reports=999,
                    new_studies=900, new_reports=999, total_studies=900, total_reports=999)
    check_identities(counts)
    found = boxes(counts)
    for box in found.values():
        box.layout()
        for text, indent, _ in box.rows:  # every line fits inside its box
            assert text_width(text) + indent <= box.width - 2 * PAD, (box.id, text)
    ident = " ".join(t for t, _, _ in found["identified_dbr"].rows)
    assert "(n = 999,999)" in ident and "Embase via Elsevier" in ident
    assert any(t.endswith("(n = 999,999)") for t, _, _ in found["identified_dbr"].rows)
    texts = _box_texts(render_svg(counts))
    assert "(n = 499,999)" in texts["removed_before_screening"]


def test_png_is_rendered_from_the_svg(known: Store) -> None:
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError) as exc:
        missing("cairo (CairoSVG and Debian's libcairo2)", str(exc))
    data = render_png(render_svg(compute(known)))
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    assert image.width > 1500 and image.height > 900


def test_a_broken_identity_is_a_named_error(known: Store) -> None:
    counts = compute(known)
    broken = dataclasses.replace(counts, records_excluded=counts.records_excluded + 1)
    with pytest.raises(PrismaIdentityError, match="screened = excluded") as caught:
        check_identities(broken)
    assert caught.value.identity == ("databases and registers: screened = excluded + awaiting "
                                     "+ reports sought")
    assert "records screened is 8, but records excluded 3 + awaiting screening 1 + reports " \
           "sought 5 make 9" in str(caught.value)
    broken = dataclasses.replace(counts, records_screened=counts.records_screened + 1)
    with pytest.raises(PrismaIdentityError, match="identified = removed before screening"):
        check_identities(broken)
    broken = dataclasses.replace(counts, dbr_excluded=(("Not peer support", 2),
                                                       ("Clinical setting", 1)))
    with pytest.raises(PrismaIdentityError, match="reports assessed = excluded"):
        check_identities(broken)
    with pytest.raises(PrismaIdentityError, match="every included study"):
        check_identities(dataclasses.replace(counts, new_studies=4, total_studies=4))
    with pytest.raises(PrismaIdentityError, match="not negative"):
        check_identities(dataclasses.replace(counts, excluded_other=-1))


def test_inconsistent_data_are_refused_not_drawn(known: Store) -> None:
    state = t.screening_state
    with known.write() as conn:  # a damaged database: a group lost its first-stage row
        gid = conn.execute(state.select().where(state.c.stage == TA).limit(1)).first().group_id
        conn.execute(state.delete().where(state.c.group_id == gid))
    with pytest.raises(PrismaIdentityError, match="identified = "):
        compute(known)


def test_cli_prints_counts_and_writes_every_file(known: Store, tmp_path: Path) -> None:
    db = known.url
    out = {ext: tmp_path / f"prisma.{ext}" for ext in ("csv", "json", "svg", "png")}
    result = CliRunner().invoke(main, ["prisma", "--db", db, *[
        a for ext, path in out.items() for a in (f"--{ext}", str(path))]])
    assert result.exit_code == 0, result.output
    assert "Records screened 8; excluded 2" in result.output
    assert "Pending: records awaiting screening (databases and registers): 1" in result.output
    assert read_csv(out["csv"].read_text(encoding="utf-8")) == template_values(compute(known))
    assert json.loads(out["json"].read_text(encoding="utf-8"))["counts"] == EXPECTED
    ET.fromstring(out["svg"].read_text(encoding="utf-8"))
    assert out["png"].read_bytes()[:4] == b"\x89PNG"
    bad = CliRunner().invoke(main, ["prisma", "--db", db, "--csv", str(tmp_path / "no" / "x")])
    assert bad.exit_code == 1 and "cannot be written" in bad.output


def test_prisma_page_shows_the_diagram_and_downloads(known: Store) -> None:
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "review" / "ui" / "pages" / "prisma.py"),
                            default_timeout=60)
    from review.accounts import Reviewer
    from review.ui.session import _KEY

    app.session_state["store"] = known
    app.session_state[_KEY] = Reviewer(2, "Ana", "reviewer", False, True)
    app.run()
    assert not app.exception and not app.title  # a plain reviewer is refused
    assert "leads and observers" in app.error[0].value
    app.session_state[_KEY] = Reviewer(1, "Lead", "lead", False, True)  # as stored
    app.run()
    assert not app.exception
    assert app.title[0].value == "PRISMA"
    assert "Titles and abstracts (title_abstract): 1 record waiting for votes" in \
        app.info[0].value and "provisional" in app.info[0].value
    labels = [b.label for b in app.get("download_button")]
    assert labels == ["CSV (PRISMA2020 template)", "JSON", "SVG", "PNG"]
    assert [type(e).__name__ for e in app.main].count("Image") == 1
    table = app.dataframe[0].value
    assert table["Holds"].all() and len(table) == len(identities(compute(known)))


# --- random sequences: the identities always hold ------------------------------------------

POOL = [work(k, y) for k, y in (("p1", 2015), ("p2", 2016), ("p3", 1994), ("p4", 2018))]
# near copies: same title, nothing else to confirm it (the engine leaves them to a person)
WEAK = ("TY  - RPRT\nTI  - Study p1 of community peer support in place number p1\nPY  - 2015\n"
        "PB  - Example Trust\nER  - \n")
KINDS = ("database", "register", "website", "citation", "previous")

operation = st.one_of(  # earlier branches come up more often: records must move on
    st.tuples(st.just("agree"), st.integers(0, 6), st.sampled_from(["include", "exclude"]),
              st.sampled_from([TA, FT])),
    st.tuples(st.just("vote"), st.sampled_from(["Ana", "Ben"]), st.integers(0, 6),
              st.sampled_from(["include", "exclude", "maybe"]), st.sampled_from([TA, FT])),
    # a report taken through to the end (included at both stages, its PDF attached): the
    # included boxes must not hang on the seed lining up three separate operations
    st.tuples(st.just("through"), st.integers(0, 6)),
    st.tuples(st.just("resolve"), st.integers(0, 6), st.sampled_from(["include", "exclude"])),
    st.tuples(st.just("not retrieved"), st.integers(0, 6)),
    st.tuples(st.just("pdf"), st.integers(0, 6)),
    st.tuples(st.just("link"), st.integers(0, 6), st.integers(0, 6)),
    st.tuples(st.just("import"), st.integers(0, 6), st.sampled_from(KINDS), st.booleans()),
    st.tuples(st.just("pair"), st.integers(0, 5), st.sampled_from(["confirm", "reject"])),
    st.tuples(st.just("split"), st.integers(0, 5)),
    st.tuples(st.just("dedupe")),
)


def _apply(store: Store, folder: Path, op: tuple, step: int) -> None:
    records = sorted(r for g in list_groups(store, min_size=1) for r in g["records"])
    pick = (lambda i: records[i % len(records)]) if records else (lambda i: 0)
    kind = op[0]
    if kind == "import":
        path = folder / f"import{step}.ris"
        text = POOL[op[1] % len(POOL)] + ("\n" + WEAK if op[3] else "")
        path.write_text(text + f"\nTY  - JOUR\nTI  - Unique work {step}\nPY  - 2020\nER  - \n",
                        encoding="utf-8")
        import_files(store, [path], SourceInfo(f"Source {op[2]}", op[2]), actor="t")
        if op[3]:
            run_dedupe(store, actor="t")
    elif kind == "dedupe":
        run_dedupe(store, actor="t")
    elif kind == "pair":
        pairs = list_pairs(store)
        if pairs:
            decide_pair(store, pairs[op[1] % len(pairs)]["id"], op[2], actor="t")
    elif kind == "split":
        groups = list_groups(store)
        if groups:
            split_group(store, groups[op[1] % len(groups)]["group"], actor="t")
    elif kind == "vote":
        reason = "Not peer support" if op[3] == "exclude" and op[4] == FT else None
        screening.cast_vote(store, op[1], pick(op[2]), op[3], stage=op[4], reason=reason,
                            note="read on paper" if op[4] == FT else None)
    elif kind == "agree":  # both reviewers vote alike (at full text: after including it)
        if op[3] == FT:
            _include_at_ta(store, pick(op[1]))
        reason = "Not about self-harm" if op[2] == "exclude" and op[3] == FT else None
        for person in ("Ana", "Ben"):
            screening.cast_vote(store, person, pick(op[1]), op[2], stage=op[3], reason=reason,
                                note="read on paper" if op[3] == FT else None)
    elif kind == "through":
        _include_at_ta(store, pick(op[1]))
        attach_pdf(store, pick(op[1]), PDF, "x.pdf", actor="t")
        for person in ("Ana", "Ben"):
            screening.cast_vote(store, person, pick(op[1]), "include", stage=FT,
                                note="read on paper")
    elif kind == "link":
        studies = list_studies(store)
        if studies:
            target = studies[op[2] % len(studies)]
            link_report(store, studies[op[1] % len(studies)].records[0], target.id, actor="t")
    elif kind == "resolve":
        found = conflicts.conflicts(store, "Lead")
        if found:
            c = found[op[1] % len(found)]
            conflicts.resolve(store, c.record_id, op[2], by="Lead", stage=c.stage,
                              reason="Not peer support" if c.stage == FT else None)
    elif kind == "pdf":
        _include_at_ta(store, pick(op[1]))
        attach_pdf(store, pick(op[1]), PDF, "x.pdf", actor="t")
    elif kind == "not retrieved":
        _include_at_ta(store, pick(op[1]))
        mark_not_retrieved(store, pick(op[1]), "not available", actor="t")


def _include_at_ta(store: Store, record_id: int) -> None:
    """Both reviewers include the record at titles and abstracts, where they still can (so
    random sequences reach full texts); a refused vote is part of the game."""
    for person in ("Ana", "Ben"):
        try:
            screening.cast_vote(store, person, record_id, "include", stage=TA)
        except ReviewError:
            return


def _run_sequence(ops: list[tuple]) -> set[str]:
    """Apply the operations to a fresh review, computing the counts (which checks every
    identity) after each; returns the boxes that held a count at some point."""
    reached: set[str] = set()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        protocol = base / "protocol.toml"
        protocol.write_text(protocol_text(automatic=True), encoding="utf-8")
        store = create_review(protocol, base / "r.db", actor="t")
        for name, role in (("Lead", "lead"), ("Ana", "reviewer"), ("Ben", "reviewer")):
            add_reviewer(store, name, role=role, actor="t")
        for name, kind, works in (("MEDLINE", "database", ("b1", "b2", "b3", "b6")),
                                  ("Embase", "database", ("b1",)),
                                  ("Citation searching", "citation", ("b2", "b4", "b5"))):
            path = base / f"{kind}.ris"
            path.write_text("\n".join(work(w, 1995 if w == "b6" else 2015) for w in works),
                            encoding="utf-8")
            import_files(store, [path], SourceInfo(name, kind), actor="t")
        run_dedupe(store, actor="t")
        try:
            for step, op in enumerate(ops):
                try:
                    _apply(store, base, op, step)
                except ReviewError as exc:  # a refused operation changes nothing
                    assert not isinstance(exc, PrismaIdentityError)
                counts = compute(store)  # raises PrismaIdentityError if a sum is broken
                assert counts.records_stored == (counts.identified_dbr + counts.identified_other
                                                 + counts.previous_records)
                reached.update(k for k, v in counts.as_dict().items() if v)
            assert (counts.new_studies, counts.new_reports) == study_counts(store)
        finally:
            store.close()
    return reached


@dataclasses.dataclass
class Explored:
    reached: set[str]
    failure: BaseException | None


@pytest.fixture(scope="module")
def explored() -> Explored:
    """The random sequences, run once for the two tests below (so each can run alone or in any
    order): the boxes they reached, and the falsifying example if an identity broke."""
    reached: set[str] = set()

    @settings(max_examples=50, deadline=None, derandomize=True,  # the same sequences every
              suppress_health_check=[HealthCheck.too_slow])  # run: the reach check is stable
    @given(st.lists(operation, min_size=4, max_size=16))
    def explore(ops: list[tuple]) -> None:
        reached.update(_run_sequence(ops))

    try:
        explore()
    except Exception as exc:  # hypothesis's falsifying example, re-raised by the test below
        return Explored(reached, exc)
    return Explored(reached, None)


def test_identities_hold_after_any_sequence(explored: Explored) -> None:
    if explored.failure is not None:
        raise explored.failure


def test_random_sequences_reach_every_kind_of_box(explored: Explored) -> None:
    """The sequences above are worth something only if they get records through to the end."""
    assert explored.failure is None, "the sequences broke an identity (see the test above)"
    wanted = {"duplicates", "excluded_automatic", "records_excluded", "dbr_sought_reports",
              "dbr_notretrieved_reports", "dbr_assessed", "dbr_included_reports", "new_studies",
              "other_sought_reports", "other_duplicates_of_dbr", "previous_reports",
              "total_studies"}
    assert wanted <= explored.reached, sorted(wanted - explored.reached)
