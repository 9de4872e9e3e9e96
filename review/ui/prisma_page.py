"""PRISMA: the flow diagram computed from the review, with its files to download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review.errors import ReviewError
from review.prisma.counts import compute, identities
from review.prisma.diagram import CAPTION, render_png, render_svg
from review.prisma.final import pending_work
from review.prisma.template import to_csv, to_json
from review.project import review_info
from review.store import Store
from review.ui.session import readers, signed_in


def prisma_page() -> None:
    store: Store = st.session_state["store"]
    person = signed_in(readers, "This page is for the review's leads and observers.")
    st.title("PRISMA")
    st.caption("PRISMA 2020 flow diagram for a review that searched databases, registers and "
               "other sources (the template for updated reviews once a previous version's "
               "reports are imported). Every number comes from the review itself.")
    try:
        counts = compute(store, by=person)
        pending = pending_work(store, by=person)
        title = review_info(store).title
    except ReviewError as exc:
        st.error(str(exc))
        return
    final = counts.complete and not pending
    if final:
        st.success("Final counts: no stage of the review has pending work.")
    else:
        st.info("The review is still in progress: "
                + "; ".join(pending or counts.pending_lines())
                + ". The diagram is provisional: pending lines are in italics.")
    svg = render_svg(counts, caption=CAPTION, final=final)
    st.image(svg, width="stretch")
    buttons = st.columns(4)
    buttons[0].download_button("CSV (PRISMA2020 template)", to_csv(counts),
                               file_name="prisma.csv", mime="text/csv")
    buttons[1].download_button("JSON", to_json(counts, review=title), file_name="prisma.json",
                               mime="application/json")
    buttons[2].download_button("SVG", svg, file_name="prisma.svg", mime="image/svg+xml")
    try:
        buttons[3].download_button("PNG", render_png(svg), file_name="prisma.png",
                                   mime="image/png")
    except ReviewError as exc:
        buttons[3].caption(str(exc))
    with st.expander("Sums checked between the boxes"):
        st.dataframe(pd.DataFrame([{"Identity": i.name, "Count": i.left[1], "Holds": i.holds}
                                   for i in identities(counts)]),
                     hide_index=True, width="stretch")
