"""Move in: a lead brings a review's decisions from Rayyan (every reviewer's title/abstract
vote) or Covidence (a stage's list, settled by the lead), as `review decisions import --from`
does. Rows that match no record, or several, come back as a list to download, settle and give
back; nothing lands until then, or until the lead chooses to leave them out."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.project import review_protocol
from review.screening import foreign
from review.store import Store
from review.ui import voting
from review.ui.safe import md_escape
from review.ui.session import leads, signed_in, store

PREFIX = "move-in"
TYPES = ["csv", "ris", "txt"]
TOOLS = {"rayyan": "Rayyan (article export, articles.csv)",
         "covidence": "Covidence (one list of references, RIS or CSV)"}


def lines(text: str) -> list[str]:
    """The non-empty lines of a text area ('Name=account' mappings)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def run_import(review: Store, person: Reviewer, tool: str, name: str, data: bytes,
               options: dict[str, Any], settled: bytes | None = None) -> list[str]:
    """Import the uploaded file as the command would, in a folder of its own; returns the
    summary lines. Raises foreign.UnsettledRows (its `listing`: the rows to settle, as CSV)
    or ReviewError."""
    with tempfile.TemporaryDirectory(prefix="review-move-in-") as folder:
        path = Path(folder) / (Path(name).name or "upload.csv")
        path.write_bytes(data)
        matches = None
        if settled is not None:
            matches = Path(folder) / "settled-rows.csv"
            matches.write_bytes(settled)
        if tool == "rayyan":
            result = foreign.import_rayyan(
                path, review, actor=person.name,
                reviewer_map=lines(options.get("reviewer_map", "")),
                reason_map=lines(options.get("reason_map", "")),
                skip_unmatched=bool(options.get("skip_unmatched")), matches=matches)
        else:
            result = foreign.import_covidence(
                path, review, stage=options["stage"], decision=options["decision"],
                by=person, actor=person.name, reason=options.get("reason") or None,
                skip_unmatched=bool(options.get("skip_unmatched")), matches=matches,
                over_votes=bool(options.get("over_votes")))
    return foreign.describe(result)


def _unsettled(exc: foreign.UnsettledRows, file_name: str) -> None:
    st.session_state[f"{PREFIX}-unsettled"] = {
        "message": str(exc).splitlines()[0],
        "rows": [{"row": u.row.number, "line": u.row.line, "title": u.row.record.title,
                  "problem": f"{u.match.status}: {u.match.how}",
                  "candidate records": ", ".join(str(c.record_id) for c in u.match.candidates)}
                 for u in exc.unsettled],
        "csv": exc.listing.encode("utf-8"),
        "name": foreign.unsettled_path(Path(file_name).name).name}


def _show_unsettled() -> None:
    found = st.session_state.get(f"{PREFIX}-unsettled")
    if not found:
        return
    st.error(md_escape(found["message"]) + " Download the list, write a record id (or `skip`) "
             "in each row's record column, and give it back below as the settled rows; or "
             "tick “Leave out rows that match no record”.")
    st.dataframe(found["rows"], hide_index=True)
    if found["csv"]:
        st.download_button("Download the rows to settle (CSV)", found["csv"],
                           file_name=found["name"], mime="text/csv")


def move_in_page() -> None:
    review = store()
    person = signed_in(leads, "Moving a review in is for the review's leads.")
    st.title("Move in")
    voting.show_flash(PREFIX)
    st.caption("Bring the decisions made in Rayyan or Covidence. Import the searches first "
               "(Import page), so the records are this review's own; rows are then matched by "
               "DOI, PubMed id, else title, authors and year. The whole file lands, or "
               "nothing.")
    protocol = review_protocol(review)
    tool = st.radio("From", list(TOOLS), format_func=TOOLS.__getitem__, horizontal=True)
    counter = st.session_state.setdefault(f"{PREFIX}-n", 0)
    options: dict[str, Any] = {}
    with st.form(f"{PREFIX}-form-{tool}-{counter}"):
        upload = st.file_uploader("Export file", type=TYPES)
        if tool == "rayyan":
            options["reviewer_map"] = st.text_area(
                "Reviewers (optional)", height=80, placeholder="Ana Silva=Ana",
                help="One per line: a name as Rayyan shows it = the account here. Without a "
                     "line, the account of the same name.")
            options["reason_map"] = st.text_area(
                "Exclusion reasons (optional)", height=80,
                placeholder=f"wrong setting={protocol.exclusion_reasons[0]}"
                if protocol.exclusion_reasons else "",
                help="One per line: a Rayyan reason = one of the protocol's. Unmapped reasons "
                     "are kept in the vote's note.")
        else:
            options["stage"] = st.selectbox("The list is of the stage", [s.id for s in
                                                                       protocol.stages],
                                            format_func=lambda s: protocol.stage(s).label)
            options["decision"] = st.radio("Every reference in it was", ["include", "exclude"],
                                           format_func=lambda d: d + "d", horizontal=True)
            options["reason"] = st.selectbox("Exclusion reason (excluded lists at a stage "
                                             "that needs one)",
                                             ["", *protocol.exclusion_reasons])
            options["over_votes"] = st.checkbox(
                "Settle over votes not yet decided",
                help="A work with reviewers' votes here that are still open or in conflict "
                     "stops the import unless this is ticked: then the list's decision settles "
                     "it, and the votes stay beside it.")
        settled = st.file_uploader("Settled rows (optional): the list of an earlier try, with "
                                   "record ids written in", type=["csv"])
        options["skip_unmatched"] = st.checkbox("Leave out rows that match no record, or "
                                                "several (they are named)")
        submitted = st.form_submit_button("Import decisions", type="primary")
    if not submitted:
        _show_unsettled()
        return
    st.session_state.pop(f"{PREFIX}-unsettled", None)
    if upload is None:
        st.error("Choose the export file.")
        return
    try:
        with st.spinner("Matching the rows to the review's records"):
            summary = run_import(review, person, tool, upload.name, upload.getvalue(), options,
                                 settled.getvalue() if settled is not None else None)
    except foreign.UnsettledRows as exc:
        _unsettled(exc, upload.name)
        _show_unsettled()
        return
    except ReviewError as exc:
        st.error(md_escape(str(exc)))
        return
    voting.flash(PREFIX, "  \n".join(md_escape(line) for line in summary))
    st.session_state[f"{PREFIX}-n"] = counter + 1
    st.rerun()
