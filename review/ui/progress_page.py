"""Progress: records per stage and state, votes per reviewer, agreement (Cohen's kappa).

Leads, the third reviewer and observers see the whole review. A reviewer sees their own counts
only: with few records, stage-wide conflict counts or a pair's agreement would tell them how
the other reviewer voted. The services decide this (progress and agreement take the person);
the page shows what they return."""

from __future__ import annotations

from collections import Counter

import altair as alt
import pandas as pd
import streamlit as st

from review.accounts import Reviewer
from review.project import review_protocol
from review.screening import agreement
from review.screening import votes as screening
from review.store import Store
from review.ui.session import everyone, signed_in, store
from review.ui.stopping_panel import stopping_panel

_STATES = (("included", "Included"), ("excluded", "Excluded"),
           ("excluded_by_automation", "Excluded by automation"), ("pending", "Waiting for votes"),
           ("conflicts", "In conflict"), ("not_retrieved", "Not retrieved"))
# one colour per decision, the same in every chart (the stage chart's included and excluded
# states take the include and exclude colours)
DECISION_COLOURS = {"include": "#2e7d32", "exclude": "#8d8d8d", "maybe": "#f9a825"}
_COLOURS = (DECISION_COLOURS["include"], DECISION_COLOURS["exclude"], "#c4c4c4", "#90caf9",
            "#ef6c00", "#795548")
WAITING, IN_STAGE = "Records waiting for their vote", "Records in stage"


def _stages(progress: dict) -> None:
    rows = progress["stages"]
    st.subheader("Records per stage", anchor=False)
    table = pd.DataFrame([{"Stage": r["label"], "Records": r["records"],
                           **{label: r[key] for key, label in _STATES},
                           "Resolved conflicts": r["resolved"]} for r in rows])
    st.dataframe(table, hide_index=True, width="stretch")
    long = table.melt(id_vars="Stage", value_vars=[label for _, label in _STATES],
                      var_name="State", value_name="Count")
    order = [label for _, label in _STATES]
    chart = alt.Chart(long).mark_bar().encode(
        x=alt.X("Count:Q", stack="zero", title="Records"),
        y=alt.Y("Stage:N", sort=[r["label"] for r in rows], title=None),
        color=alt.Color("State:N", sort=order, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=order, range=list(_COLOURS))),
        order=alt.Order("order:Q"), tooltip=["Stage", "State", "Count"],
    ).transform_calculate(order=f"indexof({order!r}, datum.State)").properties(height=alt.Step(44))
    st.altair_chart(chart, width="stretch")


def _reviewers(progress: dict, labels: dict[str, str], only: str | None = None) -> None:
    rows = [r for r in progress["reviewers"] if only is None or r["reviewer"] == only]
    st.subheader("Votes per reviewer" if only is None else "Your votes", anchor=False)
    table = pd.DataFrame([{"Reviewer": r["reviewer"], "Role": r["role"],
                           "Stage": labels.get(r["stage"], r["stage"]), "Votes": r["votes"],
                           WAITING: r["waiting"], IN_STAGE: r["of"]} for r in rows])
    st.dataframe(table, hide_index=True, width="stretch")
    if only is None and len(table) and table["Votes"].sum():
        chart = table.pivot_table(index="Reviewer", columns="Stage", values="Votes",
                                  aggfunc="sum", fill_value=0)
        st.bar_chart(chart, horizontal=True, stack=True, height=120 + 36 * len(chart),
                     x_label="", y_label="Votes")


def _agreement(review: Store, person: Reviewer, labels: dict[str, str]) -> None:
    st.subheader("Agreement", anchor=False)
    rows = agreement.agreement(review, by=person)
    table = pd.DataFrame([{
        "Stage": labels.get(a.stage, a.stage),
        "Reviewers": "all pairs pooled" if a.reviewer_a is None
        else f"{a.reviewer_a} / {a.reviewer_b}",
        "Records voted by both": a.records, "Agreed": a.agreed,
        "Agreement %": None if a.percent is None else round(a.percent, 1),
        "Cohen's kappa": None if a.kappa is None else round(a.kappa, 2),
        "Conflicts": a.conflicts} for a in rows])
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption("Kappa is computed on the reviewers' own votes (a maybe counts as the protocol's "
               "maybe policy says); it is empty when it is undefined (no shared records, or "
               "both reviewers used one decision only).")


def _my_decisions(review: Store, person: Reviewer, labels: dict[str, str]) -> None:
    counts = Counter((labels.get(v["stage"], v["stage"]), v["decision"])
                     for v in screening.my_votes(review, person))
    if not counts:
        return
    table = pd.DataFrame([{"Stage": s, "Decision": d, "Votes": n}
                          for (s, d), n in counts.items()])
    order = list(DECISION_COLOURS)
    chart = alt.Chart(table).mark_bar().encode(
        x=alt.X("Votes:Q", stack="zero", title="Your votes"),
        y=alt.Y("Stage:N", sort=list(labels.values()), title=None),
        color=alt.Color("Decision:N", sort=order, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=order, range=list(DECISION_COLOURS.values()))),
        order=alt.Order("order:Q"), tooltip=["Stage", "Decision", "Votes"],
    ).transform_calculate(order=f"indexof({order!r}, datum.Decision)").properties(
        height=alt.Step(44))
    st.altair_chart(chart, width="stretch")


def progress_page() -> None:
    review, person = store(), signed_in(everyone)
    protocol = review_protocol(review)
    labels = {s.id: s.label for s in protocol.stages}
    st.title("Progress")
    progress = agreement.progress(review, by=person)
    if progress["scope"] == "review":
        _stages(progress)
        _reviewers(progress, labels)
        _agreement(review, person, labels)
        stopping_panel(review, person, protocol)
    else:
        st.caption("Your own counts. Leads see the whole review's progress and agreement; "
                   "a reviewer does not, so that no count tells how another reviewer voted.")
        _reviewers(progress, labels, only=person.name)
        _my_decisions(review, person, labels)
