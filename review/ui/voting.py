"""What the Screen and Full text pages share: one record shown for screening with its terms
marked, the review question and criteria in a panel that folds, the criteria checklist, the
decision buttons (with keyboard shortcuts), undo, stepping through one's own votes, the
clickable list of them, one's own highlight terms, and why nothing is shown when nothing is.

Blinding: everything here comes from services that answer with the signed-in reviewer's own
votes only (screening.next_item, item_for, my_votes, adjacent_vote, why.why_empty)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import streamlit as st

from review.accounts import Reviewer
from review.errors import ReviewError
from review.protocol import Protocol, Stage
from review.screening import terms as highlight_terms
from review.screening import votes as screening
from review.screening import why
from review.screening.terms import Marks
from review.screening.votes import EXCLUDE, INCLUDE, MAYBE, Item
from review.store import Store
from review.ui import labels_widget, timing
from review.ui.safe import highlight, mark, md_escape
from review.ui.session import current_reviewer

SHORTCUTS = {INCLUDE: "i", EXCLUDE: "e", MAYBE: "m"}
UNDO_SHORTCUT, PREVIOUS_SHORTCUT, NEXT_SHORTCUT = "u", "p", "n"
_LABELS = {INCLUDE: "Include", EXCLUDE: "Exclude", MAYBE: "Maybe"}
_MAX_AUTHORS = 8
KEYS_HELP = ("Keys: I include, E exclude, M maybe, U undo, P previous and N next through your "
             "votes (not while typing in a box).")


def flash(prefix: str, message: str | None = None) -> None:
    """Keep a message for the next run (a vote's confirmation survives st.rerun)."""
    st.session_state[f"{prefix}-flash"] = message


def show_flash(prefix: str) -> None:
    """The last action's confirmation, and any notice or error it left for this run."""
    message = st.session_state.pop(f"{prefix}-flash", None)
    if message:
        st.success(message)
    notice = st.session_state.pop(f"{prefix}-info", None)
    if notice:
        st.info(notice)


def _citation(record: dict[str, Any]) -> str:
    parts = []
    if record.get("journal"):
        parts.append(str(record["journal"]))
    volume = record.get("volume")
    if volume:
        issue = f"({record['issue']})" if record.get("issue") else ""
        parts.append(f"{volume}{issue}")
    if record.get("pages"):
        parts.append(f"pp. {record['pages']}")
    return ", ".join(parts)


# --- the record ----------------------------------------------------------------------------

def show_record(item: Item, marks: Marks, *, abstract: bool = True,
                key: str | None = None) -> None:
    """Title, authors, year, journal, sources and the abstract, terms marked after escaping,
    with the legend of the marks: one Markdown element (each element is a message to the
    browser and a redraw on every vote). The title is its level-3 heading, in a container with
    this key (the Screen page's is "screen-record", which the browser benchmark watches)."""
    include, exclude = marks.include_regex, marks.exclude_regex
    record = item.record
    authors = list(record.get("authors") or [])
    shown = "; ".join(authors[:_MAX_AUTHORS]) + ("; et al." if len(authors) > _MAX_AUTHORS
                                                  else "")
    copies = ", ".join(str(i) for i in item.record_ids if i != item.record_id)
    facts = [("Year", record.get("year") or "not given"),
             ("Journal", _citation(record) or "not given"),
             ("Found in", "; ".join(item.sources)),
             ("Record", f"{item.record_id}" + (f" (copies: {copies})" if copies else ""))]
    parts = ["### " + highlight(record.get("title") or "(no title)", include, exclude),
             md_escape(shown or "(no authors given)") + "  \n" + "  \n".join(
                 f"**{name}:** {md_escape(value)}" for name, value in facts)]
    if abstract:
        parts += _abstract_parts(item, marks)
    with st.container(key=key):
        st.markdown("\n\n".join(parts), unsafe_allow_html=True)


def _abstract_parts(item: Item, marks: Marks) -> list[str]:
    text = item.record.get("abstract")
    return [highlight(text, marks.include_regex, marks.exclude_regex) if text
            else "*No abstract in any copy of this record.*", legend_text(marks)]


def show_abstract(item: Item, marks: Marks) -> None:
    st.markdown("\n\n".join(_abstract_parts(item, marks)), unsafe_allow_html=True)


def legend_text(marks: Marks) -> str:
    """What the marks mean, drawn with the marks themselves, and where the terms come from."""
    if not marks.any:
        return "<small>No terms to mark: add your own under My highlight terms.</small>"
    whose = [w for w, terms in (("the protocol", marks.protocol), ("your own list", marks.mine))
             if terms.include_terms or terms.exclude_terms]
    return (f"<small>Marked: {mark('include terms', 'include')} (bold) and "
            f"{mark('exclude terms', 'exclude')} (underlined), from {' and '.join(whose)}. "
            "They only draw the eye; they decide nothing.</small>")


# --- the review question and criteria --------------------------------------------------------

@lru_cache(maxsize=32)
def _criteria_text(protocol: Protocol, stage: Stage) -> str:
    """The question, every criterion asked at the stage in full, and the exclusion reasons in
    their order: one Markdown block, made once per protocol and stage."""
    lines = [f"**Review question.** {md_escape(protocol.question)}", ""]
    criteria = protocol.criteria_for(stage.id)
    if criteria:
        lines.append(f"**Criteria at {md_escape(stage.label.lower())}**")
        lines.append("")
        for criterion in criteria:
            text = f"- **{md_escape(criterion.label)}**"
            if criterion.description:
                text += f": {md_escape(criterion.description)}"
            lines.append(text)
        lines.append("")
    if protocol.exclusion_reasons:
        wanted = "needed" if stage.exclusion_reason_required else "optional"
        lines.append(f"**Exclusion reasons** ({wanted} here; the first that applies): "
                     + "; ".join(f"{i}. {md_escape(r)}"
                                 for i, r in enumerate(protocol.exclusion_reasons, start=1)))
    return "\n".join(lines)


def criteria_panel(protocol: Protocol, stage: Stage, *, prefix: str) -> None:
    """The review question and each criterion's full text, in view (a panel that folds)."""
    with st.expander("Review question and criteria", expanded=True,
                     key=f"{prefix}-criteria-panel"):
        st.markdown(_criteria_text(protocol, stage))


# --- the vote ------------------------------------------------------------------------------

def _key(prefix: str, name: str) -> str:
    return f"{prefix}-form-{name}"


def put(key: str, value: object) -> None:
    """Set a widget's value in session state only where it differs from what it holds.

    Streamlit sends a widget whose value was set in session state as a new element, and the
    browser builds it afresh; one left alone is the element it already has, so it is kept as
    it is. Most records leave the checklist, reason, note and labels as blank as the last one
    did: setting them anyway rebuilt eight widgets on every vote."""
    state = st.session_state
    if key not in state or state[key] != value:
        state[key] = value


def _load_form(prefix: str, item: Item, stage: Stage, protocol: Protocol) -> None:
    """Put the record's own values (the reviewer's vote on it, else blanks) into the form's
    widgets when another record (or a changed vote) comes on screen; keep what the reviewer
    typed while it is the same one (after an error, say).

    The widgets keep one key each from record to record, and a value is set only where it
    changes (`put`), so the browser keeps the widgets it has instead of building new ones for
    every record, much of a vote's cost in the browser."""
    mine = item.my_vote or {}
    token = (item.stage, item.group_id, mine.get("id"), mine.get("updated_at"))
    state = st.session_state
    if state.get(_key(prefix, "for")) == token and _key(prefix, "note") in state:
        return  # the same record, its widgets still there (another page drops them)
    state[_key(prefix, "for")] = token
    answers = dict(mine.get("criteria") or {})
    for criterion in protocol.criteria_for(stage.id):
        before = answers.get(criterion.id)
        put(_key(prefix, f"criterion-{criterion.id}"),
            before if before in screening.ANSWERS else None)
    reason = mine.get("reason")
    put(_key(prefix, "reason"), reason if reason in protocol.exclusion_reasons else None)
    put(_key(prefix, "note"), mine.get("note") or "")


def vote_form(store: Store, person: Reviewer, item: Item, stage: Stage, protocol: Protocol,
              *, prefix: str, decisions: tuple[str, ...] = (INCLUDE, EXCLUDE, MAYBE),
              on_saved: Callable[[], object] | None = None) -> None:
    """The checklist, note, reason and decision buttons.

    A decision button saves the vote in its callback, before the next run of the page, so that
    run already shows the next record (one run per vote, not two), and the vote is on the record
    that was on screen when the button was pressed, whatever the queue has become since."""
    show_error(prefix)
    _load_form(prefix, item, stage, protocol)
    suggestions = {s.criterion: s for s in item.suggestions}
    for criterion in protocol.criteria_for(stage.id):  # their full text is in the panel above
        st.radio(criterion.label, screening.ANSWERS, horizontal=True, index=None,
                 key=_key(prefix, f"criterion-{criterion.id}"))
        hint = suggestions.get(criterion.id)
        if hint is not None:
            st.caption(f"Suggestion: {md_escape(hint.reason)}")
    reasons = list(protocol.exclusion_reasons)
    required = stage.exclusion_reason_required
    if reasons:
        st.selectbox(
            "Exclusion reason" + ("" if required else " (optional)"), reasons, index=None,
            placeholder="Choose the first reason that applies", key=_key(prefix, "reason"))
    st.text_input("Note (optional)", help="Private to you until the record is resolved.",
                  key=_key(prefix, "note"))
    with st.container(horizontal=True):  # one block, where columns would be one per button
        for decision in decisions:
            st.button(_LABELS[decision], key=_key(prefix, decision),
                      type="primary" if decision == INCLUDE else "secondary",
                      shortcut=SHORTCUTS[decision], width="stretch",
                      on_click=_cast, args=(store, item, stage, protocol, prefix, decision,
                                            on_saved))
    labels_widget.labels_widget(store, person, item, prefix=prefix)


def _cast(store: Store, item: Item, stage: Stage, protocol: Protocol, prefix: str,
          decision: str, on_saved: Callable[[], object] | None) -> None:
    """A decision button's callback: the form's values are in session state by their keys."""
    timing.started()
    person = current_reviewer(store)  # expiry and a disabled account are checked first
    if person is None:
        return  # the page run that follows asks them to sign in again
    state = st.session_state
    answers = {c.id: state[k] for c in protocol.criteria_for(stage.id)
               if state.get(k := _key(prefix, f"criterion-{c.id}"))}
    reason = state.get(_key(prefix, "reason"))
    try:
        screening.cast_vote(store, person, item.record_id, decision, stage=stage.id,
                            reason=reason if decision == EXCLUDE else None, criteria=answers,
                            note=state.get(_key(prefix, "note")) or "", origin="ui")
    except ReviewError as exc:
        state[f"{prefix}-error"] = str(exc)
        return
    verb = "changed to" if item.my_vote else "saved:"
    flash(prefix, f"Vote {verb} {decision} on record {item.record_id}.")
    state.pop(f"{prefix}-open", None)
    if on_saved is not None:
        on_saved()


def show_error(prefix: str) -> None:
    message = st.session_state.pop(f"{prefix}-error", None)
    if message:
        st.error(message)


# --- undo, previous and next through one's own votes ----------------------------------------

def navigation(store: Store, stage: Stage, item: Item | None, *, prefix: str) -> None:
    """Undo (U), and Previous (P) / Next (N) through the reviewer's own votes at the stage, in
    the order they cast them; Next after the latest vote comes back to the queue."""
    shown = None if item is None else item.record_id
    with st.container(horizontal=True):
        st.button("Undo last vote", key=f"{prefix}-undo", shortcut=UNDO_SHORTCUT,
                  width="stretch", on_click=_undo, args=(store, stage, prefix))
        st.button("Previous vote", key=f"{prefix}-previous", shortcut=PREVIOUS_SHORTCUT,
                  width="stretch", on_click=_step, args=(store, stage, prefix, shown, -1))
        # never disabled: a shortcut is bound only after its button is drawn enabled, so an N
        # pressed just after P would be lost in the moment between the two
        st.button("Next", key=f"{prefix}-next", shortcut=NEXT_SHORTCUT, width="stretch",
                  on_click=_step, args=(store, stage, prefix, shown, 1))


def _undo(store: Store, stage: Stage, prefix: str) -> None:
    timing.started()
    person = current_reviewer(store)
    if person is None:
        return
    try:
        record_id = screening.undo_last(store, person, stage.id)
    except ReviewError as exc:
        st.session_state[f"{prefix}-error"] = str(exc)
        return
    if record_id is None:
        flash(prefix, None)
        st.session_state[f"{prefix}-info"] = "You have no vote to undo at this stage."
        return
    st.session_state[f"{prefix}-open"] = record_id
    flash(prefix, f"Your vote on record {record_id} was withdrawn; vote again.")


def _step(store: Store, stage: Stage, prefix: str, shown: int | None, step: int) -> None:
    timing.started()
    person = current_reviewer(store)
    if person is None:
        return
    opened = st.session_state.get(f"{prefix}-open")
    if opened is None and step > 0:
        st.session_state[f"{prefix}-info"] = ("This is the next record to screen; Next steps "
                                              "forward after Previous vote.")
        return
    try:
        target = screening.adjacent_vote(store, person, shown if opened is not None else None,
                                         step, stage.id)
    except ReviewError as exc:
        st.session_state[f"{prefix}-error"] = str(exc)
        return
    if target is not None:
        st.session_state[f"{prefix}-open"] = target
    elif step > 0:
        st.session_state.pop(f"{prefix}-open", None)  # past the latest vote: the queue
    else:
        st.session_state[f"{prefix}-info"] = ("That is your first vote at this stage."
                                              if opened is not None else
                                              "You have no votes at this stage yet.")


def _open(prefix: str, record_id: int) -> None:
    timing.started()
    st.session_state[f"{prefix}-open"] = record_id


def _back_to_queue(prefix: str) -> None:
    timing.started()
    st.session_state.pop(f"{prefix}-open", None)


# --- My votes --------------------------------------------------------------------------------

MY_VOTES_PAGE = 20  # rows per page of the list; older ones a click away


def my_votes(store: Store, person: Reviewer, stage: Stage, *, prefix: str) -> None:
    """The reviewer's own votes at the stage, newest first, each a click away from being open
    to change. Read only while the panel is open: closed, it costs a vote's page run nothing."""
    key = f"{prefix}-my-votes-open"
    with st.expander("My votes", key=key, on_change="rerun"):
        if not st.session_state.get(key):
            return
        page_key = f"{prefix}-my-votes-page"
        page = int(st.session_state.get(page_key, 0))
        votes = screening.my_votes(store, person, stage.id, limit=MY_VOTES_PAGE + 1,
                                   offset=page * MY_VOTES_PAGE)
        if not votes and page == 0:
            st.caption("No votes yet at this stage.")
            return
        more = len(votes) > MY_VOTES_PAGE
        votes = votes[:MY_VOTES_PAGE]
        first = page * MY_VOTES_PAGE + 1
        st.caption(f"Your vote(s) {first} to {first + len(votes) - 1}, newest first; click one "
                   "to open it and change your vote." if page or more else
                   f"Your {len(votes)} vote(s), newest first; click one to open it and change "
                   "your vote.")
        opened = st.session_state.get(f"{prefix}-open")
        for vote in votes:
            reason = f" ({vote['reason']})" if vote["reason"] else ""
            note = " · note" if vote["note"] else ""
            title = str(vote["title"] or "(no title)")
            title = title if len(title) <= 90 else title[:89] + "…"
            label = f"**{vote['record_id']}** · " + md_escape(
                f"{vote['decision']}{reason} · {vote['status']}{note} · {title}")
            st.button(label,
                      key=f"{prefix}-my-vote-{vote['id']}", type="tertiary",
                      disabled=opened == vote["record_id"],
                      on_click=_open, args=(prefix, int(vote["record_id"])))
        newer, older = st.columns(2)
        if page:
            newer.button("Newer votes", key=f"{prefix}-my-votes-newer",
                         on_click=_set, args=(page_key, page - 1))
        if more:
            older.button("Older votes", key=f"{prefix}-my-votes-older",
                         on_click=_set, args=(page_key, page + 1))


def _set(key: str, value: object) -> None:
    st.session_state[key] = value


def load_item(store: Store, person: Reviewer, stage: Stage, protocol: Protocol, *,
              prefix: str) -> tuple[Item | None, bool]:
    """The record reopened (after undo, Previous, or from My votes), else the next in the
    queue; and whether it is a reopened one. Draws nothing, so a page can read its record
    before it sends the browser anything: the browser then draws the new record in one go
    instead of first redrawing the page for a notice. A record that cannot be reopened leaves
    its error for show_error."""
    opened = st.session_state.get(f"{prefix}-open")
    if opened is not None:
        try:
            return screening.item_for(store, person, int(opened), stage.id,
                                      protocol=protocol), True
        except ReviewError as exc:
            st.session_state[f"{prefix}-error"] = str(exc)
            st.session_state.pop(f"{prefix}-open", None)
    item = screening.next_item(store, person, stage.id, protocol=protocol)
    if item is None and why.why_empty(store, person, stage.id, protocol=protocol) is None:
        # a record came in (an import, a vote reopened) between the queue's read and this one:
        # show it now rather than a page with neither a record nor a reason
        item = screening.next_item(store, person, stage.id, protocol=protocol)
    return item, False


def reopened_banner(item: Item, *, prefix: str) -> None:
    """Which record is reopened, the reviewer's vote on it, and the way back to the queue."""
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.info(f"Record {item.record_id} reopened"
              + (f": your vote is {item.my_vote['decision']}; change it below."
                 if item.my_vote else "."))
    right.button("Back to my queue", key=f"{prefix}-close", width="stretch",
                 on_click=_back_to_queue, args=(prefix,))


def current_item(store: Store, person: Reviewer, stage: Stage, protocol: Protocol, *,
                 prefix: str) -> Item | None:
    """load_item, then its error or the reopened record's banner on the page."""
    item, reopened = load_item(store, person, stage, protocol, prefix=prefix)
    show_error(prefix)
    if item is not None and reopened:
        reopened_banner(item, prefix=prefix)
    return item


def progress_bar(item: Item, stage: Stage) -> None:
    """How much of the reviewer's work at the stage is voted: their votes of their votes plus
    what still waits for them (a full bar only when nothing waits)."""
    total = max(item.total, 1)
    st.progress(min(item.voted / total, 1.0),
                text=f"{item.voted:,} of {item.total:,} voted at {stage.label.lower()} "
                     f"({item.waiting:,} left)")


def empty_queue(store: Store, person: Reviewer, stage: Stage, protocol: Protocol) -> None:
    """Say truthfully why no record is shown."""
    reason = why.why_empty(store, person, stage.id, protocol=protocol)
    if reason is None:  # a record arrived since the queue was read: show it on the next run
        st.info(f"A record is waiting at {stage.label.lower()} again.")
    elif reason.kind == why.ALL_VOTED:
        st.success(reason.message)
    else:
        st.info(reason.message)


# --- my own highlight terms ----------------------------------------------------------------

def terms_editor(store: Store, person: Reviewer, marks: Marks, *, prefix: str) -> None:
    """The reviewer's own include and exclude terms, marked beside the protocol's."""
    with st.expander("My highlight terms", key=f"{prefix}-terms-open"):
        protocol = marks.protocol
        st.caption("Words you want marked while you screen, beside the protocol's "
                   f"({len(protocol.include_terms)} include, {len(protocol.exclude_terms)} "
                   "exclude terms). Yours only: no one else sees them. One term per line; "
                   "* stands for any ending (moderat*).")
        with st.form(f"{prefix}-terms-form", border=False):
            left, right = st.columns(2)
            include = left.text_area("My include terms", "\n".join(marks.mine.include_terms),
                                     height=120)
            exclude = right.text_area("My exclude terms", "\n".join(marks.mine.exclude_terms),
                                      height=120)
            saved = st.form_submit_button("Save my terms")
        if not saved:
            return
        try:
            kept = highlight_terms.set_my_terms(
                store, person, highlight_terms.parse_terms(include, "include term"),
                highlight_terms.parse_terms(exclude, "exclude term"))
        except ReviewError as exc:
            st.error(str(exc))
            return
        flash(prefix, f"Your terms are saved: {len(kept.include_terms)} include, "
                      f"{len(kept.exclude_terms)} exclude.")
        st.rerun()
