"""Reviewers of a review: accounts with a role, and passwords hashed with Argon2 (argon2-cffi),
so a copied review database does not give away anyone's password.

Roles: a lead manages the review (its people, conflicts, exports, protocol); a reviewer
screens; an observer (a supervisor, a funder) reads the review's progress and screens nothing.
A reviewer marked `resolver` is a designated third reviewer who may resolve conflicts on records
they did not screen themselves.

Account changes take `actor`: a Reviewer (someone signed in to the app), who must be an active
lead now, or a plain name (the command line: whoever can open the database can change it
anyway, and that is how a review gets its first lead). Every change is in the audit log with
its before and after; password hashes never are.

One server, many reviews: a person has one account per database (`accounts`: name, password,
email, whether they may sign in at all, server administrator) and a row in each review they
are in (`reviewers`: their role there). The password hash and email are mirrored into each of
those rows, in the same transaction as the account, so a review's sign-in and its page runs
read one row as before. A lead manages the people of their own review; a change to what is
the person's in every review (password, email) needs a lead of every review they are in, a
server administrator, or the command line; disabling an account ends its sessions in every
review.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from review.errors import ReviewError
from review.store import ReviewSlot, Store, person_key, utc_now
from review.store import schema as t
from review.store.records import audit

ROLES = ("lead", "reviewer", "observer")
MIN_PASSWORD = 8
_HASHER = PasswordHasher()
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AccessError(ReviewError):
    """The person asking may not do this (wrong role, or blinding forbids it)."""


@dataclass(frozen=True, slots=True)
class Reviewer:
    id: int
    name: str
    role: str
    resolver: bool
    active: bool
    email: str | None = None

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"

    @property
    def is_observer(self) -> bool:
        return self.role == "observer"

    @property
    def can_resolve(self) -> bool:
        return self.role == "lead" or (self.role == "reviewer" and self.resolver)

    @property
    def sees_whole_review(self) -> bool:
        """Stage totals and agreement: for those who may know how people voted (leads, third
        reviewers) or who vote on nothing (observers)."""
        return self.can_resolve or self.is_observer

    def describe(self) -> str:
        if self.role == "reviewer" and self.resolver:
            return "third reviewer"
        return self.role

    def with_article(self) -> str:
        role = self.describe()
        return ("an " if role[0] in "aeiou" else "a ") + role


def _reviewer(row: Any) -> Reviewer:
    return Reviewer(id=row.id, name=row.name, role=row.role, resolver=bool(row.resolver),
                    active=bool(row.active), email=getattr(row, "email", None))


def _check_role(role: str, resolver: bool) -> None:
    if role not in ROLES:
        raise ReviewError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if resolver and role != "reviewer":
        raise ReviewError("only a reviewer can be a third reviewer (resolver); a lead resolves "
                          "conflicts anyway and an observer does not screen")


def _check_email(email: str | None) -> str | None:
    email = (email or "").strip().lower() or None
    if email is not None and not _EMAIL.fullmatch(email):
        raise ReviewError(f"{email!r} is not an email address")
    return email


def authorise(store: Store, conn: Connection, who: str | Reviewer,
              allowed: Callable[[Reviewer], bool], refusal: str, *,
              named: bool = False) -> str:
    """The name that goes in the audit log for a change or a read that needs a role.

    A person signed in to the app (a Reviewer kept from sign-in) is looked up again by id and
    must, as stored now, be active and pass `allowed`; else AccessError with `refusal`. A plain
    name is the command line's operator, who holds the database itself (a check there would
    guard nothing) and is how a review gets its first lead: recorded as given. With `named`,
    a plain name is a reviewer's instead (`--by LEAD`), looked up and checked the same way."""
    if isinstance(who, Reviewer):
        now = reviewer_now(store, conn, who)
    elif named:
        now = find_reviewer(store, conn, who)
        if now is None:
            raise AccessError(f"{who!r} is not a reviewer of this review; {refusal}")
    else:
        return who
    if now is None or not now.active:
        gone = now.name if now else who.name if isinstance(who, Reviewer) else who
        raise AccessError(f"{gone} is no longer an active reviewer of this review")
    if not allowed(now):
        raise AccessError(f"{now.name} is {now.with_article()} of this review; {refusal}")
    return now.name


def is_lead(person: Reviewer) -> bool:
    return person.is_lead


def screens(person: Reviewer) -> bool:
    """Leads and reviewers: the people who screen, attach full texts and extract."""
    return not person.is_observer


def reads_reports(person: Reviewer) -> bool:
    """Leads and observers: the review's aggregate reports (PRISMA counts and diagram)."""
    return person.is_lead or person.is_observer


def _actor_name(store: Store, conn: Connection, actor: str | Reviewer) -> str:
    """Who is changing accounts: a signed-in person must be an active lead as stored now."""
    return authorise(store, conn, actor, is_lead, "only a lead manages accounts")


def add_reviewer(store: Store, name: str, *, role: str = "reviewer", password: str | None = None,
                 resolver: bool = False, email: str | None = None,
                 actor: str | Reviewer) -> Reviewer:
    """Add a person to the review. Without a password they can vote from the command line and
    CSV imports but cannot sign in to the app (unless by OpenID Connect, matched on email).
    Someone with an account on the server already joins with it: their password and email
    are theirs in every review (a password given must be theirs; a first one follows the
    rules of a password change)."""
    name = " ".join(name.split())
    if not name:
        raise ReviewError("a reviewer needs a name")
    _check_role(role, resolver)
    email = _check_email(email)
    if password is not None and len(password) < MIN_PASSWORD:
        raise ReviewError(f"a password needs at least {MIN_PASSWORD} characters")
    table = t.reviewers
    with store.write() as conn:
        who = _actor_name(store, conn, actor)
        if find_reviewer(store, conn, name) is not None:
            raise ReviewError(f"there is already a reviewer called {name!r}")
        account = _account(conn, name)
        password_hash = _HASHER.hash(password) if password else None
        if account is not None:
            if email is not None and email != account.email:
                raise ReviewError(f"{account.name} has an account on this server, and their "
                                  "email is the account's in every review: add them without "
                                  "one, then change it with 'review users email' (a lead of "
                                  "each of their reviews, or a server administrator)")
            email = account.email
            if account.password_hash and password is not None:
                try:
                    _HASHER.verify(account.password_hash, password)
                except (VerificationError, InvalidHashError):
                    raise ReviewError(
                        f"{account.name} has an account on this server with a password of "
                        "their own, used in every review: add them without one") from None
            if account.password_hash:
                password_hash = account.password_hash
            elif password_hash is not None:
                _may_change_account(store, conn, actor, _memberships(store, conn, name))
        _email_free(store, conn, email, None)
        _account_email_free(conn, email, name)
        new_id = conn.execute(table.insert().values(
            name=name, role=role, resolver=resolver, active=True, password_hash=password_hash,
            created_at=utc_now(), created_by=who, **({"email": email} if email else {}))
            .returning(table.c.id)).scalar_one()
        audit(store, conn, actor=who, action="add reviewer", entity="reviewer",
              entity_id=str(new_id), detail={"name": name, "role": role, "resolver": resolver,
                                             "email": email, "password": password is not None,
                                             "account": "existing" if account else "new"})
        if account is None:
            conn.execute(t.accounts.insert().values(
                name=name, name_key=_name_key(name), password_hash=password_hash, email=email,
                active=True, admin=False, created_at=utc_now(), created_by=who))
        elif password_hash != account.password_hash:
            _mirror(store, conn, name, {"password_hash": password_hash}, who, "set password",
                    ENDED_PASSWORD)
    return Reviewer(new_id, name, role, resolver, True, email)


# --- the account, shared by every review a person is in --------------------------------------

def _account(conn: Connection, name: str) -> Any:
    table = t.accounts
    return conn.execute(sa.select(table).where(table.c.name_key == _name_key(name))).first()


def _account_email_free(conn: Connection, email: str | None, name: str) -> None:
    if email is None:
        return
    table = t.accounts
    row = conn.execute(sa.select(table.c.name, table.c.name_key)
                       .where(table.c.email == email)).first()
    if row is not None and row.name_key != _name_key(name):
        raise ReviewError(f"{email} is already the email of {row.name} on this server")


def _memberships(store: Store, conn: Connection, name: str) -> list[tuple[Store, Any]]:
    """Each review the person is in, as (that review's store, their row there); `conn` is
    pointed back at `store`'s review after."""
    slots = store.reviews(conn)
    if not slots:  # a database whose first review is still being made
        row = _row_by_name(store, conn, name)
        return [(store, row)] if row is not None else []
    found = []
    for slot in slots:
        other = store if slot == store.review else store.with_review(slot)
        other.bind(conn)
        row = _row_by_name(other, conn, name)
        if row is not None:
            found.append((other, row))
    store.bind(conn)
    return found


def _may_change_account(store: Store, conn: Connection, actor: str | Reviewer,
                        members: list[tuple[Store, Any]]) -> None:
    """A person's password and email are theirs in every review: a lead signed in to the app
    changes them only if they lead each of those reviews (or administer the server); a person
    changes their own."""
    if not isinstance(actor, Reviewer):
        return
    if members and all(_name_key(row.name) == _name_key(actor.name) for _, row in members):
        return
    mine = _account(conn, actor.name)
    if mine is not None and mine.admin and mine.active:
        return
    for other, row in members:
        if other.review == store.review:
            continue
        other.bind(conn)
        lead = _row_by_name(other, conn, actor.name)
        store.bind(conn)
        if lead is None or not lead.active or lead.role != "lead":
            where = other.review.slug if other.review else "another review"
            raise AccessError(f"{row.name} is also in the review '{where}', which you do not "
                              "lead; their password and email are the same in every review, so "
                              "a lead of each of their reviews or a server administrator "
                              "changes them")


def _mirror(store: Store, conn: Connection, name: str, values: dict[str, Any], who: str,
            action: str, reason: str | None) -> None:
    """The account's change, and the same in the person's row of each of their other reviews
    (audited there, their sessions there ended for `reason`)."""
    conn.execute(t.accounts.update().where(t.accounts.c.name_key == _name_key(name))
                 .values(**values))
    for other, row in _memberships(store, conn, name):
        if other.review == store.review:
            continue
        other.bind(conn)
        conn.execute(t.reviewers.update().where(t.reviewers.c.id == row.id).values(**values))
        shown = {k: ("set" if k == "password_hash" else v) for k, v in values.items()}
        audit(other, conn, actor=who, action=action, entity="reviewer", entity_id=str(row.id),
              detail={"name": row.name, "after": shown, "account": "changed in review "
                      f"'{store.review.slug if store.review else ''}'"})
        if reason is not None:
            end_sessions(other, conn, row.id, reason, actor=who)
    store.bind(conn)


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    email: str | None
    active: bool
    admin: bool
    reviews: tuple[tuple[str, str], ...]  # (slug, role there)


def list_accounts(store: Store) -> list[Account]:
    """Every account of the server, with the reviews each is in and their role there."""
    with store.read() as conn:
        rows = conn.execute(sa.select(t.accounts).order_by(t.accounts.c.id)).all()
        roles: dict[str, list[tuple[str, str]]] = {}
        for slot in store.reviews(conn):
            other = store.with_review(slot)
            other.bind(conn)
            for person in conn.execute(sa.select(t.reviewers.c.name, t.reviewers.c.role,
                                                 t.reviewers.c.resolver, t.reviewers.c.active)):
                role = "third reviewer" if person.resolver and person.role == "reviewer" else \
                    person.role
                roles.setdefault(_name_key(person.name), []).append(
                    (slot.slug, role if person.active else f"{role}, disabled"))
        store.bind(conn)
    return [Account(name=r.name, email=r.email, active=bool(r.active), admin=bool(r.admin),
                    reviews=tuple(roles.get(r.name_key, ()))) for r in rows]


def set_account_active(store: Store, name: str, active: bool, *, actor: str | Reviewer) -> int:
    """Disable (or enable) a person's account on the whole server: disabled, they sign in to
    no review, and their sessions in every review end now. The command line or a server
    administrator only. Returns the sessions ended."""
    ended = 0
    with store.write() as conn:
        who = _admin_name(conn, actor)
        account = _account(conn, name)
        if account is None:
            raise ReviewError(f"no account called {name!r} on this server")
        conn.execute(t.accounts.update().where(t.accounts.c.id == account.id)
                     .values(active=bool(active)))
        for other, row in _memberships(store, conn, name):
            other.bind(conn)
            audit(other, conn, actor=who, action="enable account" if active else
                  "disable account", entity="reviewer", entity_id=str(row.id),
                  detail={"name": row.name})
            if not active:
                ended += end_sessions(other, conn, row.id, ENDED_DISABLED, actor=who)
        store.bind(conn)
    return ended


def set_admin(store: Store, name: str, admin: bool, *, actor: str | Reviewer) -> None:
    """Make a person a server administrator (or not): they create reviews and appoint their
    first leads. The command line or another administrator only."""
    with store.write() as conn:
        who = _admin_name(conn, actor)
        account = _account(conn, name)
        if account is None:
            raise ReviewError(f"no account called {name!r} on this server; add them to a "
                              "review first ('review users add NAME --review SLUG')")
        conn.execute(t.accounts.update().where(t.accounts.c.id == account.id)
                     .values(admin=bool(admin)))
        for other, row in _memberships(store, conn, name):  # in each review they are in
            other.bind(conn)
            audit(other, conn, actor=who, action="grant server administration" if admin else
                  "withdraw server administration", entity="reviewer", entity_id=str(row.id),
                  detail={"name": row.name, "account": account.id})
        store.bind(conn)


def member_here(store: Store, name: str) -> tuple[Reviewer, str] | None:
    """The person of this review with that name and their credential stamp, if they and their
    account are active: who a session begun in another of their reviews stands for here."""
    with store.read() as conn:
        row = _row_by_name(store, conn, name)
        if row is None or not row.active:
            return None
        account = _account(conn, row.name)
    if account is None or not account.active or (account.password_hash, account.email) != (
            row.password_hash, row.email):
        return None  # no account, or a row out of step with it: it stands for nobody else
    return _reviewer(row), _stamp(row.password_hash)


def reviews_of(store: Store, name: str) -> list[tuple[ReviewSlot, str]]:
    """The reviews of the server the person is an active member of, with their role there."""
    found = []
    with store.read() as conn:
        for other, row in _memberships(store, conn, name):
            if row.active and other.review is not None:
                found.append((other.review, _reviewer(row).describe()))
    return found


def has_password(store: Store, name: str) -> bool:
    """Whether the person has an account on the server with a password already (then adding
    them to a review asks for none)."""
    with store.read() as conn:
        account = _account(conn, name)
    return bool(account is not None and account.password_hash)


def is_admin(store: Store, name: str) -> bool:
    with store.read() as conn:
        account = _account(conn, name)
    return bool(account is not None and account.admin and account.active)


def _admin_name(conn: Connection, actor: str | Reviewer) -> str:
    if not isinstance(actor, Reviewer):
        return actor
    mine = _account(conn, actor.name)
    if mine is None or not mine.admin or not mine.active:
        raise AccessError(f"{actor.name} is not a server administrator; only an administrator "
                          "(or the command line) changes accounts on the whole server")
    return actor.name


def _account_active(conn: Connection, name: str) -> bool:
    """Whether the person's account may sign in (no account: a review from before accounts,
    or a row added by hand: as its own row says)."""
    account = _account(conn, name)
    return account is None or bool(account.active)


def _email_free(store: Store, conn: Connection, email: str | None, own_id: int | None) -> None:
    if email is None:
        return
    table = t.reviewers
    row = conn.execute(sa.select(table.c.id, table.c.name).where(table.c.email == email)).first()
    if row is not None and row.id != own_id:
        raise ReviewError(f"{email} is already the email of {row.name}")


# why a person's sessions ended (sessions.end_reason); review/sessions.py words them
ENDED_PASSWORD = "password changed"
ENDED_DISABLED = "disabled"
ENDED_ROLE = "role changed"
ENDED_EMAIL = "email changed"  # a single sign-on identity no longer stands for this person


def end_sessions(store: Store, conn: Connection, reviewer_id: int, reason: str, *, actor: str,
                 keep: int | None = None) -> int:
    """End every open session of a person (in the caller's transaction), except `keep` (the
    session of someone who set their own password, which takes the new credential stamp);
    audited with the count. The sessions service and account changes both use it."""
    table = t.sessions
    now = utc_now()
    where = [table.c.reviewer_id == reviewer_id, table.c.ended_at.is_(None)]
    if keep is not None:
        where.append(table.c.id != keep)
        stamp = session_person(store, conn, reviewer_id)[1]
        conn.execute(table.update().where(table.c.id == keep, table.c.ended_at.is_(None))
                     .values(stamp=stamp))
    ended = [r.id for r in conn.execute(sa.select(table.c.id).where(*where))]
    if ended:
        conn.execute(table.update().where(table.c.id.in_(ended)).values(
            ended_at=now, end_reason=reason, grant_hash=None, grant_until=None))
        audit(store, conn, actor=actor, action="end sessions", entity="reviewer",
              entity_id=str(reviewer_id), detail={"reason": reason, "sessions": ended})
    return len(ended)


def _change(store: Store, name: str, actor: str | Reviewer, action: str,
            values: dict[str, Any], shown: dict[str, Any] | None = None, *,
            keep_session: int | None = None) -> Reviewer:
    """Update one reviewer's row and audit it with before and after (`shown` replaces values
    that must not be logged, such as a password hash). A new password, disabling, a change of
    role and a change of email (the single sign-on identity) end the person's open sessions
    (but `keep_session`)."""
    table = t.reviewers
    with store.write() as conn:
        who = _actor_name(store, conn, actor)
        row = _row_by_name(store, conn, name)
        if row is None:
            raise ReviewError(f"no reviewer called {name!r} in this review")
        before = {k: getattr(row, k) for k in values}
        if "email" in values:
            _email_free(store, conn, values["email"], row.id)
        demoted = ("role" in values and values["role"] != "lead") or values.get("active") is False
        if row.role == "lead" and row.active and demoted:
            others = conn.execute(sa.select(sa.func.count()).select_from(table).where(
                table.c.role == "lead", table.c.active.is_(True), table.c.id != row.id)
            ).scalar_one()
            if not others:
                raise ReviewError(f"{row.name} is the review's only active lead; make someone "
                                  "else a lead first")
        shared = {k: v for k, v in values.items() if k in ("password_hash", "email")}
        if shared:
            _may_change_account(store, conn, actor, _memberships(store, conn, row.name))
            _account_email_free(conn, shared.get("email"), row.name)
        conn.execute(table.update().where(table.c.id == row.id).values(**values))
        after = dict(values)
        if shown is not None:
            before, after = {k: shown["before"] for k in shown["keys"]}, dict(shown["after"])
        audit(store, conn, actor=who, action=action, entity="reviewer", entity_id=str(row.id),
              detail={"name": row.name, "before": _plain(before), "after": _plain(after)})
        reason = None
        if "password_hash" in values:
            reason = ENDED_PASSWORD
        elif values.get("active") is False:
            reason = ENDED_DISABLED
        elif "role" in values and (values["role"], bool(values.get("resolver"))) != (
                row.role, bool(row.resolver)):
            reason = ENDED_ROLE
        elif "email" in values and values["email"] != row.email:
            reason = ENDED_EMAIL
        if reason is not None:
            end_sessions(store, conn, row.id, reason, actor=who, keep=keep_session)
        if shared:
            _mirror(store, conn, row.name, shared, who, action, reason)
        found = reviewer_by_id(store, conn, row.id)
    assert found is not None
    return found


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: bool(v) if k in ("active", "resolver") else v for k, v in values.items()}


def set_password(store: Store, name: str, password: str, *, actor: str | Reviewer,
                 keep_session: int | None = None) -> Reviewer:
    """A new password (a reset by a lead, or set on the command line); only the fact is
    audited. Every open session of the person ends, but `keep_session` (the session of someone
    setting their own password, which goes on)."""
    if len(password) < MIN_PASSWORD:
        raise ReviewError(f"a password needs at least {MIN_PASSWORD} characters")
    with store.read() as conn:
        row = _row_by_name(store, conn, name)
    had = bool(row is not None and row.password_hash)
    return _change(store, name, actor, "set password", {"password_hash": _HASHER.hash(password)},
                   shown={"keys": ["password"], "before": "set" if had else None,
                          "after": {"password": "set"}}, keep_session=keep_session)


def set_active(store: Store, name: str, active: bool, *, actor: str | Reviewer) -> Reviewer:
    """Disable or re-enable an account. A disabled person keeps their votes but cannot sign in
    or act; their sessions end (an open page notices at its next click)."""
    return _change(store, name, actor, "enable reviewer" if active else "disable reviewer",
                   {"active": bool(active)})


def set_role(store: Store, name: str, role: str, *, resolver: bool = False,
             actor: str | Reviewer) -> Reviewer:
    """A new role (or third-reviewer flag); the person's sessions end, so they sign in again
    as what they now are."""
    _check_role(role, resolver)
    return _change(store, name, actor, "change role", {"role": role, "resolver": resolver})


def set_email(store: Store, name: str, email: str | None, *, actor: str | Reviewer) -> Reviewer:
    return _change(store, name, actor, "change email", {"email": _check_email(email)})


def reviewer_by_email(store: Store, email: str) -> Reviewer | None:
    """The reviewer an OpenID Connect identity stands for (emails are stored lower-case)."""
    key = (email or "").strip().lower()
    if "@" not in key:
        return None
    table = t.reviewers
    with store.read() as conn:
        row = conn.execute(sa.select(table).where(table.c.email == key)).first()
        if row is not None and not _account_active(conn, row.name):
            return None
    return _reviewer(row) if row else None


def _name_key(name: str) -> str:
    return person_key(name)


def _row_by_name(store: Store, conn: Connection, name: str) -> Any:
    """Names match ignoring case and spacing, in any alphabet. Compared here, not in SQL:
    SQLite's lower() folds ASCII letters only, so 'ÅSA' would not find 'Åsa' there."""
    table = t.reviewers
    key = _name_key(name)
    for row in conn.execute(sa.select(table).order_by(table.c.id)):
        if _name_key(row.name) == key:
            return row
    return None


def find_reviewer(store: Store, conn: Connection, name: str) -> Reviewer | None:
    row = _row_by_name(store, conn, name)
    return _reviewer(row) if row else None


def reviewer_by_id(store: Store, conn: Connection, reviewer_id: int) -> Reviewer | None:
    """The reviewer as stored now (a session's Reviewer may predate a change of role)."""
    table = t.reviewers
    row = conn.execute(sa.select(table).where(table.c.id == reviewer_id)).first()
    return _reviewer(row) if row else None


def reviewer_now(store: Store, conn: Connection, who: Reviewer) -> Reviewer | None:
    """A person kept from sign-in, as this review stores them now; None if this review has no
    such person. Looked up by id and checked by name: the same id in another review of the
    server is someone else, so a person kept from one review is nobody in another."""
    found = reviewer_by_id(store, conn, who.id)
    if found is not None and _name_key(found.name) != _name_key(who.name):
        return None
    return found


def get_reviewer(store: Store, name: str) -> Reviewer:
    """A reviewer by name (case ignored); an unknown name is an error listing the known ones."""
    with store.read() as conn:
        found = find_reviewer(store, conn, name)
    if found is None:
        known = ", ".join(r.name for r in list_reviewers(store)) or "none yet"
        raise ReviewError(f"no reviewer called {name!r} in this review (reviewers: {known}); "
                          "add one with 'review users add NAME'")
    return found


def _stamp(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def session_person(store: Store, conn: Connection,
                   reviewer_id: int) -> tuple[Reviewer | None, str]:
    """The person as stored now and their credential stamp, in one read (every page run of a
    signed-in session asks). The stamp is what a session keeps of the account's password at
    sign-in: a new password (a lead's reset after a leak) changes it, so every session opened
    before it ends. A digest of the Argon2 hash, never the hash itself."""
    table = t.reviewers
    row = conn.execute(sa.select(table).where(table.c.id == reviewer_id)).first()
    return (_reviewer(row), _stamp(row.password_hash)) if row else (None, _stamp(None))


_PERSON = ("id", "name", "role", "resolver", "active", "email", "password_hash")


def person_columns() -> list[sa.Label[Any]]:
    """The reviewer's columns as session_person_in reads them, for a query that reads the
    person in the same statement as something else (a session: one query per page run)."""
    return [t.reviewers.c[name].label(f"person_{name}") for name in _PERSON]


def session_person_in(row: Any) -> tuple[Reviewer | None, str]:
    """session_person from a row with person_columns() (outer-joined: None when gone)."""
    if row.person_id is None:
        return None, _stamp(None)
    return (Reviewer(id=row.person_id, name=row.person_name, role=row.person_role,
                     resolver=bool(row.person_resolver), active=bool(row.person_active),
                     email=row.person_email), _stamp(row.person_password_hash))


def list_reviewers(store: Store) -> list[Reviewer]:
    table = t.reviewers
    with store.read() as conn:
        return [_reviewer(r) for r in conn.execute(sa.select(table).order_by(table.c.id))]


def authenticate(store: Store, name: str, password: str) -> Reviewer | None:
    """The reviewer if the password matches; None otherwise (no hint which part was wrong)."""
    found = authenticate_session(store, name, password)
    return found[0] if found else None


def authenticate_session(store: Store, name: str,
                         password: str) -> tuple[Reviewer, str] | None:
    """The reviewer and the credential stamp of the very hash the password was checked
    against, so a reset landing during sign-in cannot leave a session with the new stamp."""
    with store.read() as conn:
        row = _row_by_name(store, conn, name)
        allowed = row is not None and _account_active(conn, row.name)
    if row is None or not row.password_hash or not row.active or not allowed:
        _HASHER.hash(password)  # same cost either way, so timing does not tell names apart
        return None
    try:
        _HASHER.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return _reviewer(row), _stamp(row.password_hash)


def get_setting(store: Store, key: str, default: Any = None) -> Any:
    table = t.settings
    with store.read() as conn:
        row = conn.execute(sa.select(table.c.value).where(table.c.key == key)).first()
    return row.value if row else default


def put_setting(store: Store, key: str, value: Any) -> None:
    table = t.settings
    with store.write() as conn:
        conn.execute(table.delete().where(table.c.key == key))
        conn.execute(table.insert().values(key=key, value=value))


def acting_reviewer(store: Store, conn: Connection, who: str | Reviewer, *,
                    observer_refusal: str) -> Reviewer:
    """The person as stored now: a Reviewer kept from sign-in is looked up again by id, so
    someone deactivated (or given another role) since then is treated as they are now.
    Unknown, inactive and (for work an observer does not do) observer accounts are refused."""
    if isinstance(who, Reviewer):
        found, name = reviewer_now(store, conn, who), who.name
    else:
        found, name = find_reviewer(store, conn, who), who
    if found is None:
        raise ReviewError(f"no reviewer called {name!r} in this review; add one with "
                          "'review users add NAME'")
    if not found.active:
        raise AccessError(f"{found.name} is no longer an active reviewer of this review")
    if found.is_observer:
        raise AccessError(f"{found.name} is an observer of this review: {observer_refusal}")
    return found
