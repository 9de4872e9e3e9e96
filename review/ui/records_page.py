"""Records: per-source counts, then the review's works (one row per work, duplicates merged)
filtered by stage, state, one's own decision, label, source, years and words; the filtered set
downloads as RIS (for a reference manager) or CSV, takes a label in bulk, and a lead may
exclude it by one of the protocol's rules; one record's fields and provenance below.

Every filter, download and bulk action is a service call (review.screening.filters, .bulk,
.references), the same as `review export-references`; blinding is the services' job. The CSV
goes through review.tabular (text a spreadsheet would run as a formula is quoted). Streamlit's
own "Download as CSV" in a table's toolbar writes cells as shown, unquoted, and Streamlit 1.67
has no way to turn it off; the page's button is the safe copy for a spreadsheet."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.importing import KIND_LABELS
from review.project import review_protocol
from review.protocol import Protocol
from review.screening import bulk, filters
from review.screening.filters import Filter
from review.screening.labels import label_names, labels_on
from review.screening.references import export_references
from review.store import Store
from review.store import records as store_records
from review.ui.safe import md_escape
from review.ui.session import signed_in

PAGE_SIZE = 200
_FIELDS = ("title", "authors", "year", "journal", "journal_abbrev", "volume", "issue", "pages",
           "doi", "pmid", "issn", "isbn", "language", "pub_type", "publisher", "url", "accession",
           "keywords")
_STATES = {"all": "All", "pending": "Pending", "included": "Included", "excluded": "Excluded",
           "conflict": "In conflict"}
_MINE = {None: "Any", "include": "Include", "exclude": "Exclude", "maybe": "Maybe",
         "none": "Not voted yet"}


def records_csv(store: Store, person: Reviewer | None, chosen: Filter) -> str:
    """Every matching work (not only this page of them), for a spreadsheet."""
    return export_references(store, person, chosen, "csv")[0]


def records_ris(store: Store, person: Reviewer | None, chosen: Filter) -> str:
    """Every matching work as RIS, for Zotero, EndNote or Mendeley."""
    return export_references(store, person, chosen, "ris")[0]


def _source_table(store: Store) -> pd.DataFrame:
    rows = store_records.source_counts(store)
    return pd.DataFrame(
        [{"Source": r["name"], "Kind": KIND_LABELS.get(r["kind"], r["kind"]),
          "Files": r["files"], "Records": r["records"]} for r in rows],
        columns=["Source", "Kind", "Files", "Records"])


def _filter(store: Store, person: Reviewer, protocol: Protocol) -> Filter:
    stages = {s.id: s.label for s in protocol.stages}
    states = {k: v for k, v in _STATES.items() if k != "conflict" or person.can_resolve}
    top = st.columns(4)
    stage = top[0].selectbox("Stage", list(stages), format_func=stages.__getitem__,
                             key="records-stage")
    state = top[1].selectbox("State", list(states), format_func=states.__getitem__,
                             key="records-state",
                             help="Where the record stands at the stage." + (
                                 "" if person.can_resolve else " A record waiting for "
                                 "another reviewer or in conflict is pending to you: votes "
                                 "stay blind."))
    mine = top[2].selectbox("My decision", list(_MINE), format_func=_MINE.__getitem__,
                            key="records-mine", help="Your own vote at the stage (only yours).")
    names = [None, *label_names(store, person)]
    label = top[3].selectbox("Label", names, format_func=lambda v: "Any" if v is None else v,
                             key="records-label",
                             help="Your labels" + (", and others' on records whose votes are "
                                                   "in" if person.is_lead else "") + ".")
    sources = [None, *filters.sources(store)]
    low = st.columns([2, 1, 1, 3])
    source = low[0].selectbox("Source", sources,
                              format_func=lambda v: "All sources" if v is None else v,
                              key="records-source")
    year_from = low[1].number_input("From year", min_value=1000, max_value=2999, value=None,
                                    step=1, key="records-year-from")
    year_to = low[2].number_input("To year", min_value=1000, max_value=2999, value=None,
                                  step=1, key="records-year-to")
    words = low[3].text_input("Search", key="records-search",
                              placeholder="words in title, abstract, authors, journal, DOI, "
                                          "keywords")
    return Filter(stage=stage, state=state, mine=mine, label=label, source=source,
                  year_from=None if year_from is None else int(year_from),
                  year_to=None if year_to is None else int(year_to), words=words or "")


def _table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"ID": r["record_id"], "Year": r["year"],
          "Authors": "; ".join(r["authors"][:3]) + ("; et al." if len(r["authors"]) > 3 else ""),
          "Title": r["title"], "Journal": r["journal"],
          "State": r["state"] + (" (automation)" if r["by_automation"] else ""),
          "My decision": r["my_decision"], "Labels": "; ".join(r["labels"])} for r in rows],
        columns=["ID", "Year", "Authors", "Title", "Journal", "State", "My decision", "Labels"])


def _bulk(store: Store, person: Reviewer, protocol: Protocol, chosen: Filter,
          matching: int) -> None:
    with st.expander(f"Bulk actions on the filtered set ({matching} works)"):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        label = left.text_input("Label to add", key="records-bulk-label",
                                placeholder="e.g. RCT, ask Sam")
        if right.button("Label them all", key="records-bulk-label-go"):
            try:
                added = bulk.label_selection(store, person, chosen, label)
            except ReviewError as exc:
                st.error(str(exc))
            else:
                st.success(f"Label {label.strip()!r} added to {added} record(s) "
                           f"({matching - added} had it already).")
        if not person.is_lead:
            return
        rules = {c.id: f"{c.label} ({c.rule})" for c in bulk.rule_criteria(protocol)}
        first = protocol.stages[0]
        st.markdown(f"**Exclude by a rule** at {md_escape(first.label.lower())}: the rule "
                    "judges each record, which then counts in PRISMA as excluded by "
                    "automation tools. Records anyone has voted on are left out.")
        if not rules:
            st.caption("The protocol has no rule at this stage to exclude by.")
            return
        if chosen.stage not in (None, first.id):
            st.caption(f"Filter at {first.label.lower()} to exclude by a rule.")
            return
        rule = st.selectbox("Rule", list(rules), format_func=rules.__getitem__,
                            key="records-bulk-rule")
        key = ("records-bulk-preview", chosen, rule)
        if st.button("Check what it would exclude", key="records-bulk-check"):
            try:
                st.session_state["records-bulk-preview"] = (
                    key, bulk.exclude_selection(store, person, chosen, rule, dry_run=True))
            except ReviewError as exc:
                st.error(str(exc))
        kept = st.session_state.get("records-bulk-preview")
        if not kept or kept[0] != key:
            return
        preview = kept[1]
        st.info("Would do: " + preview.summary())
        if preview.excluded and st.button(f"Exclude {len(preview.excluded)} record(s)",
                                          type="primary", key="records-bulk-exclude"):
            try:
                done = bulk.exclude_selection(store, person, chosen, rule)
            except ReviewError as exc:
                st.error(str(exc))
            else:
                st.session_state.pop("records-bulk-preview", None)
                st.success("Done: " + done.summary())


def _show_record(store: Store, person: Reviewer, record_id: int) -> None:
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
        try:
            seen = labels_on(store, person, record_id)
        except ReviewError:
            seen = []  # not deduplicated yet: no labels
        if seen:
            st.markdown("**Labels:** " + md_escape("; ".join(
                lab.label if lab.own else f"{lab.label} ({lab.reviewer})" for lab in seen)))
        excluded = bulk.exclusion_of(store, record_id) if person.is_lead else None
        if excluded:
            st.markdown(f"**Excluded in bulk by a rule** on {excluded['excluded_at'][:10]}: "
                        + md_escape(excluded["reason"]))
            if st.button("Take the exclusion back", key="records-lift",
                         help="The record goes back to screening."):
                bulk.lift_exclusion(store, person, record_id)
                st.success(f"Record {record_id} is back in screening.")
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
        if person.is_lead:  # an export from another screening tool (Rayyan's notes, say)
            # can carry its reviewers' votes and notes: leads only, so blinding holds
            with st.expander("Tags as exported"):
                st.json(row["raw"], expanded=True)


def records_page() -> None:
    store: Store = st.session_state["store"]
    person = signed_in()  # those who screen, as the menu says; the page guards itself too
    st.title("Records")
    sources = _source_table(store)
    total = int(sources["Records"].sum()) if len(sources) else 0
    st.metric("Records imported", total)
    st.dataframe(sources, hide_index=True, width="stretch")
    if total == 0:
        st.info("No records yet: import exports with `review import FILE --source NAME`.")
        return
    protocol = review_protocol(store)
    chosen = _filter(store, person, protocol)
    try:
        ids = filters.matching(store, person, chosen)
    except ReviewError as exc:
        st.error(str(exc))
        return
    matching = len(ids)
    pages = max(1, -(-matching // PAGE_SIZE))
    page = 0
    if pages > 1:
        page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1) - 1
    rows = filters.describe(store, person, chosen.stage,
                            ids[page * PAGE_SIZE:(page + 1) * PAGE_SIZE])
    caption, ris, csv = st.columns([4, 1, 1])
    caption.caption(f"{matching} matching record(s), one per work (duplicates merged)")
    ris.download_button("Download RIS", lambda: records_ris(store, person, chosen),
                        file_name="references.ris", mime="application/x-research-info-systems",
                        on_click="ignore", disabled=matching == 0,
                        help="The matching records for Zotero, EndNote or Mendeley.")
    csv.download_button("Download CSV", lambda: records_csv(store, person, chosen),
                        file_name="references.csv", mime="text/csv", on_click="ignore",
                        disabled=matching == 0,
                        help="The matching records, with text a spreadsheet would run as "
                             "a formula quoted.")
    waiting = filters.undeduplicated(store)
    if waiting:
        st.caption(f"{waiting} imported record(s) are not deduplicated yet and are in no "
                   "filter: run 'review dedupe'.")
    frame = _table(rows)
    event = st.dataframe(frame, hide_index=True, width="stretch", on_select="rerun",
                         selection_mode="single-row", key="records_table")
    if matching:
        _bulk(store, person, protocol, chosen, matching)
    selected = event.selection.rows if event and event.selection else []
    typed = st.number_input("Open record by ID", min_value=0, value=0, step=1,
                            help="Select a row above, or type an ID from 'review records'.")
    if selected:
        _show_record(store, person, int(frame.iloc[selected[0]]["ID"]))
    elif typed:
        _show_record(store, person, int(typed))
    else:
        st.caption("Select a row to see the record's fields and where it came from.")
