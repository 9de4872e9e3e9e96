"""Moving a review in from Rayyan or Covidence, on SQLite and PostgreSQL: rows matched to the
review's works by DOI, PubMed id or the dedupe engine's comparison; unmatched and ambiguous rows
listed (and written to a CSV) with nothing landed until they are settled or skipped; Rayyan's
reviewers mapped to accounts, its reasons to the protocol's, its labels and notes kept; a
Covidence stage list settled by a lead; every file whole or not at all.

The exports are of our own making, in the tools' layouts (Rayyan's articles.csv with its notes
column; Covidence's CSV and RIS reference lists), on invented peer-support-for-self-harm works.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from review.accounts import AccessError, add_reviewer
from review.cli.main import main
from review.duplicates import run_dedupe
from review.errors import InputError, ReviewError
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.screening.foreign import (
    UnsettledRows,
    describe,
    import_covidence,
    import_rayyan,
    unsettled_path,
)
from review.screening.labels import my_labels
from review.screening.rayyan import NotesError, parse_notes
from review.screening.votes import cast_vote
from review.store import Store
from review.store import schema as t
from tests.test_screening import audit_actions, protocol_text

# Invented works. Ids 1..8 in this order (deduplication keeps them apart: 7 and 8 share a
# title but not their authors or journal, so they are two works).
SEARCH = """\
TY  - JOUR
TI  - Peer support in online self-harm forums: a qualitative study of moderators
AU  - Hartley, Jo
AU  - Okafor, Ngozi
PY  - 2019
JO  - Journal of Online Peer Support
VL  - 12
SP  - 101
EP  - 110
DO  - 10.5555/jops.2019.0101
ER  -

TY  - JOUR
TI  - Volunteer-led peer groups for young people who self-harm
AU  - Lindqvist, Maja
AU  - Brennan, Tom
PY  - 2017
JO  - Youth Wellbeing Quarterly
VL  - 4
SP  - 33
EP  - 41
AN  - 31000001
N1  - PMID: 31000001
ER  -

TY  - JOUR
TI  - Lived experience mentoring after self-harm in community settings
AU  - Adeyemi, Tolu
AU  - Fairweather, Rose
PY  - 2021
JO  - Community Mental Health Review
VL  - 9
SP  - 210
EP  - 222
ER  -

TY  - JOUR
TI  - Risks of contagion in peer-run self-harm discussion boards
AU  - Moreau, Claire
PY  - 2016
JO  - Journal of Online Peer Support
VL  - 9
SP  - 12
EP  - 20
DO  - 10.5555/jops.2016.0012
ER  -

TY  - JOUR
TI  - School peer listening schemes and disclosure of self-harm
AU  - Nakamura, Ken
AU  - Price, Alys
PY  - 2018
JO  - Pastoral Care in Education Research
VL  - 36
SP  - 5
EP  - 17
ER  -

TY  - JOUR
TI  - Helplines staffed by peers for people who self-harm: an evaluation
AU  - Oduya, Grace
PY  - 2015
JO  - Voluntary Sector Health
VL  - 7
SP  - 88
EP  - 96
ER  -

TY  - JOUR
TI  - Peer support for people who self-harm: a qualitative study
AU  - Castillo, Elena
AU  - Reyes, Marco
PY  - 2020
JO  - Qualitative Mental Health Research
VL  - 3
SP  - 1
EP  - 14
ER  -

TY  - JOUR
TI  - Peer support for people who self-harm: a qualitative study
AU  - Whitfield, Harry
PY  - 2020
JO  - Nordic Journal of Community Care
VL  - 22
SP  - 301
EP  - 312
ER  -
"""

HEADER = ("key,title,authors,journal,issn,volume,issue,pages,day,month,year,publisher,pmc_id,"
          "pubmed_id,url,abstract,notes,doi,keywords\n")


def rayyan_row(key: str, title: str, authors: str, year: int | str, notes: str, *,
               doi: str = "", pmid: str = "", journal: str = "", volume: str = "",
               pages: str = "") -> str:
    def q(value: object) -> str:
        text = str(value)
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text
    return ",".join(q(v) for v in (key, title, authors, journal, "", volume, "", pages, "", "",
                                   year, "", "", pmid, "", "", notes, doi, "")) + "\n"


# by DOI (with another title wording), by PubMed id, by title/authors/year; with two reviewers
# (one name with a space), a maybe, labels, a mapped and an unmapped reason, and notes
ROW_DOI = rayyan_row(
    "rayyan-1001", "Peer support in online self harm forums - a qualitative study of moderators",
    "Hartley, J. and Okafor, N.", 2019,
    'RAYYAN-INCLUSION: {"Ana Silva"=>"Included", "Ben"=>"Included"} | RAYYAN-LABELS: forum, '
    'moderation | USER-NOTES: {"Ana Silva"=>["moderators | volunteers", "UK only"]}',
    doi="https://doi.org/10.5555/JOPS.2019.0101")
ROW_PMID = rayyan_row(
    "rayyan-1002", "Volunteer led peer groups for young people who self harm",
    "Lindqvist, M. and Brennan, T.", 2017,
    'RAYYAN-INCLUSION: {"Ana Silva"=>"Excluded", "Ben"=>"Maybe"} | '
    "RAYYAN-EXCLUSION-REASONS: wrong setting,background article",
    pmid="31000001")
ROW_TITLE = rayyan_row(
    "rayyan-1003", "Lived experience mentoring after self-harm in community settings.",
    "Adeyemi, Tolu and Fairweather, Rose", 2021,
    'RAYYAN-INCLUSION: {"Ana Silva"=>"Excluded", "Ben"=>"Excluded"} | '
    "RAYYAN-EXCLUSION-REASONS: wrong setting", journal="Community Mental Health Review",
    volume="9", pages="210-222")
ROW_UNDECIDED = rayyan_row(
    "rayyan-1004", "School peer listening schemes and disclosure of self-harm",
    "Nakamura, K. and Price, A.", 2018, 'RAYYAN-LABELS: schools')
ROW_AMBIGUOUS = rayyan_row(
    "rayyan-1005", "Peer support for people who self-harm: a qualitative study", "", 2020,
    'RAYYAN-INCLUSION: {"Ben"=>"Included"}')
ROW_UNMATCHED = rayyan_row(
    "rayyan-1006", "Text message befriending for carers of adolescents", "Quinn, P.", 2022,
    'RAYYAN-INCLUSION: {"Ana Silva"=>"Excluded"}')
GOOD = HEADER + ROW_DOI + ROW_PMID + ROW_TITLE + ROW_UNDECIDED
MAP = ("Ana Silva=Ana",)
REASONS = ("wrong setting=Clinical setting",)


def make_review(db_url: str, tmp_path: Path) -> Store:
    path = tmp_path / "protocol.toml"
    path.write_text(protocol_text(), encoding="utf-8")
    store = create_review(path, db_url, actor="lead")
    export = tmp_path / "search.ris"
    export.write_text(SEARCH, encoding="utf-8")
    import_files(store, [export], SourceInfo("PsycINFO (Ovid)", "database", "2025-03-01"),
                 actor="lead")
    run_dedupe(store, actor="lead")
    for name, role, resolver in (("Lead", "lead", False), ("Ana", "reviewer", False),
                                 ("Ben", "reviewer", False), ("Cleo", "reviewer", True),
                                 ("Olu", "observer", False)):
        add_reviewer(store, name, role=role, resolver=resolver, actor="lead")
    return store


@pytest.fixture
def review(db_url: str, tmp_path: Path):
    store = make_review(db_url, tmp_path)
    yield store
    store.close()


def write(tmp_path: Path, text: str, name: str = "articles.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(store: Store) -> tuple:
    with store.read() as conn:
        return tuple(tuple(conn.execute(sa.select(table)).all())
                     for table in (t.decisions, t.resolutions, t.screening_state, t.audit_log))


def votes(store: Store) -> dict[tuple[int, str], dict]:
    d, r, g = t.decisions, t.reviewers, t.duplicate_groups
    with store.read() as conn:
        return {(row["record"], row["name"]): dict(row) for row in conn.execute(
            sa.select(d, r.c.name, g.c.kept_record_id.label("record"))
            .join(r, r.c.id == d.c.reviewer_id).join(g, g.c.id == d.c.group_id)).mappings()}


def state(store: Store, record: int, stage: str = "title_abstract") -> dict | None:
    s, g = t.screening_state, t.duplicate_groups
    with store.read() as conn:
        row = conn.execute(sa.select(s).join(g, g.c.id == s.c.group_id).where(
            g.c.kept_record_id == record, s.c.stage == stage)).mappings().first()
    return dict(row) if row else None


# --- Rayyan's notes column -----------------------------------------------------------------


def test_rayyan_notes_read_names_with_spaces_quotes_and_several_reviewers() -> None:
    notes = parse_notes(
        'Imported from Embase | RAYYAN-INCLUSION: {"Ana Silva"=>"Included", '
        '"O\\"Neill, K"=>"Excluded", "Zoë Ng" => "Maybe"} | RAYYAN-LABELS: forum, youth ,forum'
        ' | RAYYAN-EXCLUSION-REASONS: wrong population,foreign language | USER-NOTES: '
        '{"Ana Silva"=>["ask | the team", "second"], "Zoë Ng"=>[]} | RAYYAN-LATER-THING: x')
    assert notes.inclusion == {"Ana Silva": "include", 'O"Neill, K': "exclude",
                               "Zoë Ng": "maybe"}
    assert notes.labels == ["forum", "youth"]
    assert notes.reasons == ["wrong population", "foreign language"]
    assert notes.user_notes == {"Ana Silva": ["ask | the team", "second"]}
    assert notes.other == "Imported from Embase"
    assert parse_notes("").inclusion == {} and parse_notes("just a note").other == "just a note"
    assert parse_notes('RAYYAN-INCLUSION: {"A\\u00e9"=>"included"}').inclusion == {
        "Aé": "include"}


@pytest.mark.parametrize(("text", "message"), [
    ('RAYYAN-INCLUSION: {"Ana"=>"Yes"}', "'Ana' decided 'Yes'"),
    ('RAYYAN-INCLUSION: {"Ana"=>"Included"', "expected ',' or '}'"),
    ('RAYYAN-INCLUSION: {"Ana=>"Included"}', "expected '=>'"),
    ('RAYYAN-INCLUSION: {"Ana"=>"Included"} stray', "unexpected 'stray'"),
    ('RAYYAN-INCLUSION: Ana=Included', "expected '{'"),
    ('RAYYAN-INCLUSION: {} | RAYYAN-INCLUSION: {}', "appears twice"),
    ('USER-NOTES: {"Ana"=>["never closed]}', "never closed"),
])
def test_rayyan_notes_that_do_not_read_say_why(text: str, message: str) -> None:
    with pytest.raises(NotesError, match=message.replace("(", r"\(").replace("{", r"\{")):
        parse_notes(text)


# --- Rayyan import -------------------------------------------------------------------------


def test_rayyan_votes_land_matched_by_doi_pmid_and_title(review, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    result = import_rayyan(path, review, actor="Lead", reviewer_map=MAP, reason_map=REASONS)
    assert result.matched == {"doi": 1, "pmid": 1, "title": 1}
    assert (result.added, result.changed, result.unchanged) == (6, 0, 0)
    assert result.without_votes == 1 and result.kept_aside[0]["labels"] == ["schools"]
    assert result.unmapped_reasons == {"background article": 1}
    found = votes(review)
    assert {k: v["decision"] for k, v in found.items()} == {
        (1, "Ana"): "include", (1, "Ben"): "include", (2, "Ana"): "exclude",
        (2, "Ben"): "maybe", (3, "Ana"): "exclude", (3, "Ben"): "exclude"}
    assert {v["origin"] for v in found.values()} == {"rayyan"}
    assert {v["stage"] for v in found.values()} == {"title_abstract"}
    # the reviewer's own notes; the row's labels become each voter's own labels; a mapped
    # reason as the reason, an unmapped one kept in the note; a maybe carries no reason
    assert found[(1, "Ana")]["note"] == "moderators | volunteers; UK only"
    assert found[(1, "Ben")]["note"] is None
    for name in ("Ana", "Ben"):
        assert my_labels(review, name, 1) == ["forum", "moderation"]
    assert my_labels(review, "Ana", 3) == []
    assert found[(2, "Ana")]["reason"] == "Clinical setting"
    assert found[(2, "Ana")]["note"] == ("Rayyan exclusion reasons: wrong setting, background "
                                         "article")
    assert found[(2, "Ben")]["reason"] is None
    assert (found[(3, "Ana")]["reason"], found[(3, "Ana")]["note"]) == ("Clinical setting", None)
    assert (state(review, 1)["outcome"], state(review, 3)["outcome"]) == ("include", "exclude")
    assert state(review, 2)["state"] == "conflict"  # an exclusion and a maybe disagree
    assert state(review, 4)["votes"] == 0  # undecided in Rayyan: screened here
    logged = audit_actions(review, "import decisions")[-1]
    assert logged["detail"]["from"] == "rayyan" and logged["detail"]["added"] == 6
    assert logged["detail"]["kept_aside"][0]["labels"] == ["schools"]
    again = import_rayyan(path, review, actor="Lead", reviewer_map=MAP, reason_map=REASONS)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 6)


def test_rayyan_ris_export_carries_the_notes_in_n1(review, tmp_path: Path) -> None:
    ris = ("TY  - JOUR\nTI  - Risks of contagion in peer-run self-harm discussion boards\n"
           "AU  - Moreau, Claire\nPY  - 2016\nDO  - 10.5555/jops.2016.0012\n"
           'N1  - RAYYAN-INCLUSION: {"Ana Silva"=>"Excluded", "Ben"=>"Excluded"} | '
           "RAYYAN-EXCLUSION-REASONS: wrong setting\nER  - \n")
    result = import_rayyan(write(tmp_path, ris, "articles.ris"), review, actor="Lead",
                           reviewer_map=MAP, reason_map=REASONS)
    assert result.matched == {"doi": 1} and result.added == 2
    assert (state(review, 4)["outcome"], state(review, 4)["reason"]) == (
        "exclude", "Clinical setting")


def test_imported_votes_are_what_casting_them_here_would_make(
        db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The import writes first votes in bulk; decisions, states and the audit entries of the
    votes must be exactly those that cast_vote makes, vote by vote."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    imported = make_review(db_url, tmp_path / "a")
    import_rayyan(write(tmp_path, GOOD), imported, actor="Lead", reviewer_map=MAP,
                  reason_map=REASONS)
    second = (request.getfixturevalue("postgres").new_database()
              if db_url.startswith("postgresql") else str(tmp_path / "b" / "review.db"))
    other = make_review(second, tmp_path / "b")
    for (record, name), vote in sorted(votes(imported).items()):
        cast_vote(other, name, record, vote["decision"], reason=vote["reason"],
                  note=vote["note"], origin="rayyan")

    def picture(store: Store) -> tuple:
        found = {k: {f: v[f] for f in ("decision", "reason", "criteria", "note", "origin",
                                      "stage", "changes")} for k, v in votes(store).items()}
        with store.read() as conn:
            states = sorted((r.group_id, r.stage, r.state, r.outcome, r.decided_by, r.reason,
                             r.votes) for r in conn.execute(sa.select(t.screening_state)))
        logged = sorted((a["actor"], a["entity"], sorted(a["detail"].items()))
                        for a in audit_actions(store, "vote"))
        return found, states, logged

    assert picture(imported) == picture(other)
    imported.close()
    other.close()


def test_a_changed_rayyan_vote_changes_the_vote_here(review, tmp_path: Path) -> None:
    import_rayyan(write(tmp_path, GOOD), review, actor="Lead", reviewer_map=MAP,
                  reason_map=REASONS)
    changed = GOOD.replace('{""Ana Silva""=>""Excluded"", ""Ben""=>""Maybe""}',
                           '{""Ana Silva""=>""Included"", ""Ben""=>""Maybe""}')
    assert changed != GOOD
    result = import_rayyan(write(tmp_path, changed), review, actor="Lead", reviewer_map=MAP,
                           reason_map=REASONS)
    assert (result.added, result.changed, result.unchanged) == (0, 1, 5)
    ana = votes(review)[(2, "Ana")]
    assert (ana["decision"], ana["reason"], ana["changes"]) == ("include", None, 1)
    assert state(review, 2)["state"] == "decided"  # include and maybe: on to full text


def test_unmatched_and_ambiguous_rows_are_listed_and_nothing_lands(review,
                                                                   tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + ROW_AMBIGUOUS + ROW_UNMATCHED)
    before = snapshot(review)
    with pytest.raises(UnsettledRows) as caught:
        import_rayyan(path, review, actor="Lead", reviewer_map=MAP)
    message = str(caught.value)
    listed = unsettled_path(path)
    assert str(listed) in message and "--skip-unmatched" in message and "--matches" in message
    assert "row 5 (line 6)" in message and "row 6 (line 7)" in message
    assert snapshot(review) == before
    rows = list(csv.DictReader(io.StringIO(listed.read_text(encoding="utf-8"))))
    assert [(r["row"], r["key"], r["problem"].split(":")[0]) for r in rows] == [
        ("5", "rayyan-1005", "ambiguous"), ("6", "rayyan-1006", "unmatched")]
    assert rows[0]["candidates"].startswith("7 (") and "; 8 (" in rows[0]["candidates"]
    # skipped: the rest lands, and the skipped rows are named
    result = import_rayyan(path, review, actor="Lead", reviewer_map=MAP, skip_unmatched=True)
    assert result.added == 6 and [s["row"] for s in result.skipped] == [5, 6]
    assert (7, "Ben") not in votes(review)


def test_a_person_settles_rows_in_the_listed_csv(review, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + ROW_AMBIGUOUS + ROW_UNMATCHED)
    with pytest.raises(UnsettledRows):
        import_rayyan(path, review, actor="Lead", reviewer_map=MAP)
    listed = unsettled_path(path)

    def settle(choices: dict[str, str]) -> None:
        rows = list(csv.DictReader(io.StringIO(listed.read_text(encoding="utf-8"))))
        for row in rows:
            row["record"] = choices.get(row["row"], row["record"])
        with listed.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    settle({"5": "8"})  # the ambiguous row is record 8
    before = snapshot(review)
    with pytest.raises(UnsettledRows, match="1 row"):  # row 6 is still open
        import_rayyan(path, review, actor="Lead", reviewer_map=MAP, matches=listed)
    assert snapshot(review) == before
    # the list was written again in place, keeping the choice already made
    rows = list(csv.DictReader(io.StringIO(listed.read_text(encoding="utf-8"))))
    assert [(r["row"], r["problem"].split(":")[0], r["record"]) for r in rows] == [
        ("5", "settled by you", "8"), ("6", "unmatched", "")]
    settle({"6": "skip"})
    result = import_rayyan(path, review, actor="Lead", reviewer_map=MAP, matches=listed)
    assert result.matched["by you"] == 1 and result.skipped[0]["why"] == "skipped by you"
    assert votes(review)[(8, "Ben")]["decision"] == "include"
    settle({"6": "nonsense"})
    with pytest.raises(InputError, match="unmatched.csv, line 3: record 'nonsense'"):
        import_rayyan(path, review, actor="Lead", reviewer_map=MAP, matches=listed)
    stale = tmp_path / "stale.csv"
    stale.write_text("row,title,record\n5,Another title altogether,8\n", encoding="utf-8")
    with pytest.raises(InputError, match="stale.csv: row 5 is titled 'Another title"):
        import_rayyan(path, review, actor="Lead", reviewer_map=MAP, matches=stale)


def test_records_not_yet_deduplicated_are_named_as_the_reason(db_url: str,
                                                              tmp_path: Path) -> None:
    store = create_review(write(tmp_path, protocol_text(), "protocol.toml"), db_url,
                          actor="lead")
    import_files(store, [write(tmp_path, SEARCH, "search.ris")],
                 SourceInfo("PsycINFO (Ovid)", "database"), actor="lead")
    add_reviewer(store, "Ana", actor="lead")
    add_reviewer(store, "Ben", actor="lead")
    with pytest.raises(UnsettledRows, match="8 record\\(s\\) are not deduplicated yet: run "
                                            "'review dedupe' first"):
        import_rayyan(write(tmp_path, HEADER + ROW_DOI), store, actor="Lead",
                      reviewer_map=MAP)
    store.close()


def test_reviewer_names_map_to_accounts(review, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    before = snapshot(review)
    with pytest.raises(InputError, match=r"articles.csv: no account here for the Rayyan "
                                         r"reviewer\(s\) 'Ana Silva'.*--reviewer-map"):
        import_rayyan(path, review, actor="Lead")
    with pytest.raises(InputError, match="'Ben' \\(mapped to 'Benedict', who is not a user\\)"):
        import_rayyan(path, review, actor="Lead", reviewer_map=MAP + ("ben=Benedict",))
    with pytest.raises(InputError, match="Olu is an observer"):
        import_rayyan(path, review, actor="Lead", reviewer_map=("ana silva = Olu",))
    with pytest.raises(InputError, match="line 3: row 2: two Rayyan reviewers mapped to Ana "
                                         "decided differently \\(exclude, maybe\\)"):
        import_rayyan(path, review, actor="Lead", reviewer_map=MAP + ("Ben=Ana",))
    with pytest.raises(ReviewError, match="--reviewer-map 'Ana Silva': write it as"):
        import_rayyan(path, review, actor="Lead", reviewer_map=("Ana Silva",))
    assert snapshot(review) == before
    import_rayyan(path, review, actor="Lead", reviewer_map=("ANA SILVA=Cleo", "Ben=Ana"))
    assert {(r, n) for r, n in votes(review)} == {(1, "Cleo"), (1, "Ana"), (2, "Cleo"),
                                                  (2, "Ana"), (3, "Cleo"), (3, "Ana")}


def test_reasons_map_to_the_protocol_or_stay_in_the_note(review, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    with pytest.raises(ReviewError, match="'Setting' is not one of the protocol's exclusion"):
        import_rayyan(path, review, actor="Lead", reviewer_map=MAP,
                      reason_map=("wrong setting=Setting",))
    result = import_rayyan(path, review, actor="Lead", reviewer_map=MAP,
                           reason_map=("Background Article=Not primary research",
                                       "wrong setting=Clinical setting"))
    assert result.unmapped_reasons == {}
    ana = votes(review)[(2, "Ana")]
    # two reasons mapped: the first in the protocol's order is the vote's reason, and both
    # of Rayyan's stay in the note
    assert ana["reason"] == "Clinical setting"
    assert ana["note"] == "Rayyan exclusion reasons: wrong setting, background article"


def test_a_late_failure_leaves_nothing(review, tmp_path: Path) -> None:
    # record 6 already has the two votes it needs here: Cleo's Rayyan vote cannot land
    cast_vote(review, "Ana", 6, "include")
    cast_vote(review, "Ben", 6, "include")
    late = rayyan_row("rayyan-1009", "Helplines staffed by peers for people who self-harm: an "
                      "evaluation", "Oduya, Grace", 2015,
                      'RAYYAN-INCLUSION: {"Cleo"=>"Excluded"}',
                      journal="Voluntary Sector Health", volume="7", pages="88-96")
    path = write(tmp_path, GOOD + late)
    before = snapshot(review)
    with pytest.raises(InputError) as caught:
        import_rayyan(path, review, actor="Lead", reviewer_map=MAP)
    assert "articles.csv, line 6: row 5 (Cleo on record 6)" in str(caught.value)
    assert "already has the votes it needs" in str(caught.value)
    assert snapshot(review) == before


def test_one_work_twice_with_opposite_votes_is_refused(review, tmp_path: Path) -> None:
    twice = rayyan_row("rayyan-2001", "Peer support in online self-harm forums: a qualitative "
                       "study of moderators", "Hartley, Jo", 2019,
                       'RAYYAN-INCLUSION: {"Ben"=>"Excluded"}', doi="10.5555/jops.2019.0101")
    path = write(tmp_path, GOOD + twice)
    with pytest.raises(InputError, match="row 1 .* and row 5 are one work here \\(record 1\\), "
                                         "and Ben decided include on one and exclude"):
        import_rayyan(path, review, actor="Lead", reviewer_map=MAP)


def test_bad_rayyan_input_names_file_and_line(review, tmp_path: Path) -> None:
    bad = rayyan_row("rayyan-3001", "Anything", "A, B", 2020,
                     'RAYYAN-INCLUSION: {"Ben"=>"Probably"}')
    with pytest.raises(InputError) as caught:
        import_rayyan(write(tmp_path, GOOD + bad), review, actor="Lead", reviewer_map=MAP)
    assert str(caught.value).endswith("articles.csv, line 6: row 5: notes: RAYYAN-INCLUSION: "
                                      "'Ben' decided 'Probably'; Rayyan writes Included, "
                                      "Excluded or Maybe")
    with pytest.raises(InputError, match="line 1: no notes column"):
        import_rayyan(write(tmp_path, "key,title,year\n1,A title here,2020\n", "plain.csv"),
                      review, actor="Lead")
    with pytest.raises(InputError, match="nowhere.csv: cannot read"):
        import_rayyan(tmp_path / "nowhere.csv", review, actor="Lead")
    with pytest.raises(InputError, match="line 3"):
        import_rayyan(write(tmp_path, HEADER + ROW_DOI + '"unclosed,' + ROW_PMID, "q.csv"),
                      review, actor="Lead", reviewer_map=MAP)


# --- Covidence -------------------------------------------------------------------------------

COVIDENCE_CSV = (
    "Title,Authors,Abstract,Published Year,Published Month,Journal,Volume,Issue,Pages,"
    "Accession Number,DOI,Ref,Covidence #,Study,Notes,Tags\n"
    '"Peer support in online self-harm forums: a qualitative study of moderators",'
    '"Hartley, J.; Okafor, N.",,2019,,Journal of Online Peer Support,12,,101-110,,'
    "10.5555/jops.2019.0101,,#12,Hartley 2019,,\n"
    '"Lived experience mentoring after self-harm in community settings",'
    '"Adeyemi, T.; Fairweather, R.",,2021,,Community Mental Health Review,9,,210-222,,,,#31,'
    "Adeyemi 2021,,\n")

COVIDENCE_RIS = """\
TY  - JOUR
TI  - Risks of contagion in peer-run self-harm discussion boards
AU  - Moreau, C.
PY  - 2016
T2  - Journal of Online Peer Support
VL  - 9
SP  - 12-20
DO  - 10.5555/jops.2016.0012
ER  -

TY  - JOUR
TI  - Helplines staffed by peers for people who self-harm: an evaluation
AU  - Oduya, G.
PY  - 2015
T2  - Voluntary Sector Health
VL  - 7
SP  - 88-96
ER  -
"""


def test_covidence_list_settles_the_stage_and_the_ones_before(review, tmp_path: Path) -> None:
    path = write(tmp_path, COVIDENCE_CSV, "review_1_included_csv.csv")
    result = import_covidence(path, review, stage="full_text", decision="include", by="Lead",
                              actor="Lead")
    assert result.matched == {"doi": 1, "title": 1}
    assert (result.added, result.earlier_stages) == (2, 2)
    for record in (1, 3):
        for stage in ("title_abstract", "full_text"):
            row = state(review, record, stage)
            assert (row["state"], row["outcome"], row["decided_by"]) == (
                "decided", "include", "resolution")
    settled = audit_actions(review, "settle from covidence")
    assert len(settled) == 4 and {a["actor"] for a in settled} == {"Lead"}
    with review.read() as conn:
        notes = {r.note for r in conn.execute(sa.select(t.resolutions.c.note))}
    assert "From Covidence: review_1_included_csv.csv" in notes
    again = import_covidence(path, review, stage="full_text", decision="include", by="Lead",
                             actor="Lead")
    assert (again.added, again.unchanged) == (0, 2)


def test_covidence_ris_excluded_list_needs_the_protocols_reason(review, tmp_path: Path) -> None:
    path = write(tmp_path, COVIDENCE_RIS, "excluded.ris")
    result = import_covidence(path, review, stage="title_abstract", decision="exclude",
                              by="Lead", actor="Lead")
    assert result.matched == {"doi": 1, "title": 1} and result.added == 2
    assert (state(review, 4)["outcome"], state(review, 6)["outcome"]) == ("exclude", "exclude")
    before = snapshot(review)
    with pytest.raises(ReviewError, match="needs a reason from the protocol's list"):
        import_covidence(write(tmp_path, COVIDENCE_CSV, "ft.csv"), review, stage="full_text",
                         decision="exclude", by="Lead", actor="Lead")
    with pytest.raises(AccessError, match="Ana is a reviewer; a lead settles"):
        import_covidence(path, review, stage="title_abstract", decision="exclude", by="Ana",
                         actor="Ana")
    assert snapshot(review) == before
    import_covidence(write(tmp_path, COVIDENCE_CSV, "ft.csv"), review, stage="full_text",
                     decision="exclude", reason="clinical setting", by="Lead", actor="Lead")
    assert (state(review, 1, "full_text")["outcome"], state(review, 1, "full_text")["reason"]
            ) == ("exclude", "Clinical setting")


def test_covidence_against_a_decision_already_here_lands_nothing(review, tmp_path: Path) -> None:
    cast_vote(review, "Ana", 3, "exclude")
    cast_vote(review, "Ben", 3, "exclude")
    path = write(tmp_path, COVIDENCE_CSV, "included.csv")
    before = snapshot(review)
    with pytest.raises(InputError) as caught:
        import_covidence(path, review, stage="full_text", decision="include", by="Lead",
                         actor="Lead")
    assert "included.csv, line 3: row 2 (record 3) is already decided at titles and " \
           "abstracts as exclude by votes" in str(caught.value)
    assert snapshot(review) == before


def test_covidence_stops_on_votes_not_decided_unless_over_votes(review, tmp_path: Path) -> None:
    """Record 1 is in conflict at titles and abstracts, record 3 has one vote there: work in
    progress that the list's settlement would silently override. It stops the import, naming
    each row and what is there, unless the lead asks to settle over the votes."""
    cast_vote(review, "Ana", 1, "include")
    cast_vote(review, "Ben", 1, "exclude", reason="clinical setting")
    cast_vote(review, "Ana", 3, "include")
    path = write(tmp_path, COVIDENCE_CSV, "included.csv")
    before = snapshot(review)
    with pytest.raises(InputError) as caught:
        import_covidence(path, review, stage="full_text", decision="include", by="Lead",
                         actor="Lead")
    message = str(caught.value)
    assert "included.csv, line 2: row 1: record 1 has 2 votes at titles and abstracts and is " \
           "not decided (the votes disagree); 1 more row(s) the same: row 2 (line 3)." in message
    assert "nothing was imported" in message and "--over-votes" in message
    assert snapshot(review) == before
    cast_vote(review, "Ben", 1, "include")  # no longer in conflict: decided include, fine
    with pytest.raises(InputError, match="row 2: record 3 has 1 vote at titles and abstracts "
                                         "and is not decided. The Covidence list says include "
                                         r"\(as the list is of a later stage\)"):
        import_covidence(path, review, stage="full_text", decision="include", by="Lead",
                         actor="Lead")
    cast_vote(review, "Ben", 1, "exclude", reason="clinical setting")  # in conflict again
    result = import_covidence(path, review, stage="full_text", decision="include", by="Lead",
                              actor="Lead", over_votes=True)
    assert (result.added, result.earlier_stages, result.over_votes) == (2, 2, 2)
    assert any("2 work(s) settled over reviewers' votes" in line for line in describe(result))
    for record in (1, 3):
        row = state(review, record)
        assert (row["state"], row["outcome"], row["decided_by"]) == ("decided", "include",
                                                                     "resolution")
    assert len(votes(review)) == 3  # the votes stay beside the settlement
    settled = {a["detail"]["record"]: a["detail"]["over_votes"]
               for a in audit_actions(review, "settle from covidence")
               if a["detail"]["stage"] == "title_abstract"}
    assert settled == {1: 2, 3: 1}
    [entry] = audit_actions(review, "import decisions")
    assert entry["detail"]["over_votes"] == 2


def test_covidence_unmatched_rows_are_listed(review, tmp_path: Path) -> None:
    text = COVIDENCE_RIS + ("\nTY  - JOUR\nTI  - Text message befriending for carers of "
                            "adolescents\nPY  - 2022\nER  - \n")
    path = write(tmp_path, text, "irrelevant.ris")
    before = snapshot(review)
    with pytest.raises(UnsettledRows, match="row 3 \\(line 20\\)"):
        import_covidence(path, review, stage="title_abstract", decision="exclude", by="Lead",
                         actor="Lead")
    assert snapshot(review) == before and unsettled_path(path).name == "irrelevant.unmatched.csv"
    result = import_covidence(path, review, stage="title_abstract", decision="exclude",
                              by="Lead", actor="Lead", skip_unmatched=True)
    assert result.added == 2 and result.skipped[0]["row"] == 3


# --- the command ---------------------------------------------------------------------------


def test_the_command_imports_from_rayyan_and_covidence(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "review.db")
    make_review(db, tmp_path).close()
    monkeypatch.setenv("REVIEW_USER", "Lead")
    runner = CliRunner()

    def run(*args: object, code: int = 0):
        result = runner.invoke(main, [str(a) for a in args] + ["--db", db],
                               catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    path = write(tmp_path, GOOD + ROW_UNMATCHED)
    out = run("decisions", "import", path, "--from", "rayyan", "--reviewer-map", MAP[0],
              code=1)
    assert "nothing imported" in out and "articles.unmatched.csv" in out
    assert "Traceback" not in out
    out = run("decisions", "import", path, "--from", "rayyan", "--reviewer-map", MAP[0],
              "--reason-map", REASONS[0], "--skip-unmatched")
    assert "matched 1 by DOI, 1 by PubMed id, 1 by title, authors and year" in out
    assert "6 added" in out and "background article (1)" in out and "row 5 (unmatched" in out
    out = run("decisions", "import", write(tmp_path, COVIDENCE_RIS, "ex.ris"), "--from",
              "covidence", "--stage", "title_abstract", "--decision", "exclude", "--by",
              "Lead")
    assert "Settled: 2 added" in out
    out = run("decisions", "import", path, "--from", "covidence", "--stage", "full_text",
              code=2)
    assert "--from covidence needs --decision, --by" in out
    out = run("decisions", "import", path, "--reviewer-map", "A=B", code=2)
    assert "--reviewer-map do(es) not go with --from ours" in out
    out = run("decisions", "import", path, "--from", "rayyan", "--over-votes", code=2)
    assert "--over-votes do(es) not go with --from rayyan" in out
    # on a fresh review: votes not decided stop a Covidence list, unless --over-votes
    db = str(tmp_path / "second.db")
    store = make_review(db, tmp_path)
    cast_vote(store, "Ana", 1, "include")
    store.close()
    listed = write(tmp_path, COVIDENCE_CSV, "included.csv")
    args = ("decisions", "import", listed, "--from", "covidence", "--stage", "title_abstract",
            "--decision", "include", "--by", "Lead")
    out = run(*args, code=1)
    assert "row 1: record 1 has 1 vote at titles and abstracts and is not decided" in out
    assert "Traceback" not in out
    out = run(*args, "--over-votes")
    assert "Settled: 2 added" in out and "1 work(s) settled over reviewers' votes" in out


# --- the app's Move in page ------------------------------------------------------------------


def test_the_app_page_imports_an_upload_as_the_command_does(review, tmp_path: Path) -> None:
    from review.accounts import get_reviewer
    from review.ui.move_in_page import lines, run_import

    lead = get_reviewer(review, "Lead")
    options = {"reviewer_map": "Ana Silva=Ana\n\n", "reason_map": REASONS[0]}
    data = (GOOD + ROW_UNMATCHED).encode("utf-8")
    before = snapshot(review)
    with pytest.raises(UnsettledRows) as caught:
        run_import(review, lead, "rayyan", "../articles.csv", data, options)
    assert snapshot(review) == before
    listing = list(csv.DictReader(io.StringIO(caught.value.listing)))
    assert [(r["row"], r["problem"].split(":")[0]) for r in listing] == [("5", "unmatched")]
    listing[0]["record"] = "skip"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(listing[0]))
    writer.writeheader()
    writer.writerows(listing)
    summary = run_import(review, lead, "rayyan", "articles.csv", data, options,
                         out.getvalue().encode("utf-8"))
    assert summary[0].startswith("articles.csv: 5 row(s); matched 1 by DOI")
    assert "6 added" in summary[1] and summary[-1].startswith("Skipped 1 row(s): row 5")
    summary = run_import(review, lead, "covidence", "irrelevant.ris",
                         COVIDENCE_RIS.encode("utf-8"),
                         {"stage": "title_abstract", "decision": "exclude", "reason": ""})
    assert summary[-1] == "Settled: 2 added, 0 already so."
    assert lines(" a=b \n\n c=d") == ["a=b", "c=d"]


def test_the_app_page_asks_what_each_tool_needs(review) -> None:
    from streamlit.testing.v1 import AppTest

    from review.accounts import get_reviewer

    script = Path(__file__).resolve().parent.parent / "review" / "ui" / "pages" / "move_in.py"
    app = AppTest.from_file(str(script), default_timeout=60)
    app.session_state["store"] = review
    app.session_state["reviewer"] = get_reviewer(review, "Lead")
    app.run()
    assert not app.exception and [t.value for t in app.title] == ["Move in"]
    assert [a.label for a in app.text_area] == ["Reviewers (optional)",
                                                "Exclusion reasons (optional)"]
    app.radio[0].set_value("covidence").run()
    assert not app.exception and not app.text_area
    assert app.selectbox[0].options == ["Titles and abstracts", "Full texts"]
    assert app.selectbox[1].options[1:] == ["Not about self-harm", "Not peer support",
                                            "Support from relatives or friends",
                                            "Clinical setting", "Unmoderated online forum",
                                            "Not primary research", "Published before 2000",
                                            "Full text not in English"]
    app.button[0].click().run()
    assert [e.value for e in app.error] == ["Choose the export file."]
