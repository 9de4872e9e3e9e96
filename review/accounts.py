"""Reviewers of a review: accounts with a role, and passwords hashed with Argon2 (argon2-cffi),
so a copied review database does not give away anyone's password.

Roles: a lead manages the review, resolves conflicts and exports; a reviewer screens. A reviewer
marked `resolver` is a designated third reviewer who may resolve conflicts on records they did
not screen themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from review.errors import ReviewError
from review.store import Store, utc_now
from review.store.records import audit

ROLES = ("lead", "reviewer")
MIN_PASSWORD = 8
_HASHER = PasswordHasher()


class AccessError(ReviewError):
    """The person asking may not do this (wrong role, or blinding forbids it)."""


@dataclass(frozen=True, slots=True)
class Reviewer:
    id: int
    name: str
    role: str
    resolver: bool
    active: bool

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"

    @property
    def can_resolve(self) -> bool:
        return self.role == "lead" or self.resolver


def _reviewer(row: Any) -> Reviewer:
    return Reviewer(id=row.id, name=row.name, role=row.role, resolver=bool(row.resolver),
                    active=bool(row.active))


def add_reviewer(store: Store, name: str, *, role: str = "reviewer", password: str | None = None,
                 resolver: bool = False, actor: str) -> Reviewer:
    """Add a person to the review. Without a password they can vote from the command line and
    CSV imports but cannot sign in to the app."""
    name = " ".join(name.split())
    if not name:
        raise ReviewError("a reviewer needs a name")
    if role not in ROLES:
        raise ReviewError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ReviewError(f"a password needs at least {MIN_PASSWORD} characters")
    table = store.table("reviewers")
    with store.write() as conn:
        if find_reviewer(store, conn, name) is not None:
            raise ReviewError(f"there is already a reviewer called {name!r}")
        new_id = conn.execute(table.insert().values(
            name=name, role=role, resolver=resolver, active=True,
            password_hash=_HASHER.hash(password) if password else None,
            created_at=utc_now(), created_by=actor).returning(table.c.id)).scalar_one()
        audit(store, conn, actor=actor, action="add reviewer", entity="reviewer",
              entity_id=str(new_id), detail={"name": name, "role": role, "resolver": resolver,
                                             "password": password is not None})
    return Reviewer(new_id, name, role, resolver, True)


def set_password(store: Store, name: str, password: str, *, actor: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ReviewError(f"a password needs at least {MIN_PASSWORD} characters")
    person = get_reviewer(store, name)
    table = store.table("reviewers")
    with store.write() as conn:
        conn.execute(table.update().where(table.c.id == person.id)
                     .values(password_hash=_HASHER.hash(password)))
        audit(store, conn, actor=actor, action="set password", entity="reviewer",
              entity_id=str(person.id), detail={"name": person.name})


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _row_by_name(store: Store, conn: Connection, name: str) -> Any:
    """Names match ignoring case and spacing, in any alphabet. Compared here, not in SQL:
    SQLite's lower() folds ASCII letters only, so 'ÅSA' would not find 'Åsa' there."""
    table = store.table("reviewers")
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
    table = store.table("reviewers")
    row = conn.execute(sa.select(table).where(table.c.id == reviewer_id)).first()
    return _reviewer(row) if row else None


def get_reviewer(store: Store, name: str) -> Reviewer:
    """A reviewer by name (case ignored); an unknown name is an error listing the known ones."""
    with store.read() as conn:
        found = find_reviewer(store, conn, name)
    if found is None:
        known = ", ".join(r.name for r in list_reviewers(store)) or "none yet"
        raise ReviewError(f"no reviewer called {name!r} in this review (reviewers: {known}); "
                          "add one with 'review reviewers add NAME'")
    return found


def list_reviewers(store: Store) -> list[Reviewer]:
    table = store.table("reviewers")
    with store.read() as conn:
        return [_reviewer(r) for r in conn.execute(sa.select(table).order_by(table.c.id))]


def authenticate(store: Store, name: str, password: str) -> Reviewer | None:
    """The reviewer if the password matches; None otherwise (no hint which part was wrong)."""
    with store.read() as conn:
        row = _row_by_name(store, conn, name)
    if row is None or not row.password_hash or not row.active:
        _HASHER.hash(password)  # same cost either way, so timing does not tell names apart
        return None
    try:
        _HASHER.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return _reviewer(row)


def get_setting(store: Store, key: str, default: Any = None) -> Any:
    table = store.table("settings")
    with store.read() as conn:
        row = conn.execute(sa.select(table.c.value).where(table.c.key == key)).first()
    return row.value if row else default


def put_setting(store: Store, key: str, value: Any) -> None:
    table = store.table("settings")
    with store.write() as conn:
        conn.execute(table.delete().where(table.c.key == key))
        conn.execute(table.insert().values(key=key, value=value))
