"""Duplicates: find them, then check the uncertain pairs side by side with the evidence."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from review import duplicates as dup
from review.accounts import Reviewer
from review.errors import ReviewError
from review.store import Store
from review.store import records as store_records
from review.ui.safe import md_escape
from review.ui.session import leads, signed_in

_SHOWN = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid",
          "pub_type", "source", "file_name")
_STATUSES = (dup.NEEDS_REVIEW, dup.MERGED, dup.KEPT_APART, dup.CONFIRMED, dup.REJECTED)


def _value(row: dict, name: str) -> str:
    if name == "pages":
        start, end = row.get("pages_start"), row.get("pages_end")
        return f"{start}-{end}" if start and end else (start or "")
    value = row.get(name)
    if isinstance(value, list):
        return "; ".join(value)
    return "" if value is None else str(value)


def _side_by_side(store: Store, pair: dict) -> None:
    rows = {r["id"]: r for r in store_records.list_records_by_id(
        store, [pair["record_a"], pair["record_b"]])}
    a, b = rows[pair["record_a"]], rows[pair["record_b"]]
    table = pd.DataFrame(
        [{"Field": name.replace("_", " "), f"Record {a['id']}": _value(a, name),
          f"Record {b['id']}": _value(b, name)} for name in _SHOWN])
    st.dataframe(table, hide_index=True, width="stretch")
    evidence = pd.DataFrame([{"Field": k.replace("_", " "),
                              "Match": "; ".join(v) if isinstance(v, list) else str(v)}
                             for k, v in pair["evidence"].items()])
    st.caption(f"Rules: {pair['outcome']} (score {pair['score']:.2f}). {pair['reason']}")
    with st.expander("Evidence, field by field"):
        st.dataframe(evidence, hide_index=True, width="stretch")


def _act(action: Callable[[], object]) -> None:
    """Run a person's decision; a refusal shows as a message, then the page shows the result."""
    try:
        action()
    except ReviewError as exc:
        st.error(str(exc))
        return
    st.rerun()


def _decide(store: Store, pair: dict, who: Reviewer) -> None:
    left, right = st.columns(2)
    key = pair["id"]
    if left.button("Same work", key=f"confirm-{key}", type="primary",
                   help="Confirm: the two records are copies of one work (their groups join)."):
        _act(lambda: dup.decide_pair(store, key, "confirm", actor=who))
    if right.button("Different works", key=f"reject-{key}",
                    help="Reject: the records stay in separate groups in every later run."):
        _act(lambda: dup.decide_pair(store, key, "reject", actor=who))


def duplicates_page() -> None:
    store: Store = st.session_state["store"]
    who = signed_in(leads, "Deciding duplicates is for the review's leads.")
    st.title("Duplicates")
    summary = dup.summary(store)
    cols = st.columns(4)
    cols[0].metric("Records", summary.records)
    cols[1].metric("Groups", summary.groups)
    cols[2].metric("Duplicates removed", summary.duplicates)
    cols[3].metric("Pairs waiting for a person", summary.needs_review)
    if st.button("Find duplicates", help="Runs over every record; decisions people made are "
                                         "kept, and existing groups keep their ids."):
        bar = st.progress(0.0, text="Finding duplicates")

        def progress(stage: str, done: int, total: int) -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=stage.capitalize())

        result = dup.run_dedupe(store, actor=who, progress=progress)
        bar.empty()
        st.success(f"{result.records} records in {result.groups} groups; "
                   f"{result.needs_review} pairs wait for a person.")
    status = st.selectbox("Pairs", _STATUSES, format_func=str.capitalize)
    pairs = dup.list_pairs(store, status=status)
    st.caption(f"{len(pairs)} pair(s)")
    for pair in pairs[:50]:
        title = md_escape(pair["title_a"] or "(no title)")
        with st.expander(f"Pair {pair['id']}: {title}", expanded=status == dup.NEEDS_REVIEW):
            _side_by_side(store, pair)
            if pair["decided_by"]:
                st.caption(f"{pair['status'].capitalize()} by {pair['decided_by']} at "
                           f"{pair['decided_at']}")
            _decide(store, pair, who)
    if len(pairs) > 50:
        st.caption("The first 50 are shown; decide these to see more, or use "
                   "'review duplicates' on the command line.")

    with st.expander("Groups of more than one record"):
        groups = dup.list_groups(store)
        st.dataframe(pd.DataFrame(groups, columns=["group", "size", "kept", "records"]),
                     hide_index=True, width="stretch")
        chosen = st.selectbox("Split a group (undo its merge)", [None] + [g["group"]
                                                                          for g in groups])
        if chosen and st.button("Split"):
            _act(lambda: dup.split_group(store, int(chosen), actor=who))
