"""Updated and living reviews, and the PRISMA 2020 diagram's wording and finish (SQLite and
PostgreSQL): a previous version's included reports imported with --kind previous are never
screened, search records duplicating them are removed before screening, and the diagram,
JSON and R template CSV follow the updated-review template; a search run again later brings
only its new records to screening; `review prisma --final` refuses while anything is pending.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from review.accounts import add_reviewer
from review.cli.main import main
from review.duplicates import run_dedupe
from review.errors import ReviewError
from review.importing import SourceInfo, import_and_deduplicate, import_files, new_records
from review.prisma.counts import compute, identities
from review.prisma.diagram import CITATION, DASHED_NOTE, render_svg
from review.prisma.final import NotFinalError, final_counts, pending_work
from review.prisma.template import read_csv, to_csv, to_json
from review.project import create_review
from review.screening import conflicts
from review.screening import votes as screening
from review.screening.fulltext import attach_pdf
from review.store import Store
from review.store import schema as t
from tests.test_prisma import _box_texts, work
from tests.test_screening import PDF, protocol_text

TA, FT = "title_abstract", "full_text"
SVG = "{http://www.w3.org/2000/svg}"


def _write(path: Path, *keys: str, year: int = 2015) -> Path:
    path.write_text("\n".join(work(k, year) for k in keys), encoding="utf-8")
    return path


def _review(db: str, tmp_path: Path) -> Store:
    protocol = tmp_path / "protocol.toml"
    protocol.write_text(protocol_text(), encoding="utf-8")
    store = create_review(protocol, db, actor="lead")
    for name, role in (("Lead", "lead"), ("Ana", "reviewer"), ("Ben", "reviewer")):
        add_reviewer(store, name, role=role, actor="lead")
    return store


def _ids(store: Store) -> dict[str, list[int]]:
    """Record ids by work key ("Study KEY of ..."), every copy, oldest first."""
    out: dict[str, list[int]] = {}
    with store.read() as conn:
        for rid, title in conn.execute(sa.select(t.records.c.id, t.records.c.title)
                                       .order_by(t.records.c.id)):
            out.setdefault(title.split()[1], []).append(rid)
    return out


def _both(store: Store, rid: int, decision: str, stage: str = TA,
          reason: str | None = None) -> None:
    for who in ("Ana", "Ben"):
        screening.cast_vote(store, who, rid, decision, stage=stage,
                            reason=reason if decision == "exclude" else None)


def _screened_groups(store: Store) -> set[int]:
    state = t.screening_state
    with store.read() as conn:
        return {g for (g,) in conn.execute(sa.select(state.c.group_id).distinct())}


def _group(store: Store, rid: int) -> int:
    links = t.record_groups
    with store.read() as conn:
        return conn.execute(sa.select(links.c.group_id).where(links.c.record_id == rid)
                            ).scalar_one()


# --- an updated review ----------------------------------------------------------------------

@pytest.fixture
def updated(db_url: str, tmp_path: Path):
    """Version 1 included reports p1, p2, p3 (p2 twice in its file: one report) of 2 studies;
    the new search finds p1 and p2 again and n1..n4; citation searching finds p3 and c1."""
    store = _review(db_url, tmp_path)
    import_and_deduplicate(store, [_write(tmp_path / "v1.ris", "p1", "p2", "p2", "p3")],
                           SourceInfo("Version 1 (2021)", "previous", studies=2), actor="lead")
    import_and_deduplicate(
        store, [_write(tmp_path / "medline.ris", "p1", "p2", "n1", "n2", "n3", "n4")],
        SourceInfo("MEDLINE (Ovid)", "database", "2026-01-15"), actor="lead")
    import_and_deduplicate(store, [_write(tmp_path / "citations.ris", "p3", "c1")],
                           SourceInfo("Citation searching", "citation"), actor="lead")
    yield store
    store.close()


def _screen_updated(store: Store) -> None:
    ids = _ids(store)
    for key in ("n1", "n2", "c1"):
        _both(store, ids[key][0], "include")
    _both(store, ids["n3"][0], "exclude")
    _both(store, ids["n4"][0], "exclude")
    for key in ("n1", "n2", "c1"):
        attach_pdf(store, ids[key][0], PDF, f"{key}.pdf", actor="lead")
    _both(store, ids["n1"][0], "include", FT)
    _both(store, ids["n2"][0], "exclude", FT, "Not peer support")
    _both(store, ids["c1"][0], "include", FT)


def test_previous_reports_are_never_screened(updated: Store) -> None:
    ids = _ids(updated)
    previous = {_group(updated, ids[k][0]) for k in ("p1", "p2", "p3")}
    assert len(previous) == 3  # p2's two copies are one report
    screened = _screened_groups(updated)
    assert not previous & screened
    assert {_group(updated, ids[k][0]) for k in ("n1", "n2", "n3", "n4", "c1")} == screened
    # the new search's copies of p1 and p2 joined the previous reports: never in a queue
    assert {_group(updated, ids["p1"][1]), _group(updated, ids["p2"][2])} <= previous
    assert screening.queue_size(updated, "Ana") == 5
    with pytest.raises(ReviewError, match="not at titles and abstracts"):
        screening.cast_vote(updated, "Ana", ids["p1"][1], "include", stage=TA)
    run_dedupe(updated, actor="lead")  # a later run changes nothing
    assert _screened_groups(updated) == screened


def test_updated_review_counts_follow_the_updated_template(updated: Store) -> None:
    _screen_updated(updated)
    p = compute(updated)
    assert p.updated and p.complete
    assert (p.previous_records, p.previous_reports, p.previous_studies) == (4, 3, 2)
    assert (p.database_results, p.citations_results, p.records_stored) == (6, 2, 12)
    assert (p.duplicates, p.duplicates_of_previous) == (2, 2)
    assert p.other_duplicates_of_previous == 1 and p.other_not_sought == 1
    assert (p.records_screened, p.records_excluded, p.dbr_sought_reports) == (4, 2, 2)
    assert (p.dbr_included_reports, p.other_included_reports) == (1, 1)
    assert (p.new_studies, p.new_reports) == (2, 2)
    assert (p.total_studies, p.total_reports) == (4, 5)
    assert all(i.holds for i in identities(p))
    names = {i.name for i in identities(p)}
    assert "total studies = new studies + previous version's studies" in names

    document = json.loads(to_json(p, review="Update"))
    counts = document["counts"]
    assert (counts["previous_studies"], counts["previous_reports"]) == (2, 3)
    assert counts["total_studies"] == counts["new_studies"] + counts["previous_studies"] == 4
    assert counts["total_reports"] == counts["new_reports"] + counts["previous_reports"] == 5

    text = to_csv(p)
    back = read_csv(text)
    assert (back["previous_studies"], back["previous_reports"]) == (2, 3)
    assert (back["total_studies"], back["total_reports"], back["new_studies"]) == (4, 5, 2)
    assert "Identification of new studies via databases and registers" in text
    assert "New studies included in review" in text and "Reports of new included studies" in text


def test_updated_review_diagram_has_the_previous_studies_column(updated: Store) -> None:
    _screen_updated(updated)
    svg = render_svg(compute(updated))
    root = ET.fromstring(svg)
    headers = {g.get("id"): " ".join(x.text or "" for x in g.iter(f"{SVG}text"))
               for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("header-")}
    assert headers["header-previous"] == "Previous studies"
    assert headers["header-dbr"].startswith("Identification of new studies via databases")
    assert "Identification of new studies via other methods" in headers["header-other"]
    texts = _box_texts(svg)
    for part in ("Studies included in previous version of review (n = 2)",
                 "previous version of review (n = 3)"):
        assert part in texts["previous"], texts["previous"]
    assert "New studies included in review (n = 2)" in texts["included"]
    assert "Reports of new included studies (n = 2)" in texts["included"]
    assert "Total studies included in review (n = 4)" in texts["total"]
    assert "Reports of total included studies (n = 5)" in texts["total"]
    assert "duplicates of reports in the previous version (n = 2)" in \
        texts["removed_before_screening"]
    assert "Duplicates of reports in the previous version (n = 1)" in texts["other_not_sought"]
    # both the previous studies and the new ones lead to the total
    previous, total = (next(g for g in root.iter(f"{SVG}g") if g.get("id") == i)
                       for i in ("previous", "total"))
    assert float(total[0].get("y")) > float(previous[0].get("y"))


def test_a_new_review_uses_the_new_review_wording(tmp_path: Path) -> None:
    store = _review(str(tmp_path / "new.db"), tmp_path)
    import_and_deduplicate(store, [_write(tmp_path / "m.ris", "a1", "a2")],
                           SourceInfo("MEDLINE (Ovid)", "database"), actor="lead")
    p = compute(store)
    assert not p.updated and (p.previous_studies, p.previous_reports) == (0, 0)
    svg = render_svg(p)
    assert "Identification of studies via databases and registers" in svg
    assert "Identification of studies via other methods" in svg
    assert "new studies" not in svg.lower() and "Previous studies" not in svg
    assert "Studies included in review (n = 0)" in _box_texts(svg)["included"]
    text = to_csv(p)
    assert "Identification of studies via databases and registers" in text
    assert "Identification of new studies" not in text
    assert read_csv(text)["previous_studies"] == 0
    store.close()


def test_the_footer_cites_the_template_and_explains_the_dashed_box(updated: Store) -> None:
    p = compute(updated)
    svg = render_svg(p)
    footer = " ".join(x.text or "" for g in ET.fromstring(svg).iter(f"{SVG}g")
                      if g.get("id") == "footer" for x in g.iter(f"{SVG}text"))
    assert "BMJ 2021;372:n71" in footer and "Page MJ" in footer
    assert CITATION.split(". ")[0] in footer
    assert "Dashed box: not a box of the PRISMA 2020 template" in footer
    assert "Provisional counts" in footer  # nothing screened yet
    dashed = [g.get("id") for g in ET.fromstring(svg).iter(f"{SVG}g")
              if any(r.get("stroke-dasharray") for r in g.iter(f"{SVG}rect"))]
    assert dashed == ["other_not_sought"]
    assert "Records not sought for retrieval:*" in _box_texts(svg)["other_not_sought"]


def test_no_dashed_box_no_footnote(tmp_path: Path) -> None:
    store = _review(str(tmp_path / "plain.db"), tmp_path)
    import_and_deduplicate(store, [_write(tmp_path / "m.ris", "a1")],
                           SourceInfo("MEDLINE (Ovid)", "database"), actor="lead")
    svg = render_svg(compute(store))
    assert "stroke-dasharray" not in svg and DASHED_NOTE.split(".")[0] not in svg
    assert "BMJ 2021;372:n71" in svg
    store.close()


def test_stated_studies_are_checked(tmp_path: Path) -> None:
    store = _review(str(tmp_path / "s.db"), tmp_path)
    with pytest.raises(ReviewError, match="cannot have 5 studies from 2 reports"):
        import_files(store, [_write(tmp_path / "v1.ris", "p1", "p2")],
                     SourceInfo("Version 1", "previous", studies=5), actor="lead")
    with pytest.raises(ReviewError, match="goes with --kind previous only"):
        SourceInfo("MEDLINE", "database", studies=3).checked()
    with store.read() as conn:  # refused whole: nothing landed
        assert conn.execute(sa.select(sa.func.count()).select_from(t.sources)).scalar() == 0
    store.close()


# --- --final --------------------------------------------------------------------------------

def test_final_is_refused_naming_what_is_pending_then_drawn_without_italics(
        updated: Store, tmp_path: Path) -> None:
    ids = _ids(updated)
    _both(updated, ids["n1"][0], "include")
    screening.cast_vote(updated, "Ana", ids["n2"][0], "include", stage=TA)
    screening.cast_vote(updated, "Ana", ids["n3"][0], "include", stage=TA)
    screening.cast_vote(updated, "Ben", ids["n3"][0], "exclude", stage=TA)
    lines = pending_work(updated)
    assert "Titles and abstracts (title_abstract): 3 records waiting for votes, 1 conflict " \
           "to resolve" in lines
    assert "Full texts (full_text): 1 report waiting for the full text (attach it or mark it " \
           "not retrieved)" in lines
    out = tmp_path / "final.svg"
    result = CliRunner().invoke(main, ["prisma", "--final", "--svg", str(out),
                                       "--db", updated.url])
    assert result.exit_code == 1, result.output
    assert "not final" in result.output and "1 conflict to resolve" in result.output
    assert "Titles and abstracts (title_abstract)" in result.output
    assert not out.exists()
    with pytest.raises(NotFinalError):
        final_counts(updated)
    provisional = render_svg(compute(updated))
    assert 'font-style="italic"' in provisional  # pending lines are italic until the end
    with pytest.raises(ReviewError, match="not final"):
        render_svg(compute(updated), final=True)

    conflicts.resolve(updated, ids["n3"][0], "exclude", by="Lead", stage=TA)
    screening.cast_vote(updated, "Ben", ids["n2"][0], "include", stage=TA)
    for key in ("n4", "c1"):
        _both(updated, ids[key][0], "exclude")
    for key in ("n1", "n2"):
        attach_pdf(updated, ids[key][0], PDF, f"{key}.pdf", actor="lead")
    _both(updated, ids["n1"][0], "include", FT)
    _both(updated, ids["n2"][0], "exclude", FT, "Not peer support")
    assert pending_work(updated) == []
    result = CliRunner().invoke(main, ["prisma", "--final", "--svg", str(out), "--json",
                                       str(tmp_path / "final.json"), "--db", updated.url])
    assert result.exit_code == 0, result.output
    assert "Final counts" in result.output
    assert "Previous version: studies 2, reports 3" in result.output
    assert "New studies included 1; reports of new included studies 1" in result.output
    assert "Total studies included 3; reports of total included studies 4" in result.output
    svg = out.read_text(encoding="utf-8")
    assert "italic" not in svg and "Provisional" not in svg
    assert "Final counts: no stage of the review has pending work." in svg
    document = json.loads((tmp_path / "final.json").read_text(encoding="utf-8"))
    assert document["complete"] is True and document["counts"]["total_studies"] == 3


def test_final_waits_for_deduplication(tmp_path: Path) -> None:
    store = _review(str(tmp_path / "d.db"), tmp_path)
    import_files(store, [_write(tmp_path / "m.ris", "a1")], SourceInfo("MEDLINE", "database"),
                 actor="lead")
    assert pending_work(store) == ["deduplication: 1 record imported but not deduplicated "
                                   "('review dedupe')"]
    store.close()


# --- living reviews -------------------------------------------------------------------------

@pytest.fixture
def living(db_url: str, tmp_path: Path):
    store = _review(db_url, tmp_path)
    import_and_deduplicate(store, [_write(tmp_path / "run1.ris", "a1", "a2", "a3")],
                           SourceInfo("MEDLINE (Ovid)", "database", "2025-11-01"), actor="lead")
    yield store
    store.close()


def test_a_search_run_again_brings_only_its_new_records(living: Store, tmp_path: Path) -> None:
    ids = _ids(living)
    _both(living, ids["a1"][0], "exclude")
    before = _screened_groups(living)
    assert screening.queue_size(living, "Ana") == 2
    # the re-run: a1 and a2 again (a2's title corrected since: only its DOI says it is the
    # same record), and two new records
    rerun = "\n".join([work("a1"), work("a2").replace("Study a2 of community",
                                                      "A different wording, study two, on"),
                       work("b1"), work("b2")])
    (tmp_path / "run2.ris").write_text(rerun, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(tmp_path / "run2.ris"), "--source",
                                       "MEDLINE (Ovid)", "--date", "2026-11-01",
                                       "--db", living.url])
    assert result.exit_code == 0, result.output
    assert "2 of these records an earlier run of 'MEDLINE (Ovid)' had already brought (not " \
           "screened again); 2 are new to it." in result.output
    after = _screened_groups(living)
    assert len(after - before) == 2  # only b1 and b2 reach screening
    assert screening.queue_size(living, "Ana") == 4
    ids = _ids(living)
    assert _group(living, ids["a1"][1]) == _group(living, ids["a1"][0])
    assert _group(living, ids["different"][0]) == _group(living, ids["a2"][0])
    state = t.screening_state
    with living.read() as conn:  # a1's decision stands: it is not screened again
        assert conn.execute(sa.select(state.c.outcome).where(
            state.c.group_id == _group(living, ids["a1"][0]), state.c.stage == TA)
        ).scalar_one() == "exclude"

    new = new_records(living)
    assert sorted(new.values()) == [2, 3]
    listing = CliRunner().invoke(main, ["sources", "--format", "csv", "--db", living.url])
    assert listing.exit_code == 0, listing.output
    runs = list(csv.DictReader(io.StringIO(listing.output)))
    assert [(r["searched_on"], r["record_count"], r["new_records"]) for r in runs] == [
        ("2025-11-01", "3", "3"), ("2026-11-01", "4", "2")]

    p = compute(living)  # records identified per run; the ones found again are duplicates
    assert (p.database_results, p.duplicates, p.records_screened) == (7, 2, 5)
    assert p.database_specific_results == (("MEDLINE (Ovid)", 7),)
    assert all(i.holds for i in identities(p))


def test_a_rerun_needs_its_date_and_keeps_the_kind(living: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "again.ris", "a1", "z9")
    with pytest.raises(ReviewError, match=r"was searched on 2025-11-01: give this run's search "
                                          r"date \(--date YYYY-MM-DD, or Searched on in the app\)"):
        import_files(living, [path], SourceInfo("MEDLINE (Ovid)", "database"), actor="lead")
    with pytest.raises(ReviewError, match="imported as kind 'database'"):
        import_files(living, [path], SourceInfo("MEDLINE (Ovid)", "register", "2026-01-01"),
                     actor="lead")
    # the same date adds files to that run: nothing in them counts as found again
    import_and_deduplicate(living, [path], SourceInfo("MEDLINE (Ovid)", "database",
                                                      "2025-11-01"), actor="lead")
    assert sorted(new_records(living).values()) == [2, 3]


def test_accession_numbers_recognise_a_record_found_again(tmp_path: Path) -> None:
    """A record whose title and DOI both changed between runs is still known by its
    accession number (with its year and first author); a file's sequence numbers are not."""
    store = _review(str(tmp_path / "acc.db"), tmp_path)
    first = work("q1").replace("DO  - 10.5555/example.q1\n", "AN  - 2012345678\n")
    second = (work("q1").replace("Study q1 of community peer support",
                                 "Entirely retitled report about online help")
              .replace("DO  - 10.5555/example.q1\n", "AN  - 2012345678\n"))
    (tmp_path / "r1.ris").write_text(first + "\n" + work("q2").replace(
        "DO  - 10.5555/example.q2\n", "ID  - 17\n"), encoding="utf-8")
    other = ("TY  - JOUR\nTI  - Sleep quality of hospital shift workers\nAU  - Lindqvist, Eva\n"
             "PY  - 2015\nJO  - Sleep Medicine Notes\nID  - 17\nER  - \n")
    (tmp_path / "r2.ris").write_text(second + "\n" + other, encoding="utf-8")
    import_and_deduplicate(store, [tmp_path / "r1.ris"], SourceInfo("Embase", "database",
                                                                    "2025-01-01"), actor="lead")
    import_and_deduplicate(store, [tmp_path / "r2.ris"], SourceInfo("Embase", "database",
                                                                    "2026-01-01"), actor="lead")
    ids = _ids(store)
    assert _group(store, ids["retitled"][0]) == _group(store, ids["q1"][0])
    assert _group(store, ids["quality"][0]) != _group(store, ids["q2"][0])  # "ID 17": apart
    store.close()


SUPPLEMENT = "10.1016/j.eurpsy.2025.s1"  # one DOI for every abstract of a journal supplement


def _abstract(title: str, author: str, page: str) -> str:
    return (f"TY  - CONF\nTI  - {title}\nAU  - {author}\nPY  - 2025\nJO  - European Psychiatry\n"
            f"VL  - 68\nIS  - S1\nSP  - {page}\nDO  - {SUPPLEMENT}\nER  - \n")


def test_a_rerun_never_joins_works_that_share_only_a_doi(db_url: str, tmp_path: Path) -> None:
    """Conference abstracts of one supplement share its DOI: on the search's re-run the same
    abstract joins its earlier copy, but new abstracts carrying the DOI are new works, screened
    like any other, even one whose title is much like an earlier abstract's."""
    store = _review(db_url, tmp_path)
    pilot = _abstract("Peer support groups for adolescents after self-harm: a pilot study",
                      "Okafor, Ada", "S101")
    (tmp_path / "r1.ris").write_text(pilot, encoding="utf-8")
    (tmp_path / "r2.ris").write_text("\n".join([
        pilot,
        _abstract("Volunteer listening services in rural Wales: a service evaluation",
                  "Price, Rhian", "S102"),
        _abstract("Text-message follow-up after emergency department attendance for "
                  "self-harm", "Moreau, Luc", "S103"),
        _abstract("Peer support for adults after self-harm in prisons: a pilot study",
                  "Lindqvist, Eva", "S104")]), encoding="utf-8")
    import_and_deduplicate(store, [tmp_path / "r1.ris"], SourceInfo("Embase", "database",
                                                                    "2025-06-01"), actor="lead")
    import_and_deduplicate(store, [tmp_path / "r2.ris"], SourceInfo("Embase", "database",
                                                                    "2026-06-01"), actor="lead")
    ids = _ids(store)
    assert _group(store, ids["support"][1]) == _group(store, ids["support"][0])  # found again
    groups = {_group(store, ids[key][0]) for key in ("support", "listening", "follow-up")}
    groups.add(_group(store, ids["support"][2]))  # the prisons abstract (80% alike titles)
    assert len(groups) == 4
    assert groups <= _screened_groups(store)
    assert screening.queue_size(store, "Ana") == 4
    assert sorted(new_records(store).values()) == [1, 3]
    store.close()


def test_a_doi_many_records_carry_joins_only_the_same_title_again(db_url: str,
                                                                   tmp_path: Path) -> None:
    """A supplement of 30 abstracts under one DOI, searched again: the abstract found again
    joins its copy; a new one with a near title (one word changed) is left to the engine."""
    store = _review(db_url, tmp_path)
    topics = [f"Supplement abstract{i} on peer support, topic {i}, in a community setting"
              for i in range(30)]
    (tmp_path / "r1.ris").write_text("\n".join(
        _abstract(title, f"Author{i}, A", f"S{i}") for i, title in enumerate(topics)),
        encoding="utf-8")
    (tmp_path / "r2.ris").write_text("\n".join([
        _abstract(topics[7], "Author7, A", "S7"),
        _abstract(topics[8].replace("community", "hospital"), "Other, B", "S99")]),
        encoding="utf-8")
    for name, date in (("r1.ris", "2025-06-01"), ("r2.ris", "2026-06-01")):
        import_and_deduplicate(store, [tmp_path / name], SourceInfo("Embase", "database", date),
                               actor="lead")
    ids = _ids(store)
    assert _group(store, ids["abstract7"][1]) == _group(store, ids["abstract7"][0])
    assert _group(store, ids["abstract8"][1]) != _group(store, ids["abstract8"][0])
    assert sorted(new_records(store).values()) == [1, 30]
    store.close()


def test_migration_9_keeps_every_source_and_accepts_kind_previous(tmp_path: Path) -> None:
    from tests.conftest import migrate_up_to

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        migrate_up_to(conn, 8)
        conn.exec_driver_sql(
            "INSERT INTO sources (id, name, kind, file_name, sha256, format, encoding, "
            "line_endings, size_bytes, searched_on, imported_at, imported_by, record_count) "
            "VALUES (7, 'MEDLINE', 'database', 'm.ris', 'abc', 'ris', 'utf-8', 'lf', 10, "
            "'2025-01-01', '2026-01-01T00:00:00Z', 'lead', 1)")
        conn.exec_driver_sql(
            "INSERT INTO records (id, source_id, position, source_line, raw, authors, issn, "
            "isbn, keywords, search_text) VALUES (3, 7, 1, 1, '{}', '[]', '[]', '[]', '[]', '')")
    engine.dispose()
    store = Store.open(url)  # migrates
    with store.read() as conn:
        assert conn.execute(sa.select(t.sources.c.id, t.sources.c.name)).all() == [
            (7, "MEDLINE")]
        assert conn.execute(sa.select(t.records.c.source_id)).scalar_one() == 7
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    with store.write() as conn:
        conn.execute(t.sources.insert().values(
            name="Version 1", kind="previous", file_name="v1.ris", sha256="def", format="ris",
            encoding="utf-8", line_endings="lf", size_bytes=1, imported_at="x",
            imported_by="lead", record_count=0))
    with pytest.raises(sa.exc.IntegrityError), store.write() as conn:
        conn.execute(t.sources.insert().values(
            name="X", kind="nonsense", file_name="x", sha256="0", format="ris",
            encoding="utf-8", line_endings="lf", size_bytes=1, imported_at="x",
            imported_by="lead", record_count=0))
    with pytest.raises(sa.exc.IntegrityError), store.write() as conn:  # sha256 still unique
        conn.execute(t.sources.insert().values(
            name="Y", kind="database", file_name="y", sha256="abc", format="ris",
            encoding="utf-8", line_endings="lf", size_bytes=1, imported_at="x",
            imported_by="lead", record_count=0))
    store.close()


def test_prisma_page_says_final_once_nothing_is_pending(updated: Store) -> None:
    from streamlit.testing.v1 import AppTest

    from review.accounts import Reviewer
    from review.ui.session import _KEY

    root = Path(__file__).resolve().parent.parent
    app = AppTest.from_file(str(root / "review" / "ui" / "pages" / "prisma.py"),
                            default_timeout=60)
    app.session_state["store"] = updated
    app.session_state[_KEY] = Reviewer(1, "Lead", "lead", False, True)
    app.run()
    assert not app.exception
    assert "provisional" in app.info[0].value and "waiting for votes" in app.info[0].value
    _screen_updated(updated)
    app.run()
    assert not app.exception and not app.info
    assert app.success[0].value == "Final counts: no stage of the review has pending work."


def test_final_after_screening_was_stopped_leaves_the_unscreened_out(updated: Store) -> None:
    from review.screening.prioritise import stop_screening

    ids = _ids(updated)
    for key in ("n3", "n4", "c1"):
        _both(updated, ids[key][0], "exclude")
    screening.cast_vote(updated, "Ana", ids["n2"][0], "include", stage=TA)
    screening.cast_vote(updated, "Ben", ids["n2"][0], "exclude", stage=TA)
    stop_screening(updated, by="Lead", note="recall target reached")
    # n1 was never voted on: not screened, waiting for nobody; n2's conflict still waits
    assert pending_work(updated) == [
        "Titles and abstracts (title_abstract): 1 conflict to resolve"]
    conflicts.resolve(updated, ids["n2"][0], "exclude", by="Lead", stage=TA)
    assert pending_work(updated) == []
    p = final_counts(updated)
    svg = render_svg(p, final=True)
    assert "italic" not in svg
    assert "Not screened, screening stopped on" in _box_texts(svg)["records_excluded"]


def test_previous_reports_imported_late_take_their_duplicates_out_of_screening(
        living: Store, tmp_path: Path) -> None:
    ids = _ids(living)
    screening.cast_vote(living, "Ana", ids["a1"][0], "include", stage=TA)
    import_and_deduplicate(living, [_write(tmp_path / "v1.ris", "a1")],
                           SourceInfo("Version 1", "previous"), actor="lead")
    assert _group(living, ids["a1"][0]) not in _screened_groups(living)
    assert screening.queue_size(living, "Ben") == 2
    p = compute(living)
    assert (p.previous_reports, p.previous_studies, p.duplicates_of_previous) == (1, 1, 1)
    assert (p.records_screened, p.records_awaiting_screening) == (2, 2)
    assert all(i.holds for i in identities(p))
