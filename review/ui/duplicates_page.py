"""Duplicates: find them, then check the pairs side by side, a page at a time (every pair is
reachable), each field marked same, differs or missing, and decide one pair or a checked set."""

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

_EXTRA = ("pmid", "pub_type", "source", "file_name")
_STATUSES = (dup.NEEDS_REVIEW, dup.MERGED, dup.KEPT_APART, dup.CONFIRMED, dup.REJECTED)
SIZES = (10, 25, 50, 100)
PREFIX = "dups"
# the words carry the verdict; the colour only draws the eye
VERDICTS = {dup.SAME: "✓ same", dup.DIFFERS: "≠ differs", dup.MISSING: "∅ missing"}
_SHADES = {dup.SAME: "background-color: #e8f5e9", dup.DIFFERS: "background-color: #fff3e0",
           dup.MISSING: "background-color: #eeeeee"}


def _side_by_side(store: Store, pair: dict) -> None:
    rows = {r["id"]: r for r in store_records.list_records_by_id(
        store, [pair["record_a"], pair["record_b"]])}
    a, b = rows[pair["record_a"]], rows[pair["record_b"]]
    compared = dup.compare_fields(a, b)
    table = pd.DataFrame(
        [{"Field": c["field"], f"Record {a['id']}": c["a"], f"Record {b['id']}": c["b"],
          "Match": VERDICTS[c["verdict"]]} for c in compared]
        + [{"Field": name.replace("_", " "), f"Record {a['id']}": dup.field_value(a, name),
            f"Record {b['id']}": dup.field_value(b, name), "Match": ""} for name in _EXTRA])
    shades = [_SHADES[c["verdict"]] for c in compared] + [""] * len(_EXTRA)
    styled = table.style.apply(lambda column: shades, subset=["Match"])
    st.dataframe(styled, hide_index=True, width="stretch")
    counts = {v: sum(c["verdict"] == v for c in compared) for v in VERDICTS}
    st.caption(f"Of {len(compared)} fields: {counts[dup.SAME]} same, {counts[dup.DIFFERS]} "
               f"differ, {counts[dup.MISSING]} missing from one or both. Rules: "
               f"{md_escape(pair['outcome'])} (score {pair['score']:.2f}). "
               f"{md_escape(pair['reason'])}")
    evidence = pd.DataFrame([{"Field": k.replace("_", " "),
                              "Match": "; ".join(v) if isinstance(v, list) else str(v)}
                             for k, v in pair["evidence"].items()])
    with st.expander("The engine's evidence, field by field"):
        st.dataframe(evidence, hide_index=True, width="stretch")


def _act(action: Callable[[], object]) -> None:
    """Run a person's decision; a refusal shows as a message, then the page shows the result."""
    try:
        action()
    except ReviewError as exc:
        st.error(md_escape(str(exc)))
        return
    st.rerun()


def _bulk(store: Store, checked: list[int], decision: str, who: Reviewer) -> None:
    def run() -> None:
        dup.decide_pairs(store, checked, decision, actor=who)
        for pair_id in checked:  # decided: unchecked, whichever list shows them next
            st.session_state.pop(f"{PREFIX}-check-{pair_id}", None)
    _act(run)


def _decide(store: Store, pair: dict, who: Reviewer) -> None:
    left, right = st.columns(2)
    key = pair["id"]
    if pair["together"]:
        left.caption(f"Already one work (group {pair['group_a']}): nothing to join.")
    elif left.button("Same work", key=f"confirm-{key}", type="primary",
                     help="Confirm: the two records are copies of one work (their groups join)."):
        _act(lambda: dup.decide_pair(store, key, "confirm", actor=who))
    if right.button("Different works", key=f"reject-{key}",
                    help="Reject: the records stay in separate groups in every later run."):
        _act(lambda: dup.decide_pair(store, key, "reject", actor=who))


def _reset_page() -> None:
    st.session_state[f"{PREFIX}-page"] = 1


def _turn(by: int, pages: int) -> None:
    page = st.session_state.get(f"{PREFIX}-page", 1) + by
    st.session_state[f"{PREFIX}-page"] = min(max(page, 1), pages)


def _pairs(store: Store, who: Reviewer) -> None:
    left, middle = st.columns(2)
    status = left.selectbox("Pairs", _STATUSES, format_func=str.capitalize,
                            key=f"{PREFIX}-status", on_change=_reset_page)
    size = middle.selectbox("Pairs per page", SIZES, index=1, key=f"{PREFIX}-size",
                            on_change=_reset_page)
    shown = dup.pairs_page(store, status=status, page=st.session_state.get(f"{PREFIX}-page", 1),
                           size=size)
    st.session_state[f"{PREFIX}-page"] = shown.page
    back, where, forward = st.columns((1, 3, 1), vertical_alignment="center")
    back.button("Previous page", key=f"{PREFIX}-previous", disabled=shown.page == 1,
                on_click=_turn, args=(-1, shown.pages), width="stretch")
    first = (shown.page - 1) * shown.size + 1
    where.markdown(f"**Page {shown.page} of {shown.pages}**: pairs "
                   f"{min(first, shown.total)}-{first + len(shown.pairs) - 1} of {shown.total}"
                   if shown.pairs else f"**Page 1 of 1**: no {status} pairs")
    forward.button("Next page", key=f"{PREFIX}-next", disabled=shown.page == shown.pages,
                   on_click=_turn, args=(1, shown.pages), width="stretch")
    checked = []
    for pair in shown.pairs:
        title = md_escape(pair["title_a"] or "(no title)")
        with st.container(border=True):
            if st.checkbox(f"Pair {pair['id']}: {title}", key=f"{PREFIX}-check-{pair['id']}"):
                checked.append(pair["id"])
            _side_by_side(store, pair)
            if pair["decided_by"]:
                st.caption(f"{pair['status'].capitalize()} by {md_escape(pair['decided_by'])} "
                           f"at {pair['decided_at']}")
            _decide(store, pair, who)
    if not shown.pairs:
        return
    st.divider()
    st.markdown(f"**Checked pairs: {len(checked)}**")
    left, right = st.columns(2)
    if left.button("Same work (checked pairs)", disabled=not checked, key=f"{PREFIX}-confirm",
                   help="Confirm every checked pair at once; refused if one is already one work"):
        _bulk(store, checked, "confirm", who)
    if right.button("Different works (checked pairs)", disabled=not checked,
                    key=f"{PREFIX}-reject", help="Reject every checked pair at once."):
        _bulk(store, checked, "reject", who)


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
    _pairs(store, who)

    with st.expander("Groups of more than one record"):
        groups = dup.list_groups(store)
        st.dataframe(pd.DataFrame(groups, columns=["group", "size", "kept", "records"]),
                     hide_index=True, width="stretch")
        chosen = st.selectbox("Split a group (undo its merge)", [None] + [g["group"]
                                                                          for g in groups])
        if chosen and st.button("Split"):
            _act(lambda: dup.split_group(store, int(chosen), actor=who))
