"""Shared fixtures: the real exports in ../shared, real SQLite files, a real PostgreSQL server.

A component that is missing (../shared, PostgreSQL binaries, Chromium) skips its tests with a
message on a developer's machine, and fails them under CI=true, where it must be present.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("REVIEW_SHARED", ROOT.parent / "shared"))
EXPORTS = SHARED / "fixtures" / "exports"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(component: str, how: str) -> None:
    """Skip locally, fail in CI: a CI run without a component has not tested it."""
    message = f"{component} is not available: {how}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true, so this is a failure, not a skip)")
    pytest.skip(message)


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium for the browser tests (Playwright drives it)."""
    from tests.streamlit_server import chromium_path

    path = chromium_path()
    if path is None:
        missing("Chromium", "install Debian's chromium package (make test does, as root)")
    return path


@pytest.fixture
def browser(chromium: str):  # noqa: ANN201
    """Chromium launched through Playwright's sync API, closed after the test."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright", "install the test extra: pip install -e .[test]")
    from tests.streamlit_server import CHROMIUM_FLAGS

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def export_index() -> list[dict[str, str]]:
    index = EXPORTS / "INDEX.csv"
    if not index.exists():
        return []
    with open(index, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def export_params(file_format: str | None = None) -> list[object]:
    """One parameter per real export (of one format if given), for a test that also asks for
    the `exports` fixture. Never an empty set: without ../shared an empty set would collect
    nothing and skip in silence even under CI=true, so there is then one parameter whose
    `exports` fixture says what is missing (a skip locally, a failure in CI)."""
    rows = export_index()
    if not rows:
        return [pytest.param(None, id="exports-missing")]
    chosen = [row for row in rows if file_format in (None, row["format"])]
    if not chosen:
        raise ValueError(f"{EXPORTS / 'INDEX.csv'} lists no export in format {file_format}")
    return [pytest.param(row, id=row["file"]) for row in chosen]


@pytest.fixture(scope="session")
def exports() -> Path:
    """../shared/fixtures/exports: the real exports and INDEX.csv with their record counts."""
    if not (EXPORTS / "INDEX.csv").exists():
        missing("../shared/fixtures/exports", f"expected at {EXPORTS} (set REVIEW_SHARED)")
    if not export_index():
        pytest.fail(f"{EXPORTS / 'INDEX.csv'} lists no exports")
    return EXPORTS


@pytest.fixture(scope="session")
def screening_sets() -> Path:
    """../shared/benchmarks/screening: labelled screening data sets (development only)."""
    folder = SHARED / "benchmarks" / "screening"
    if not folder.is_dir():
        missing("../shared/benchmarks/screening", f"expected at {folder} (set REVIEW_SHARED)")
    return folder


# --- markers from the fixtures a test uses ------------------------------------------------

# fixture -> marker: a test that uses the fixture (directly or through other fixtures) needs
# what the marker names, so `-m "not browser"` and the like select by what tests really use
FIXTURE_MARKERS = {"postgres": "postgres", "chromium": "browser", "browser": "browser",
                   "exports": "shared", "screening_sets": "shared"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for fixture, marker in FIXTURE_MARKERS.items():
            if fixture in used and item.get_closest_marker(marker) is None:
                item.add_marker(marker)


@pytest.fixture(autouse=True)
def _marked_for_what_it_used(request: pytest.FixtureRequest) -> Iterator[None]:
    """A fixture asked for at run time (request.getfixturevalue("postgres") in db_url) is not
    seen at collection: such a test must carry the marker itself (e.g. a pytest.param with
    marks=pytest.mark.postgres), or `-m "not postgres"` would still start PostgreSQL."""
    yield
    for fixture in set(request.fixturenames) & set(FIXTURE_MARKERS):
        marker = FIXTURE_MARKERS[fixture]
        if request.node.get_closest_marker(marker) is None:
            pytest.fail(f"{request.node.nodeid} used the {fixture!r} fixture without the "
                        f"{marker!r} marker: give the parameter or the test "
                        f"pytest.mark.{marker}", pytrace=False)


# --- PostgreSQL ---------------------------------------------------------------------------

def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """A throwaway PostgreSQL cluster in a temporary folder, on a loopback port."""

    def __init__(self, bin_dir: Path, base: Path) -> None:
        self.bin_dir = bin_dir
        self.data = base / "data"
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root; run the server as the postgres user
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(base, user="postgres")
        self.base = base

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, text=True,
                       cwd=self.base)

    def start(self) -> None:
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "review",
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.base / "server.log"), "-w", "-t", "60", "start", "-o",
                  f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
                  "-c fsync=off -c max_connections=60")

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.data),
                        "-m", "immediate", "stop"], capture_output=True, cwd=self.base)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://review@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import sqlalchemy as sa

        name = f"t_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(self.url().replace("postgresql://", "postgresql+psycopg://"),
                                  isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        return self.url(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway server for the whole run; each test makes its own database on it."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        missing("PostgreSQL", "install Debian's postgresql package (make test does, as root)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        missing("PostgreSQL", "running as root needs runuser to start the server as postgres")
    base = Path(f"/tmp/review-pg-{uuid.uuid4().hex[:8]}")
    base.mkdir()
    server = PostgresServer(bin_dir, base)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(base, ignore_errors=True)
        missing("PostgreSQL", f"the test server did not start: {exc.stderr or exc.stdout}")
    deadline = time.time() + 30
    while not (base / f".s.PGSQL.{server.port}").exists() and time.time() < deadline:
        time.sleep(0.1)
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


# a parameter that asks for the postgres fixture at run time carries its marker itself
ON_POSTGRES = pytest.param("postgresql", marks=pytest.mark.postgres)


@pytest.fixture(params=["sqlite", ON_POSTGRES])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store test runs on a real SQLite file and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "review.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture
def protocol_path() -> Path:
    return ROOT / "protocols" / "peer-support-self-harm.toml"


HOSTILE = ("TY  - JOUR\nTI  - <script>alert('x')</script> **bold** ![img](http://example.org/x.png)"
           "\nAB  - <b>not bold</b> [link](javascript:alert(1))\nPY  - 2020\nER  - \n\n"
           "TY  - JOUR\nTI  - Peer mentoring in a voluntary organisation\nAU  - Øvergaard, Liv\n"
           "PY  - 2018\nER  - \n")


@pytest.fixture
def review_db(tmp_path: Path, protocol_path: Path) -> Path:
    """A small review whose first record's title and abstract are hostile markup."""
    from review.importing import SourceInfo, import_files
    from review.project import create_review

    db = tmp_path / "ui.db"
    store = create_review(protocol_path, db, actor="lead")
    export = tmp_path / "forum.ris"
    export.write_text(HOSTILE, encoding="utf-8")
    import_files(store, [export], SourceInfo("CINAHL (EBSCO)", "database", "2025-02-01"),
                 actor="lead")
    store.close()
    return db


def migrate_up_to(conn: Any, last: int) -> None:
    """An SQLite database as an older version left it: the migrations up to `last` and their
    record, on a plain connection (a test then adds rows and opens it with this version)."""
    import sqlalchemy as sa

    from review.store import schema as t
    from review.store.migrations import MIGRATIONS

    conn.execution_options(schema_translate_map={t.SERVER: None})
    t.schema_migrations.create(conn)
    for version, name, step in MIGRATIONS:
        if version <= last:
            step(conn)
            conn.execute(sa.insert(t.schema_migrations).values(
                version=version, name=name, applied_at="2026-01-01T00:00:00Z"))
