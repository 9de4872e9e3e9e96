"""Checks a deployment before a team relies on it: the database answers and takes writes, the
schema is current, the protocol loads, someone can sign in as a lead, stored PDFs match their
sha256, and the demo's printed passwords are not on a real review's sign-in page."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import sqlalchemy as sa

from review.errors import ReviewError
from review.store import Store, resolve_url
from review.store.migrations import LATEST


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_checks(db: str | os.PathLike[str] | None) -> list[Check]:
    """Every check, in order; a check that cannot run because an earlier one failed is not
    reported as passed."""
    checks: list[Check] = []
    try:
        store = Store.open(db)
    except (ReviewError, sa.exc.SQLAlchemyError) as exc:
        return [Check("database reachable", False, str(exc).splitlines()[0])]
    try:
        checks.append(Check("database reachable", True, f"{store.display_url} "
                            f"({store.engine.dialect.name})"))
        version = store.schema_version()
        checks.append(Check("migrations current", version == LATEST,
                            f"schema {version}, this version of review knows {LATEST}"))
        checks.append(_writable(store))
        checks.extend(_review_checks(store))
    finally:
        store.close()
    return checks


def _writable(store: Store) -> Check:
    url = resolve_url(store.url)
    try:
        with store.write() as conn:
            conn.execute(sa.text("CREATE TEMPORARY TABLE doctor_probe (x INTEGER)"))
            conn.execute(sa.text("DROP TABLE doctor_probe"))
            if url.startswith("sqlite"):
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
                if str(mode).lower() != "wal":
                    return Check("database writable", False, f"SQLite journal mode is {mode}, "
                                 "not WAL: reviewers writing at once may wait or fail")
    except sa.exc.SQLAlchemyError as exc:
        return Check("database writable", False, str(exc).splitlines()[0])
    return Check("database writable", True, "a write transaction went through")


def _review_checks(store: Store) -> list[Check]:
    from review.accounts import get_setting
    from review.project import review_protocol

    checks = []
    try:
        protocol = review_protocol(store)
        checks.append(Check("protocol loads", True, protocol.title))
    except ReviewError as exc:
        checks.append(Check("protocol loads", False, str(exc)))
    reviewers = store.table("reviewers")
    with store.read() as conn:
        leads = conn.execute(sa.select(sa.func.count()).select_from(reviewers).where(
            reviewers.c.role == "lead", reviewers.c.active.is_(True),
            reviewers.c.password_hash.is_not(None))).scalar_one()
        weak = [r.name for r in conn.execute(sa.select(reviewers.c.name, reviewers.c.password_hash))
                if r.password_hash and not r.password_hash.startswith("$argon2")]
    checks.append(Check("a lead can sign in", leads > 0,
                        f"{leads} lead(s) with a password" if leads else
                        "no lead has a password: 'review reviewers add NAME --role lead'"))
    checks.append(Check("passwords hashed with Argon2", not weak,
                        "all" if not weak else "not Argon2: " + ", ".join(weak)))
    demo = get_setting(store, "demo_accounts")
    checks.append(Check("no demo passwords shown", not demo,
                        "none" if not demo else "this is a demo review: its sign-in page prints "
                        f"the passwords of {len(demo)} accounts; do not serve it to a team"))
    checks.append(_pdfs(store))
    return checks


def _pdfs(store: Store) -> Check:
    files = store.table("fulltext_files")
    bad, count = [], 0
    with store.read() as conn:
        for row in conn.execute(sa.select(files.c.sha256, files.c.data)):
            count += 1
            if hashlib.sha256(bytes(row.data)).hexdigest() != row.sha256:
                bad.append(row.sha256[:12])
    return Check("stored PDFs intact", not bad,
                 f"{count} file(s) match their sha256" if not bad else
                 "damaged: " + ", ".join(bad))
