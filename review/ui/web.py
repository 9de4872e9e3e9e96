"""The app's two HTTP routes for the session cookie, served beside Streamlit's own (app.py makes
the server an st.App with them). A page run speaks to the browser over a websocket and cannot
set an HttpOnly cookie, so a sign-in sends the browser here with a one-time code and a
sign-out sends it to the other route; each answers with the cookie set or cleared and a
redirect back to the app. The rules (codes, ids, hashes, signatures, checks) are
review/sessions.py's; this is the HTTP glue."""

from __future__ import annotations

import argparse
import os
import sys
import time
from functools import cache
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string

from review import sessions
from review.errors import ReviewError
from review.store import Store

START = "/review-session/start"
END = "/review-session/end"
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's XSRF cookie: what binds a code to the browser
PROVIDER_LOGOUT = "/auth/logout"  # Streamlit's route that forgets the sign-on identity


def xsrf_binding(raw: str | None) -> str | None:
    """The browser's XSRF token (the secret inside Streamlit's cookie, which keeps it across
    requests while re-masking it), or None when there is none (XSRF protection off)."""
    if not raw:
        return None
    token, _ = decode_xsrf_token_string(raw)
    return token.hex() if token else None


def start_url(code: str, review: str | None = None) -> str:
    return f"{START}?{urlencode({'code': code, **({'review': review} if review else {})})}"


def end_url(provider: bool, review: str | None = None) -> str:
    query = {**({"then": "provider"} if provider else {}), **({"review": review} if review else {})}
    return END + (f"?{urlencode(query)}" if query else "")


def app_url(review: str | None) -> str:
    """The app's address for a review: `?review=SLUG` opens it (a link, a bookmark)."""
    return f"/?{urlencode({'review': review})}" if review else "/"


def database_argument(argv: list[str] | None = None) -> str | None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db")
    known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return known.db or os.environ.get("REVIEW_DB")


@cache
def _database(db: str | None) -> Store:
    return Store.open_database(db)


@cache
def _named(db: str | None, review: str) -> Store:
    return _database(db).review_named(review)


def _store(db: str | None, review: str | None) -> Store:
    """With no review named, chosen anew: a review added since changes the answer."""
    return _named(db, review) if review else _database(db).review_named(None)


def _review(request: Request) -> Store | None:
    """The review the request names (`review=SLUG`), else the database's only one; None for
    a slug the database does not hold."""
    try:
        return _store(database_argument(), request.query_params.get("review") or None)
    except ReviewError:
        return None


def _cross_site(request: Request) -> bool:
    """A request another site's page started (a link or form there): such a request neither
    signs in nor out. Browsers say so in Sec-Fetch-Site; one that does not is let through."""
    return request.headers.get("sec-fetch-site", "same-origin") == "cross-site"


def _secure(request: Request) -> bool:
    """Over https, directly or behind the README's proxy (X-Forwarded-Proto)."""
    return (request.url.scheme == "https"
            or request.headers.get("x-forwarded-proto", "").lower() == "https")


def _back(target: str = "/") -> Response:
    response = RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the code never leaves in a Referer
    return response


def start(request: Request) -> Response:
    """Exchange a sign-in's one-time code for the session cookie, then back to the app."""
    store = _review(request)
    response = _back(app_url(request.query_params.get("review") if store else None))
    if _cross_site(request) or store is None:
        return response
    value = sessions.redeem(store, request.query_params.get("code", ""), now=time.time(),
                            binding=xsrf_binding(request.cookies.get(XSRF_COOKIE)))
    if value is not None:
        response.set_cookie(sessions.cookie_name(store), value, path="/", httponly=True,
                            samesite="lax", secure=_secure(request))
    return response


def end(request: Request) -> Response:
    """Clear the session cookies and end their sessions (the page has ended its own already
    when the Sign out button sent the browser here); then back to the app, or on to sign out
    of the single sign-on provider too. Every review of the server this browser is signed in
    to: a session in one would sign the person straight back in to the others (one account)."""
    provider = request.query_params.get("then") == "provider"
    store = _review(request)
    home = app_url(request.query_params.get("review") if store else None)
    response = _back(PROVIDER_LOGOUT if provider else home)
    if _cross_site(request) or store is None:
        return _back(home)
    each = [store] + [store.with_review(slot) for slot in store.reviews()
                      if store.review is not None and slot != store.review]
    for review in each:
        name = sessions.cookie_name(review)
        if name not in request.cookies and review is not store:
            continue
        sessions.end_by_cookie(review, request.cookies.get(name), now=time.time())
        response.delete_cookie(name, path="/", httponly=True, samesite="lax",
                               secure=_secure(request))
    return response


def routes() -> list[BaseRoute]:
    return [Route(START, start, methods=["GET"]), Route(END, end, methods=["GET"])]

