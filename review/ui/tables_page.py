"""Tables: the review's evidence tables (characteristics, themes, quotes, findings, excluded
reports, references) from the studies' final entries, with downloads in every export format,
and the review's report (report.md with its diagram, report.docx), made on request."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.extraction.export import csv_text, docx_bytes, markdown_text, xlsx_bytes
from review.extraction.tables import build_tables
from review.report import writers
from review.report.build import build_report
from review.ui.session import leads, signed_in, store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def tables_page() -> None:
    person = signed_in(leads, "The evidence tables are exported by the review's leads.")
    st.title("Tables")
    try:
        built = build_tables(store(), by=person)
    except ReviewError as exc:
        st.error(str(exc))
        return
    st.caption(f"{built.studies} stud{'y' if built.studies == 1 else 'ies'} with a final "
               "entry" + (f"; not reconciled yet: {', '.join(built.pending)}"
                          if built.pending else "") + ".")
    columns = st.columns(3)
    columns[0].download_button("Download XLSX", xlsx_bytes(built.tables),
                               "evidence-tables.xlsx", XLSX, key="dl-xlsx")
    columns[1].download_button("Download DOCX", docx_bytes(built.tables),
                               "evidence-tables.docx", DOCX, key="dl-docx")
    columns[2].download_button("Download Markdown", markdown_text(built.tables),
                               "evidence-tables.md", "text/markdown", key="dl-md")
    _report(person)
    for number, table in enumerate(built.tables, start=1):
        st.subheader(f"Table {number}. {table.title}", anchor=False)
        frame = pd.DataFrame([[str(v) for v in row] for row in table.rows],
                             columns=list(table.columns))
        st.dataframe(frame, hide_index=True, width="stretch")
        if table.note:
            st.caption(table.note)
        st.download_button(f"Download CSV ({table.key})",
                           csv_text(table).encode("utf-8-sig"), f"{table.key}.csv", "text/csv",
                           key=f"dl-csv-{table.key}")


def _report(person: Reviewer) -> None:
    """The report: built when asked (it draws the diagram and reads the whole review), then
    offered as report.md, its diagram and report.docx."""
    st.markdown("**The review's report**: methods computed from the review, the PRISMA "
                "diagram, every table below and the numbered references, as "
                "`review report --out DIR` writes them (report.md and report.docx).")
    if st.button("Make the report", key="make-report"):
        try:
            with st.spinner("Making the report: counts, diagram, tables…"):
                made = build_report(store(), by=person)
                st.session_state["tables-report"] = (
                    writers.markdown_text(made), writers.docx_bytes(made),
                    [(f.file_name, f.png) for f in made.figures], made.status)
        except ReviewError as exc:
            st.error(str(exc))
            return
    kept = st.session_state.get("tables-report")
    if kept is None:
        return
    markdown, docx, figures, status = kept
    st.caption(status)
    columns = st.columns(2 + len(figures))
    columns[0].download_button("Download report.md", markdown, writers.MD_NAME,
                               "text/markdown", key="dl-report-md")
    columns[1].download_button("Download report.docx", docx, writers.DOCX_NAME, DOCX,
                               key="dl-report-docx")
    for column, (name, png) in zip(columns[2:], figures, strict=True):
        column.download_button(f"Download {name}", png, name, "image/png",
                               key=f"dl-report-{name}")
