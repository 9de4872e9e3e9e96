"""Streamlit entry point: `streamlit run app.py -- --db PATH|URL` (or set REVIEW_DB).

`streamlit run` imports this file to make the server: an st.App with the app's session-cookie
routes (review/ui/web.py) beside Streamlit's own. Each page run then runs this file as the
script (as `__main__`), which draws the app."""

import streamlit as st

if __name__ == "__main__":
    from review.ui.app import run

    run()
else:
    from review.ui.web import routes

    app = st.App(__file__, routes=routes())
