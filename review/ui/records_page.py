"""Records browser: per-source counts, search, and one record's fields and provenance.

The matching records download as CSV through review.tabular, as `review records --format csv`
writes them (text a spreadsheet would run as a formula is quoted). Streamlit's own "Download
as CSV" in a table's toolbar writes cells as shown, unquoted, and Streamlit 1.67 has no way to
turn it off; the page's button is the safe copy for a spreadsheet."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review.importing import KIND_LABELS
from review.store import Store
from review.store import records as store_records
from review.tabular import render
from review.ui.safe import md_escape
from review.ui.session import signed_in

PAGE_SIZE = 200
_FIELDS = ("title", "authors", "year", "journal", "journal_abbrev", "volume", "issue", "pages",
           "doi", "pmid", "issn", "isbn", "language", "pub_type", "publisher", "url", "accession",
           "keywords")
CSV_COLUMNS = ("id", "source", "year", "authors", "title", "journal", "doi", "pmid")


def records_csv(store: Store, search: str, source_id: int | None) -> str:
    """Every matching record (not only this page of them), for a spreadsheet."""
    rows = store_records.list_records(store, search=search or None, source_id=source_id,
                                      columns=[c for c in CSV_COLUMNS if c != "source"])
    return render(rows, CSV_COLUMNS, "csv")


def _source_table(store: Store) -> pd.DataFrame:
    rows = store_records.source_counts(store)
    return pd.DataFrame(
        [{"Source": r["name"], "Kind": KIND_LABELS.get(r["kind"], r["kind"]),
          "Files": r["files"], "Records": r["records"]} for r in rows],
        columns=["Source", "Kind", "Files", "Records"])


def _record_rows(store: Store, search: str, source_id: int | None,
                 page: int) -> list[dict]:
    return store_records.list_records(
        store, search=search or None, source_id=source_id, limit=PAGE_SIZE,
        offset=page * PAGE_SIZE,
        columns=("id", "year", "authors", "title", "journal", "source_id"))


def _show_record(store: Store, record_id: int) -> None:
    row = store_records.get_record(store, record_id)
    if row is None:
        st.warning(f"No record {record_id}.")
        return
    st.subheader(md_escape(row["title"] or "(no title)"), anchor=False)
    pages = row["pages_start"]
    if row["pages_end"]:
        pages = f"{pages}-{row['pages_end']}"
    values = {**row, "pages": pages}
    table = []
    for name in _FIELDS:
        value = values.get(name)
        if isinstance(value, list):
            value = "; ".join(value)
        if value not in (None, ""):
            table.append({"Field": name.replace("_", " "), "Value": str(value)})
    left, right = st.columns([3, 2])
    with left:
        st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch",
                     height=35 * (len(table) + 1) + 3)
        if row["abstract"]:
            st.markdown("**Abstract**")
            st.markdown(md_escape(row["abstract"]))
    with right:
        st.markdown("**Provenance**")
        provenance = [
            ("Source", row["source"]), ("Kind", KIND_LABELS.get(row["kind"], row["kind"])),
            ("File", row["file_name"]), ("Format", row["format"]),
            ("Position in file", str(row["position"])), ("Starts at line", str(row["source_line"])),
            ("Searched on", row["searched_on"] or "not given"), ("Imported at", row["imported_at"]),
        ]
        st.dataframe(pd.DataFrame(provenance, columns=["Field", "Value"]), hide_index=True,
                     width="stretch")
        with st.expander("Tags as exported"):
            st.json(row["raw"], expanded=True)


def records_page() -> None:
    store: Store = st.session_state["store"]
    signed_in()  # those who screen, as the menu says; the page guards itself too
    st.title("Records")
    sources = _source_table(store)
    total = int(sources["Records"].sum()) if len(sources) else 0
    st.metric("Records imported", total)
    st.dataframe(sources, hide_index=True, width="stretch")
    if total == 0:
        st.info("No records yet: import exports with `review import FILE --source NAME`.")
        return

    files = store_records.list_sources(store)
    labels = {None: "All sources"} | {f["id"]: f"{f['name']} ({f['file_name']})" for f in files}
    left, right = st.columns([3, 2])
    search = left.text_input("Search", placeholder="words in title, authors, journal, DOI, "
                                                   "keywords, year or abstract")
    source_id = right.selectbox("Source file", list(labels), format_func=lambda k: labels[k])
    matching = store_records.count_records(store, search=search or None, source_id=source_id)
    pages = max(1, -(-matching // PAGE_SIZE))
    page = 0
    if pages > 1:
        page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1) - 1
    caption, download = st.columns([3, 1])
    caption.caption(f"{matching} matching record(s)")
    download.download_button("Download CSV", lambda: records_csv(store, search, source_id),
                             file_name="records.csv", mime="text/csv", on_click="ignore",
                             help="The matching records, with text a spreadsheet would run as "
                                  "a formula quoted.")
    rows = _record_rows(store, search, source_id, page)
    names = {f["id"]: f["name"] for f in files}
    frame = pd.DataFrame(
        [{"ID": r["id"], "Year": r["year"], "Authors": "; ".join(r["authors"][:3])
          + ("; et al." if len(r["authors"]) > 3 else ""), "Title": r["title"],
          "Journal": r["journal"], "Source": names.get(r["source_id"], "")} for r in rows],
        columns=["ID", "Year", "Authors", "Title", "Journal", "Source"])
    event = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key="records_table")
    selected = event.selection.rows if event and event.selection else []
    typed = st.number_input("Open record by ID", min_value=0, value=0, step=1,
                            help="Select a row above, or type an ID from 'review records'.")
    if selected:
        _show_record(store, int(frame.iloc[selected[0]]["ID"]))
    elif typed:
        _show_record(store, int(typed))
    else:
        st.caption("Select a row to see the record's fields and where it came from.")
