"""Signed-in sessions, decided here rather than in a page, so every front end signs people in
and ends their sessions by the same rules.

A session starts from a password (checked against the Argon2 hash) or from a single sign-on
identity whose verified email is an active reviewer's, and is kept server-side in the
`sessions` table of the review's database, so every app process on that database (behind a
proxy) knows it. The browser holds a signed, HttpOnly cookie with a random session id; only the
id's sha256 is stored. The front end cannot set an HttpOnly cookie from a page run, so a sign-in
leaves a one-time hand-over code (hashed, valid for two minutes, bound to the browser) that the
app's sign-in route exchanges for the cookie (`start_session`, then `redeem`).

At every later page run the session is checked again: it ends after $REVIEW_SESSION_MINUTES
without activity in any tab (default 60), on sign-out (in any tab), when the account is
disabled, its password is set anew or its role changes (review/accounts.py ends the sessions
in the same transaction), and, for a password session, when the password changed after
sign-in; otherwise it goes on with the person as stored now. Starts and ends are audited.
The clock is passed in, so the rules are testable.

The cookie's signing key is $REVIEW_SECRET when set, otherwise a random key made once and kept
in the review's settings, so every process on one database signs alike without configuration.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from review import accounts
from review.accounts import Reviewer
from review.store import Store
from review.store import schema as t
from review.store.records import audit

SESSION_ENV = "REVIEW_SESSION_MINUTES"
DEFAULT_MINUTES = 60.0
PASSWORD = "password"
OIDC = "oidc"

IDLE = "You were signed out after {minutes:g} minutes without activity. Sign in again to go on."
DISABLED = "Your account has been disabled; ask a lead of the review."
PASSWORD_CHANGED = ("Your password was changed since you signed in, so every session of yours "
                    "ended. Sign in with the new password.")
SIGNED_OUT = "You signed out (in this tab or another one). Sign in again to go on."
ROLE_CHANGED = ("Your role in this review was changed, so your sessions ended. Sign in again "
                "to go on with the new role.")
EMAIL_CHANGED = ("Your email address in this review was changed, so your sessions ended. Sign "
                 "in again to go on.")
ENDED = "Your session has ended. Sign in again to go on."

COOKIE = "review_session"  # the browser's cookie: the session id and its signature
SECRET_ENV = "REVIEW_SECRET"
GRANT_SECONDS = 120.0  # a hand-over code is good for this long, once
KEEP_DAYS = 30  # ended or long-idle session rows are deleted after this many days
_KEY_SETTING = "session_signing_key"
_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"  # as review.store.utc_now writes times
# why a session ended (sessions.end_reason) -> what the person is told
ENDED_SIGN_OUT = "signed out"
ENDED_IDLE = "idle"
_REASONS = {ENDED_SIGN_OUT: SIGNED_OUT, accounts.ENDED_PASSWORD: PASSWORD_CHANGED,
            accounts.ENDED_DISABLED: DISABLED, accounts.ENDED_ROLE: ROLE_CHANGED,
            accounts.ENDED_EMAIL: EMAIL_CHANGED}


def cookie_name(store: Store) -> str:
    """The first review of a database keeps the cookie it always had; each later review has
    its own, so a browser stays signed in to each review it uses on one server."""
    slot = store.review
    if slot is None or slot.namespace is None:
        return COOKIE
    return f"{COOKIE}_{slot.slug}"


@dataclass(frozen=True, slots=True)
class Session:
    """What a front end keeps between page runs of one signed-in person."""

    reviewer: Reviewer
    via: str | None  # PASSWORD, OIDC, or None (set up directly, as tests and scripts do)
    stamp: str | None  # the credential stamp at sign-in; only a password session is held to it
    last_seen: float  # seconds (time.time()) of the last page run
    id: int | None = None  # its row in the sessions table (None: kept by the front end alone)


@dataclass(frozen=True, slots=True)
class Checked:
    """A session after its check: renewed, or ended with the reason to show the person."""

    session: Session | None
    ended: str | None = None
    provider_sign_out: bool = False  # an idle single sign-on session: forget the identity too


def parse_minutes(raw: str) -> float | None:
    """A positive, finite number of minutes, or None (for `review doctor` to report)."""
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0 < value < float("inf") else None


def session_minutes(environ: Mapping[str, str] | None = None) -> float:
    """Idle minutes before a signed-in session ends ($REVIEW_SESSION_MINUTES; `review doctor`
    reports a value that is not a positive number, and the default applies meanwhile)."""
    raw = (os.environ if environ is None else environ).get(SESSION_ENV)
    minutes = None if raw is None else parse_minutes(raw)
    return DEFAULT_MINUTES if minutes is None else minutes


def password_sign_in(store: Store, name: str, password: str, *, now: float) -> Session | None:
    """A new session if the name and password match an active reviewer; None otherwise (with
    no hint which part was wrong). The stamp is of the very hash the password was checked
    against, so a reset landing during sign-in cannot leave the session with the new stamp."""
    found = accounts.authenticate_session(store, name, password)
    if found is None:
        return None
    person, stamp = found
    return Session(person, PASSWORD, stamp, now)


def reviewer_for_identity(store: Store,
                          identity: Mapping[str, Any]) -> tuple[Reviewer | None, str | None]:
    """The active reviewer whose email the provider vouched for, or why there is none."""
    email = str(identity.get("email") or "").strip()
    if not email:
        return None, "The sign-in provider did not give an email address, so no reviewer of " \
                     "this review can be matched."
    if identity.get("email_verified") is False:
        return None, f"The sign-in provider has not verified {email}; verify it there first."
    person = accounts.reviewer_by_email(store, email)
    if person is None:
        return None, (f"{email} is not the email of a reviewer of this review. Ask a lead to "
                      "add it to your account (Accounts page, or 'review users email NAME "
                      "EMAIL').")
    if not person.active:
        return None, f"The account for {email} is disabled; ask a lead of the review."
    return person, None


def identity_sign_in(store: Store, identity: Mapping[str, Any], *,
                     now: float) -> tuple[Session | None, str | None]:
    """A new session for a single sign-on identity, or why it signs nobody in. No password
    guards such a session, so it carries no stamp; disabling the account still ends it."""
    person, problem = reviewer_for_identity(store, identity)
    if person is None:
        return None, problem
    return Session(person, OIDC, "", now), None


def check_session(store: Store, session: Session, *, now: float,
                  minutes: float | None = None) -> Checked:
    """The session at a new page run: ended (signed out in another tab, idle too long, account
    disabled or gone, password set anew, role changed) or renewed with the person as stored
    now. A stored session is idle from its last use in any tab; its end is recorded once."""
    minutes = session_minutes() if minutes is None else minutes
    if session.id is None:
        return _check_kept(store, session, now=now, minutes=minutes)
    table, people = t.sessions, t.reviewers
    with store.read() as conn:  # the session and its person as stored now: one query a run
        row = conn.execute(
            sa.select(table, *accounts.person_columns())
            .outerjoin(people, people.c.id == table.c.reviewer_id)
            .where(table.c.id == session.id)).first()
    if row is None:
        return Checked(None, ENDED)
    fresh, stamp = accounts.session_person_in(row)
    if row.ended_at is not None:
        return Checked(None, _REASONS.get(row.end_reason or "", ENDED))
    last_seen = max(_seconds(row.last_seen_at), session.last_seen)
    ended = None
    if now - last_seen > minutes * 60:
        ended = (ENDED_IDLE, IDLE.format(minutes=minutes))
    elif fresh is None or not fresh.active:
        ended = (accounts.ENDED_DISABLED, DISABLED)
    elif row.via == PASSWORD and stamp != row.stamp:
        ended = (accounts.ENDED_PASSWORD, PASSWORD_CHANGED)
    if ended is not None:
        end_session(store, session.id, ended[0], actor=session.reviewer.name, now=now)
        return Checked(None, ended[1], provider_sign_out=ended[0] == ENDED_IDLE
                       and row.via == OIDC)
    assert fresh is not None
    if now - _seconds(row.last_seen_at) >= min(60.0, minutes * 6):  # not every click writes
        with store.write() as conn:
            conn.execute(table.update().where(table.c.id == session.id)
                         .values(last_seen_at=_iso(now)))
    return Checked(replace(session, reviewer=fresh, stamp=row.stamp, last_seen=now))


def _check_kept(store: Store, session: Session, *, now: float, minutes: float) -> Checked:
    """A session the front end keeps alone (set up directly, as tests and scripts do)."""
    if now - session.last_seen > minutes * 60:
        return Checked(None, IDLE.format(minutes=minutes), provider_sign_out=session.via == OIDC)
    with store.read() as conn:
        fresh, stamp = accounts.session_person(store, conn, session.reviewer.id)
    if fresh is None or not fresh.active:
        return Checked(None, DISABLED)
    if session.via == PASSWORD and stamp != session.stamp:
        return Checked(None, PASSWORD_CHANGED)
    return Checked(replace(session, reviewer=fresh, last_seen=now))


def after_own_password_change(store: Store, session: Session) -> Session:
    """The session of someone who just set their own password goes on (their other sessions
    end: accounts.set_password with keep_session=session.id)."""
    with store.read() as conn:
        _, stamp = accounts.session_person(store, conn, session.reviewer.id)
    return replace(session, stamp=stamp)


# --- stored sessions and their cookie -------------------------------------------------------

def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime(_TIME)


def _seconds(iso: str) -> float:
    return datetime.strptime(iso, _TIME).replace(tzinfo=UTC).timestamp()


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start_session(store: Store, session: Session, *,
                  binding: str | None = None) -> tuple[Session, str]:
    """Record a new session (audited) and return it with a one-time hand-over code for the
    sign-in route. `binding`: a secret the browser already holds (its XSRF token), which the
    route must see again, so a code copied to another browser signs nobody in there."""
    code = secrets.token_urlsafe(32)
    table = t.sessions
    now = session.last_seen
    with store.write() as conn:
        old = _iso(now - KEEP_DAYS * 86400)
        conn.execute(table.delete().where(sa.or_(table.c.ended_at < old,
                                                 table.c.last_seen_at < old)))
        new_id = conn.execute(table.insert().values(
            reviewer_id=session.reviewer.id, via=session.via or PASSWORD, stamp=session.stamp,
            grant_hash=_digest(code), grant_until=_iso(now + GRANT_SECONDS),
            binding_hash=_digest(binding) if binding else None,
            started_at=_iso(now), last_seen_at=_iso(now)).returning(table.c.id)).scalar_one()
        audit(store, conn, actor=session.reviewer.name, action="start session",
              entity="session", entity_id=str(new_id),
              detail={"reviewer": session.reviewer.name, "via": session.via})
    return replace(session, id=new_id), code


def redeem(store: Store, code: str, *, now: float, binding: str | None = None) -> str | None:
    """The cookie value for a hand-over code, once: a new random id whose hash is stored with
    the session. None for an unknown, used or expired code, one bound to another browser, or
    a session that has ended meanwhile."""
    if not code:
        return None
    table = t.sessions
    token = secrets.token_urlsafe(32)
    with store.write() as conn:
        row = conn.execute(sa.select(table).where(table.c.grant_hash == _digest(code))).first()
        if row is None:
            return None
        used = conn.execute(table.update().where(table.c.id == row.id,
                                                 table.c.grant_hash == _digest(code))
                            .values(grant_hash=None, grant_until=None, binding_hash=None))
        if used.rowcount != 1 or row.ended_at is not None or now > _seconds(row.grant_until):
            return None
        if row.binding_hash is not None and not (
                binding and hmac.compare_digest(_digest(binding), row.binding_hash)):
            return None
        conn.execute(table.update().where(table.c.id == row.id)
                     .values(token_hash=_digest(token)))
    return f"{token}.{_signature(store, token)}"


def _signature(store: Store, token: str) -> str:
    mac = hmac.new(signing_key(store), token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def cookie_token(store: Store, value: str | None) -> str | None:
    """The session id in a cookie value whose signature is right; None otherwise."""
    token, dot, signature = (value or "").partition(".")
    if not dot or not token or not hmac.compare_digest(signature, _signature(store, token)):
        return None
    return token


_KEYS: dict[tuple[str, str | None], bytes] = {}  # per database and review


def signing_key(store: Store, environ: Mapping[str, str] | None = None) -> bytes:
    """$REVIEW_SECRET, or the review's own key (made at first use and kept in its settings,
    so every process on the database shares it and cookies outlive a restart)."""
    secret = (os.environ if environ is None else environ).get(SECRET_ENV, "")
    if secret:
        return hashlib.sha256(secret.encode()).digest()
    key = (store.url, store.review.namespace if store.review is not None else None)
    if key not in _KEYS:
        kept = accounts.get_setting(store, _KEY_SETTING)
        if not kept:
            table = t.settings
            try:
                with store.write() as conn:
                    conn.execute(table.insert().values(key=_KEY_SETTING,
                                                       value=secrets.token_hex(32)))
            except sa.exc.IntegrityError:
                pass  # another process made it first: use theirs
            kept = accounts.get_setting(store, _KEY_SETTING)
        _KEYS[key] = bytes.fromhex(kept)
    return _KEYS[key]


def resume(store: Store, value: str | None, *, now: float,
           minutes: float | None = None) -> Checked:
    """The session a cookie carries, checked as at any page run; no session (and no reason)
    for a missing, forged or unknown cookie."""
    token = cookie_token(store, value)
    if token is None:
        return Checked(None)
    table = t.sessions
    with store.read() as conn:
        row = conn.execute(sa.select(table).where(table.c.token_hash == _digest(token))).first()
        person = None if row is None else accounts.reviewer_by_id(store, conn, row.reviewer_id)
    if row is None:
        return Checked(None)
    if person is None:
        return Checked(None, DISABLED)
    session = Session(person, row.via, row.stamp, _seconds(row.last_seen_at), row.id)
    return check_session(store, session, now=now, minutes=minutes)


def carry_over(store: Store, cookies: Mapping[str, str], *, now: float) -> Session | None:
    """A new session in this review for someone signed in to another review of the server:
    one account, so moving between one's reviews signs in once. It stands only if the other
    session does (checked as at any page run) and the person is an active member of this
    review with an account that may sign in; a password session here is held to this
    review's credential stamp, as one begun here would be."""
    if store.review is None:
        return None
    for slot in store.reviews():
        if slot == store.review:
            continue
        other = store.with_review(slot)
        value = cookies.get(cookie_name(other))
        if not value:
            continue
        there = resume(other, value, now=now).session
        if there is None or accounts.member_here(other, there.reviewer.name) is None:
            continue  # no session there, or its row out of step with the account
        here = accounts.member_here(store, there.reviewer.name)
        if here is None:
            continue
        person, stamp = here
        return Session(person, there.via, stamp if there.via == PASSWORD else "", now)
    return None


def end_session(store: Store, session_id: int, reason: str = ENDED_SIGN_OUT, *, actor: str,
                now: float) -> bool:
    """End one session (sign-out, or idle); audited. False if it had already ended."""
    table = t.sessions
    with store.write() as conn:
        done = conn.execute(table.update().where(table.c.id == session_id,
                                                 table.c.ended_at.is_(None))
                            .values(ended_at=_iso(now), end_reason=reason, grant_hash=None,
                                    grant_until=None)).rowcount
        if done:
            audit(store, conn, actor=actor, action="end session", entity="session",
                  entity_id=str(session_id), detail={"reason": reason})
    return bool(done)


def end_by_cookie(store: Store, value: str | None, *, now: float) -> bool:
    """Sign-out by the cookie alone (the sign-out route, when the page did not end it)."""
    token = cookie_token(store, value)
    if token is None:
        return False
    table, people = t.sessions, t.reviewers
    with store.read() as conn:
        row = conn.execute(sa.select(table.c.id, people.c.name)
                           .join(people, people.c.id == table.c.reviewer_id)
                           .where(table.c.token_hash == _digest(token))).first()
    return row is not None and end_session(store, row.id, actor=row.name, now=now)
