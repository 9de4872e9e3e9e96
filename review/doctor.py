"""Checks a deployment before a team relies on it: the database answers and takes writes, the
schema is current, and for every review it holds (each check naming the review): the protocol
loads, someone can sign in as a lead, stored PDFs match their
sha256, the kept screening counts match the screening state (recounted where they do not),
the demo's printed passwords are not on a real review's sign-in page, the session
expiry setting is a number, and, where .streamlit/secrets.toml configures OpenID Connect, that
it is complete, that Authlib is installed and that reviewers have emails to match."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy as sa

from review.accounts import get_setting
from review.errors import ReviewError
from review.project import review_protocol
from review.screening.state import count_drift, recount
from review.sessions import DEFAULT_MINUTES, SESSION_ENV, parse_minutes
from review.store import Store
from review.store import schema as t
from review.store.migrations import LATEST


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    review: str | None = None  # the slug of the review checked; None for the whole database

    def line(self) -> str:
        """How the command line shows it: the review's slug before a review's check."""
        where = f"[{self.review}] " if self.review else ""
        return f"{'ok  ' if self.ok else 'FAIL'}  {where}{self.name}: {self.detail}"


def secrets_files() -> list[Path]:
    """Where Streamlit reads secrets.toml (both, the project's winning), when run as
    `streamlit run app.py` from this directory."""
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


def run_checks(db: str | os.PathLike[str] | None,
               secrets: Sequence[Path] | None = None, review: str | None = None) -> list[Check]:
    """Every check, in order: the database's, then each review's (every review of the
    database, or the one named), each naming its review; a check that cannot run because an
    earlier one failed is not reported as passed."""
    checks: list[Check] = []
    try:
        server = Store.open_database(db)
    except (ReviewError, sa.exc.SQLAlchemyError) as exc:
        return [Check("database reachable", False, str(exc).splitlines()[0])]
    try:
        checks.append(Check("database reachable", True, f"{server.display_url} "
                            f"({server.engine.dialect.name})"))
        version = server.schema_version()
        checks.append(Check("migrations current", version == LATEST,
                            f"schema {version}, this version of review knows {LATEST}"))
        checks.append(_writable(server))
        try:
            stores = _reviews(server, review)
        except ReviewError as exc:
            return [*checks, Check("reviews", False, str(exc))]
        named = [s.review for s in stores if s.review is not None]
        checks.append(Check("reviews", True, f"{len(named)}: " + ", ".join(
            f"{slot.slug} ({slot.title})" if slot.title else slot.slug for slot in named)
            if named else "none listed; the database's tables checked as one review"))
        for store in stores:
            slug = store.review.slug if store.review is not None else None
            checks.extend(replace(check, review=slug) for check in _review_checks(store))
        checks.append(_session_minutes())
        checks.append(_oidc(stores, secrets_files() if secrets is None else list(secrets)))
    finally:
        server.close()
    return checks


def _reviews(server: Store, slug: str | None) -> list[Store]:
    """The reviews to check: the one named, else every one the database lists (else its
    plain tables, for a database whose review is not listed)."""
    if slug is not None:
        slot = server.choose(slug)
        return [server.with_review(slot)] if slot is not None else [server]
    return [server.with_review(slot) for slot in server.reviews()] or [server]


def _session_minutes() -> Check:
    raw = os.environ.get(SESSION_ENV)
    if raw is None:
        return Check("session expiry", True, f"signed-in sessions end after "
                     f"{DEFAULT_MINUTES:g} idle minutes (${SESSION_ENV} not set)")
    minutes = parse_minutes(raw)
    if minutes is None:
        return Check("session expiry", False, f"${SESSION_ENV}={raw!r} is not a positive number "
                     f"of minutes; the app uses {DEFAULT_MINUTES:g} instead")
    return Check("session expiry", True, f"signed-in sessions end after {minutes:g} idle minutes")


def _oidc(stores: list[Store], files: list[Path]) -> Check:
    name = "single sign-on (OpenID Connect)"
    auth: dict = {}
    for path in files:
        if not path.is_file():
            continue
        try:
            found = tomllib.loads(path.read_text(encoding="utf-8")).get("auth")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return Check(name, False, f"{path}: cannot be read as TOML ({exc})")
        if isinstance(found, dict):
            auth.update(found)
    if not auth:
        return Check(name, True, "not configured: reviewers sign in with name and password")
    problems = []
    redirect = str(auth.get("redirect_uri", ""))
    if not redirect.startswith(("https://", "http://")) or not redirect.endswith(
            "/oauth2callback"):
        problems.append("[auth] redirect_uri must be the app's absolute address ending in "
                        "/oauth2callback")
    if len(str(auth.get("cookie_secret", ""))) < 32:
        problems.append("[auth] cookie_secret must be a random string of 32 or more characters "
                        "(the same for every app process)")
    providers = {n: v for n, v in auth.items() if isinstance(v, dict) and "client_id" in v}
    if "client_id" in auth:
        providers[""] = auth
    if not providers:
        problems.append("[auth] names no provider (client_id, client_secret, "
                        "server_metadata_url, in [auth] or [auth.NAME])")
    for provider, settings in providers.items():
        where = f"[auth.{provider}]" if provider else "[auth]"
        for key in ("client_secret", "server_metadata_url"):
            if not settings.get(key):
                problems.append(f"{where} lacks {key}")
    if importlib.util.find_spec("authlib") is None:
        problems.append("Authlib is not installed: pip install 'streamlit[auth]'")
    reviewers = t.reviewers
    counts = []
    for store in stores:  # accounts are each review's own
        with store.read() as conn:
            counts.append(conn.execute(sa.select(sa.func.count()).select_from(reviewers).where(
                reviewers.c.email.is_not(None), reviewers.c.active.is_(True))).scalar_one())
    emails = sum(counts)
    without = [s.review.slug if s.review is not None else "?"
               for s, n in zip(stores, counts, strict=True) if not n]
    if without and len(stores) == 1:
        problems.append("no active reviewer has an email to match a sign-in: "
                        "'review users email NAME EMAIL'")
    elif without:
        problems.append(f"no active reviewer of {', '.join(without)} has an email to match a "
                        "sign-in: 'review users email NAME EMAIL --review SLUG'")
    if problems:
        return Check(name, False, "; ".join(problems))
    return Check(name, True, f"{len(providers)} provider(s); {emails} reviewer(s) with an email")


def _writable(store: Store) -> Check:
    try:
        mode = store.probe_write()
    except sa.exc.SQLAlchemyError as exc:
        return Check("database writable", False, str(exc).splitlines()[0])
    if mode is not None and mode.lower() != "wal":
        return Check("database writable", False, f"SQLite journal mode is {mode}, "
                     "not WAL: reviewers writing at once may wait or fail")
    return Check("database writable", True, "a write transaction went through")


def _review_checks(store: Store) -> list[Check]:
    checks = []
    try:
        protocol = review_protocol(store)
        checks.append(Check("protocol loads", True, protocol.title))
    except ReviewError as exc:
        checks.append(Check("protocol loads", False, str(exc)))
    reviewers = t.reviewers
    with store.read() as conn:
        leads = conn.execute(sa.select(sa.func.count()).select_from(reviewers).where(
            reviewers.c.role == "lead", reviewers.c.active.is_(True),
            reviewers.c.password_hash.is_not(None))).scalar_one()
        weak = [r.name for r in conn.execute(sa.select(reviewers.c.name, reviewers.c.password_hash))
                if r.password_hash and not r.password_hash.startswith("$argon2")]
    checks.append(Check("a lead can sign in", leads > 0,
                        f"{leads} lead(s) with a password" if leads else
                        "no lead has a password: 'review users add NAME --role lead'"))
    checks.append(Check("passwords hashed with Argon2", not weak,
                        "all" if not weak else "not Argon2: " + ", ".join(weak)))
    demo = get_setting(store, "demo_accounts")
    checks.append(Check("no demo passwords shown", not demo,
                        "none" if not demo else "this is a demo review: its sign-in page prints "
                        f"the passwords of {len(demo)} accounts; do not serve it to a team"))
    checks.append(_pdfs(store))
    checks.append(_screening_counts(store))
    return checks


def _screening_counts(store: Store) -> Check:
    """The kept counts of works per stage and state (a reviewer's progress) against a count of
    the state rows; where they differ, they are counted afresh, and the check says so."""
    with store.read() as conn:
        drift = count_drift(store, conn)
    if not drift:
        return Check("screening counts agree", True, "progress counts match the screening state")
    with store.write() as conn:
        recount(store, conn)
    return Check("screening counts agree", False, "kept counts differed from the screening "
                 "state (" + "; ".join(f"{stage} {state}: {kept} kept, {counted} counted"
                                       for (stage, state), (kept, counted) in drift.items())
                 + "); recounted now. Something wrote the state rows around review's services.")


def _pdfs(store: Store) -> Check:
    files = t.fulltext_files
    bad, count = [], 0
    with store.read() as conn:
        for row in conn.execute(sa.select(files.c.sha256, files.c.data)):
            count += 1
            if hashlib.sha256(bytes(row.data)).hexdigest() != row.sha256:
                bad.append(row.sha256[:12])
    return Check("stored PDFs intact", not bad,
                 f"{count} file(s) match their sha256" if not bad else
                 "damaged: " + ", ".join(bad))
