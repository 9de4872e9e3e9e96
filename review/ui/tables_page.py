"""Tables: the review's evidence tables (characteristics, themes, quotes) from the studies'
final entries, with downloads in every export format."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review.errors import ReviewError
from review.extraction.export import csv_text, docx_bytes, markdown_text, xlsx_bytes
from review.extraction.tables import build_tables
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
