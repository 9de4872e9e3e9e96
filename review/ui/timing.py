"""How long a page run takes on the server, for benchmarks/screening_browser.py: with
$REVIEW_TIMING_LOG set, each timed run appends "NAME MILLISECONDS CPU_MILLISECONDS" to that
file: the wall-clock time from the start of the callback that caused it (where one did) to the
end of the run, and the processor time the script thread spent in that span (which a busy
machine inflates far less). Unset, as in normal use, it costs one dictionary look-up."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

_STARTED = "timing-run-started"


def started() -> None:
    """Call first in a widget callback: the run it causes is timed from here."""
    if os.environ.get("REVIEW_TIMING_LOG"):
        st.session_state[_STARTED] = (time.perf_counter(), time.thread_time())


@contextmanager
def page_run(name: str) -> Iterator[None]:
    log = os.environ.get("REVIEW_TIMING_LOG")
    if not log:
        yield
        return
    start, cpu = st.session_state.pop(_STARTED, None) or (time.perf_counter(),
                                                           time.thread_time())
    try:
        yield
    finally:
        elapsed = (time.perf_counter() - start) * 1000
        used = (time.thread_time() - cpu) * 1000
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{name} {elapsed:.2f} {used:.2f}\n")
