"""The README's nginx configuration ("Deploying for a team", step 4), run for real in front of
two `streamlit run` processes on one SQLite review file, over https on loopback.

The ```nginx block is read from README.md and changed only where a test must: the `listen`
port (a free loopback port), the certificate (self-signed, made here) and the upstream
servers (the two app processes). A README without that block, or a block where one of those
substitutions finds nothing to replace, fails the test, so README and test cannot drift apart.

What it shows: Streamlit's websocket passes through the proxy (two reviewers vote over it);
without the README's two Upgrade/Connection lines it does not; a browser on the README's
server_name passes Streamlit's same-origin check with the Host nginx forwards, another site
does not; a file upload from real Chromium (a separate HTTP request that must reach the process
holding the page's websocket) lands with the README's `ip_hash` affinity; and a new session
reaches the other process once the one that served stops. From one client address ip_hash
sends everything to one process, so the test learns which from nginx's access log (the
upstream of every request)."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest
import sqlalchemy as sa

from benchmarks.screening import make_ris
from review.accounts import add_reviewer
from review.duplicates import run_dedupe
from review.importing import SourceInfo, import_files
from review.project import create_review
from review.store import Store
from review.store import schema as t
from tests.conftest import missing
from tests.streamlit_client import AppSession, Run
from tests.streamlit_server import CHROMIUM_FLAGS, sign_in, start_app

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PROTOCOL = ROOT / "protocols" / "peer-support-self-harm.toml"
RECORDS = 20
PEOPLE = {"Lee": ("lead", "lee-password"), "Ana": ("reviewer", "ana-password"),
          "Ben": ("reviewer", "ben-password")}
VOTES_EACH = 3
RULES = {"Ana": lambda record: record % 2 == 0, "Ben": lambda record: record % 3 == 0}
# Every proxied request: method, path, status, the upstream that answered ("-" for none).
LOG_FORMAT = "log_format upstreams '$request_method $uri $status $upstream_addr';"


# --- the README's block and the substitutions a test needs ---------------------------------

def readme_nginx_block() -> str:
    """The one ```nginx block of README.md, verbatim."""
    blocks = re.findall(r"^```nginx\n(.*?)^```", README.read_text(encoding="utf-8"),
                        flags=re.S | re.M)
    if len(blocks) != 1:
        pytest.fail(f"README.md has {len(blocks)} ```nginx blocks; the proxy test runs the "
                    "one in 'Deploying for a team', step 4")
    return blocks[0]


def _replace(text: str, pattern: str, replacement: str, what: str, *, count: int = 1) -> str:
    """Replace exactly `count` matches of `pattern` (a line of the block); fail when the README
    no longer has them, rather than run some other configuration."""
    found = len(re.findall(pattern, text, flags=re.M))
    if found != count:
        pytest.fail(f"README's nginx block: expected {count} {what} line(s) matching "
                    f"{pattern!r}, found {found}; update tests/test_proxy.py with the README")
    return re.sub(pattern, replacement, text, flags=re.M)


def loopback_config(block: str, *, port: int, cert: Path, key: Path,
                    upstreams: list[int]) -> str:
    """The README's block on loopback: our port, our certificate, our app processes."""
    block = _replace(block, r"^(\s*)listen\s+443\s+ssl;", rf"\g<1>listen 127.0.0.1:{port} ssl;",
                     "listen 443 ssl")
    block = _replace(block, r"^(\s*ssl_certificate\s+)\S+;", rf"\g<1>{cert};", "ssl_certificate")
    block = _replace(block, r"^(\s*ssl_certificate_key\s+)\S+;", rf"\g<1>{key};",
                     "ssl_certificate_key")
    servers = re.findall(r"^\s*server\s+127\.0\.0\.1:\d+;.*\n", block, flags=re.M)
    if len(servers) < len(upstreams):
        pytest.fail(f"README's nginx block: expected at least {len(upstreams)} upstream "
                    f"'server 127.0.0.1:PORT;' lines, found {len(servers)}")
    lines = iter(upstreams)

    def one(match: re.Match) -> str:
        port_ = next(lines, None)
        return "" if port_ is None else re.sub(r":\d+;", f":{port_};", match.group(0))

    return re.sub(r"^\s*server\s+127\.0\.0\.1:\d+;.*\n", one, block, flags=re.M)


def without_upgrade(block: str) -> str:
    """The block without its two websocket lines (the Upgrade and Connection headers)."""
    block = _replace(block, r"^\s*proxy_set_header\s+Upgrade\s.*\n", "", "proxy_set_header Upgrade")
    return _replace(block, r"^\s*proxy_set_header\s+Connection\s.*\n", "",
                    "proxy_set_header Connection")


def nginx_conf(base: Path, block: str) -> str:
    """A whole nginx.conf around the block: every file nginx writes is under `base`."""
    temps = "\n".join(f"    {kind}_temp_path {base / kind};"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # as root the workers would run as nobody, who cannot enter pytest's 0700 folders
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (f"{user}pid {base / 'nginx.pid'};\nerror_log {base / 'error.log'} notice;\n"
            f"worker_processes 1;\nevents {{}}\nhttp {{\n    {LOG_FORMAT}\n"
            f"    access_log {base / 'access.log'} upstreams;\n{temps}\n{block}}}\n")


def test_the_readme_block_takes_the_substitutions(tmp_path: Path) -> None:
    """Runs without nginx: the README still has the block and every line the test replaces."""
    block = loopback_config(readme_nginx_block(), port=4443, cert=tmp_path / "c.pem",
                            key=tmp_path / "c.key", upstreams=[9001, 9002])
    assert "listen 127.0.0.1:4443 ssl;" in block and "listen 443" not in block
    assert re.findall(r"server\s+127\.0\.0\.1:(\d+);", block) == ["9001", "9002"]
    assert f"ssl_certificate     {tmp_path / 'c.pem'};" in block
    assert f"ssl_certificate_key {tmp_path / 'c.key'};" in block
    assert "ip_hash;" in block and "proxy_set_header Upgrade" in block
    stripped = without_upgrade(block)
    assert "Upgrade" not in stripped.replace("$connection_upgrade {", "")


# --- the processes --------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _nginx_path() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None


class Request(NamedTuple):
    """One line of the access log."""

    method: str
    path: str
    status: int
    upstream: str  # "127.0.0.1:PORT", "A, B" when nginx tried A first, "-" for none


@dataclass
class Proxy:
    """One nginx on a loopback https port, with its access log read as it grows."""

    process: subprocess.Popen
    url: str
    base: Path
    offset: int = 0

    def requests(self, until: Callable[[list[Request]], bool] | None = None,
                 timeout: float = 10) -> list[Request]:
        """The requests logged since the last call. nginx logs a request when it ends (a
        websocket when it closes), a moment after the client is done: with `until`, wait up to
        `timeout` seconds for the rows to satisfy it (the caller's asserts say what is not)."""
        log = self.base / "access.log"
        rows: list[Request] = []
        deadline = time.monotonic() + timeout
        while True:
            text = log.read_text(encoding="utf-8") if log.exists() else ""
            end = text.rfind("\n") + 1  # whole lines only
            for line in text[self.offset:end].splitlines():
                method, path, status, upstream = line.split(" ", 3)
                rows.append(Request(method, path, int(status), upstream))
            self.offset = max(self.offset, end)
            if until is None or until(rows) or time.monotonic() > deadline:
                return rows
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_nginx(nginx: str, base: Path, block: str) -> Proxy:
    """nginx in the foreground with the block on its own port; returns once it answers."""
    base.mkdir(parents=True, exist_ok=True)
    port = int(re.search(r"listen 127\.0\.0\.1:(\d+) ssl;", block).group(1))
    conf = base / "nginx.conf"
    conf.write_text(nginx_conf(base, block), encoding="utf-8")
    process = subprocess.Popen([nginx, "-p", str(base), "-e", str(base / "error.log"),
                                "-c", str(conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + 15
    while time.time() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return Proxy(process, f"https://127.0.0.1:{port}", base)
        except OSError:
            time.sleep(0.1)
    process.kill()
    log = base / "error.log"
    raise AssertionError(f"nginx did not start on port {port}:\n"
                         f"{log.read_text() if log.exists() else '(no error log)'}\n"
                         f"{conf.read_text()}")


def self_signed(base: Path) -> tuple[Path, Path]:
    """A one-day certificate for 127.0.0.1 (as a subjectAltName: Python checks only that)."""
    cert, key = base / "proxy.pem", base / "proxy.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-days", "1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def _review(db: Path, base: Path) -> None:
    """20 records deduplicated into screening; the lead Lee and the reviewers Ana and Ben."""
    store = create_review(PROTOCOL, db, actor="lead")
    export = base / "search.ris"
    make_ris(export, RECORDS)
    import_files(store, [export], SourceInfo("PsycINFO (EBSCO)", "database"), actor="lead")
    assert run_dedupe(store, actor="lead").groups == RECORDS
    for name, (role, password) in PEOPLE.items():
        add_reviewer(store, name, role=role, password=password, actor="lead")
    store.close()


@dataclass
class Stack:
    db: Path
    base: Path
    cert: Path
    key: Path
    nginx: str
    apps: dict[str, subprocess.Popen]  # "127.0.0.1:PORT" -> its streamlit process
    proxy: Proxy
    stopped: list[str] = field(default_factory=list)

    def context(self) -> ssl.SSLContext:
        """A client context trusting only the test certificate (hostname checked)."""
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The README's nginx in front of two app processes on one review file."""
    nginx = _nginx_path()
    if nginx is None:
        missing("nginx", "install Debian's nginx package (make test does, as root)")
    if shutil.which("openssl") is None:
        missing("openssl", "install Debian's openssl package (for the test's certificate)")
    block = readme_nginx_block()  # fail early, before anything starts, if it has drifted
    base = tmp_path_factory.mktemp("proxy")
    db = base / "review.db"
    _review(db, base)
    cert, key = self_signed(base)
    # step 3: one cookie secret for every process (Streamlit refuses it as a command-line flag)
    secret = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(16)}
    apps: dict[str, subprocess.Popen] = {}
    proxy = None
    try:
        for i in (1, 2):
            process, url = start_app(db, base / f"streamlit-{i}.log", env=secret)
            apps[url.removeprefix("http://")] = process
        ports = [int(address.rsplit(":", 1)[1]) for address in apps]
        proxy = start_nginx(nginx, base / "nginx", loopback_config(
            block, port=_free_port(), cert=cert, key=key, upstreams=ports))
        yield Stack(db, base, cert, key, nginx, apps, proxy)
    finally:
        if proxy is not None:
            proxy.stop()
        for process in apps.values():
            process.terminate()
        for process in apps.values():
            process.wait(timeout=30)


# --- the websocket through the proxy --------------------------------------------------------

_RECORD = re.compile(r"\*\*Record:\*\*\s*(\d+)")


def _record_on(run: Run) -> int | None:
    """The id of the record the Screen page shows (None: the reviewer's queue is empty)."""
    if run.has_text("Nothing is waiting for you", "alert"):
        return None
    found = [int(m.group(1)) for text in run.texts("markdown") if (m := _RECORD.search(text))]
    assert len(found) == 1, f"no record on the Screen page: {run.texts()[:12]}"
    return found[0]


def _decision(name: str, record: int) -> str:
    return "include" if RULES[name](record) else "exclude"


async def _signed_in(app: AppSession, name: str) -> Run:
    run = await app.start()
    assert run.has_text("Sign in", "heading"), run.texts()
    run = await app.click(run, "Sign in", values={("text_input", "Name"): name,
                                                  ("text_input", "Password"): PEOPLE[name][1]})
    assert run.has_text(f"Signed in as {name}", "text"), run.texts()
    return run


async def _votes(url: str, context: ssl.SSLContext, name: str, count: int,
                 cookies: dict[str, str] | None = None) -> dict[int, str]:
    """Sign in through the proxy (or come back with a session cookie) and vote on the next
    `count` records; {record: decision}."""
    async with AppSession(url, ssl=context, timeout=60, cookies=cookies) as app:
        if cookies:
            run = await app.start()
            assert run.has_text(f"Signed in as {name}", "text"), run.texts()
        else:
            run = await _signed_in(app, name)
        voted: dict[int, str] = {}
        for _ in range(count):
            record = _record_on(run)
            assert record is not None, f"{name}'s queue ended after {len(voted)} votes"
            choice = _decision(name, record)
            run = await app.click(run, "Include" if choice == "include" else "Exclude")
            assert run.has_text(f"Vote saved: {choice} on record {record}.", "alert"), \
                run.texts()[:12]
            voted[record] = choice
        return voted


def _stored_votes(db: Path, names: set[str]) -> dict[str, dict[int, str]]:
    store = Store.open(db)
    decisions, reviewers, groups = t.decisions, t.reviewers, t.duplicate_groups
    with store.read() as conn:
        rows = conn.execute(sa.select(reviewers.c.name, groups.c.kept_record_id,
                                      decisions.c.decision, decisions.c.origin)
                            .join(reviewers, reviewers.c.id == decisions.c.reviewer_id)
                            .join(groups, groups.c.id == decisions.c.group_id)
                            .where(reviewers.c.name.in_(names))).all()
    store.close()
    assert all(r.origin == "ui" for r in rows), rows
    out: dict[str, dict[int, str]] = {name: {} for name in names}
    for r in rows:
        out[r.name][r.kept_record_id] = r.decision
    return out


def _websockets(rows: list[Request]) -> list[tuple[int, str]]:
    """(status, upstream) of each request for Streamlit's websocket."""
    return [(r.status, r.upstream) for r in rows
            if r.method == "GET" and r.path == "/_stcore/stream"]


def _uploads(rows: list[Request]) -> list[tuple[int, str]]:
    """(status, upstream) of each file upload (the browser's PUT of a chosen file)."""
    return [(r.status, r.upstream) for r in rows
            if r.method == "PUT" and r.path.startswith("/_stcore/upload_file/")]


def test_two_reviewers_vote_over_websockets_through_the_proxy(stack: Stack) -> None:
    stack.proxy.requests()  # only this test's requests from here on
    before = _stored_votes(stack.db, {"Ana", "Ben"})

    async def both() -> list[dict[int, str]]:
        return list(await asyncio.gather(*(_votes(stack.proxy.url, stack.context(), name,
                                                  VOTES_EACH) for name in ("Ana", "Ben"))))

    ana, ben = asyncio.run(both())
    after = _stored_votes(stack.db, {"Ana", "Ben"})
    assert after["Ana"] == {**before["Ana"], **ana} and len(ana) == VOTES_EACH
    assert after["Ben"] == {**before["Ben"], **ben} and len(ben) == VOTES_EACH
    # two pages each: the sign-in, and the app after the browser fetched its session cookie
    sockets = _websockets(stack.proxy.requests(until=lambda rows: len(_websockets(rows)) >= 4))
    assert len(sockets) == 4 and all(s == 101 for s, _ in sockets), sockets  # upgraded
    assert {u for _, u in sockets} <= set(stack.apps), sockets


def test_without_the_upgrade_lines_the_websocket_fails(stack: Stack) -> None:
    """The README's two websocket lines are what make it work: without them nginx answers the
    page but the websocket is refused."""
    from websockets.exceptions import InvalidStatus

    ports = [int(address.rsplit(":", 1)[1]) for address in stack.apps
             if address not in stack.stopped]
    block = loopback_config(without_upgrade(readme_nginx_block()), port=_free_port(),
                            cert=stack.cert, key=stack.key, upstreams=ports)
    proxy = start_nginx(stack.nginx, stack.base / "nginx-no-upgrade", block)
    try:
        with urllib.request.urlopen(f"{proxy.url}/_stcore/health", timeout=10,
                                    context=stack.context()) as response:
            assert response.status == 200  # the proxy itself works

        async def connect() -> None:
            async with AppSession(proxy.url, ssl=stack.context(), timeout=30) as app:
                await app.start()

        with pytest.raises(InvalidStatus) as refused:
            asyncio.run(connect())
        assert refused.value.response.status_code != 101
        sockets = _websockets(proxy.requests(until=_websockets))
        assert sockets and all(s != 101 for s, _ in sockets), sockets
    finally:
        proxy.stop()


def test_the_websocket_takes_the_sites_own_origin_only(stack: Stack) -> None:
    """A browser on the README's server_name (port 443, so its Origin has no port) passes
    Streamlit's same-origin check with the Host nginx forwards; another site's page does not.
    (Chromium in the test below is on 127.0.0.1, which Streamlit admits as an origin anyway.)"""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    name = re.search(r"^\s*server_name\s+(\S+);", readme_nginx_block(), flags=re.M).group(1)
    port = int(stack.proxy.url.rsplit(":", 1)[1])
    context = stack.context()
    context.check_hostname = False  # the certificate is for 127.0.0.1, the name is the README's

    async def status(origin: str) -> int:
        try:
            # the URL a browser on port 443 opens (its Host has no port), to our test port
            async with connect(f"wss://{name}/_stcore/stream", host="127.0.0.1",
                               port=port, ssl=context, origin=origin,
                               subprotocols=["streamlit"]):
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    stack.proxy.requests()
    assert asyncio.run(status(f"https://{name}")) == 101
    assert asyncio.run(status("https://elsewhere.example.com")) == 403
    # nginx logs a websocket when it closes, a moment later: wait for both rows here, so they
    # are this test's and never taken for the next test's browser
    rows = stack.proxy.requests(until=lambda rows: len(_websockets(rows)) >= 2)
    assert sorted(s for s, _ in _websockets(rows)) == [101, 403], rows


# --- an upload from real Chromium -----------------------------------------------------------

UPLOAD = ("TY  - JOUR\nTI  - Peer support through a proxy: a pilot of moderated groups\n"
          "AU  - Lund, Per\nPY  - 2023\nER  - \n\n"
          "TY  - JOUR\nTI  - Befriending volunteers behind a reverse proxy, a qualitative study\n"
          "AU  - Okafor, Ada\nPY  - 2024\nER  - \n")
UPLOAD_TITLES = {"Peer support through a proxy: a pilot of moderated groups",
                 "Befriending volunteers behind a reverse proxy, a qualitative study"}


def test_lead_uploads_an_export_in_chromium_through_the_proxy(stack: Stack, chromium: str,
                                                              tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    export = tmp_path / "embase export.ris"
    export.write_text(UPLOAD, encoding="utf-8")
    stack.proxy.requests()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(ignore_https_errors=True,
                                          viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(stack.proxy.url)
            sign_in(page, "Lee", PEOPLE["Lee"][1], timeout=60_000)
            page.get_by_role("link", name="Import", exact=True).click()
            expect(page.get_by_role("heading", name="Import")).to_be_visible(timeout=30_000)
            page.locator("input[type=file]").set_input_files(str(export))
            expect(page.get_by_text("embase export.ris")).to_be_visible(timeout=30_000)
            page.get_by_role("textbox", name="Source name").fill("Embase (Ovid)")
            page.get_by_role("button", name="Import", exact=True).click()
            expect(page.get_by_text("Imported 2 records from 1 file(s) as Embase (Ovid)")
                   ).to_be_visible(timeout=30_000)
            page.screenshot(path=str(tmp_path / "import.png"), full_page=True)
            context.close()
        finally:
            browser.close()
    assert dialogs == []

    rows = stack.proxy.requests(until=lambda rows: bool(_uploads(rows) and _websockets(rows)))
    uploads, sockets = _uploads(rows), _websockets(rows)
    assert len(uploads) == 1 and 200 <= uploads[0][0] < 300, uploads
    assert sockets and all(s == 101 for s, _ in sockets), sockets
    # affinity: the page, its websocket and its upload all reached one app process
    assert len({r.upstream for r in rows if r.upstream != "-"}) == 1, rows
    assert uploads[0][1] in {u for _, u in sockets}

    store = Store.open(stack.db)
    sources, records = t.sources, t.records
    with store.read() as conn:
        found = conn.execute(sa.select(sources.c.name, sources.c.kind, sources.c.file_name,
                                       sources.c.record_count, sources.c.imported_by,
                                       records.c.title)
                             .join(records, records.c.source_id == sources.c.id)
                             .where(sources.c.file_name == export.name)).all()
    store.close()
    assert {r.title for r in found} == UPLOAD_TITLES
    assert {(r.name, r.kind, r.record_count, r.imported_by) for r in found} == {
        ("Embase (Ovid)", "database", 2, "Lee")}


# --- one process stops ----------------------------------------------------------------------

def test_a_new_session_reaches_the_other_process_when_one_stops(stack: Stack) -> None:
    """ip_hash keeps a client on one process while it is up; when it stops, nginx sends new
    sessions to the other, which writes to the same review. A reviewer signed in on the one
    that stops is still signed in on the other: the session cookie (set over https, so
    Secure) names a session kept in the shared database, signed with a key both share."""
    async def sign_in_once() -> tuple[dict[str, str], list[str]]:
        async with AppSession(stack.proxy.url, ssl=stack.context(), timeout=60) as app:
            await _signed_in(app, "Ben")
            return app.cookies, app.set_cookies

    cookies, set_cookies = asyncio.run(sign_in_once())
    header = [h.lower() for h in set_cookies if h.startswith("review_session=")]
    assert len(header) == 1 and "review_session" in cookies, set_cookies
    assert all(flag in header[0] for flag in ("httponly", "samesite=lax", "secure", "path=/"))
    stack.proxy.requests()

    async def look() -> None:
        async with AppSession(stack.proxy.url, ssl=stack.context(), timeout=60) as app:
            await app.start()

    asyncio.run(look())
    serving = {u for s, u in _websockets(stack.proxy.requests(until=_websockets)) if s == 101}
    assert len(serving) == 1 and serving <= set(stack.apps), serving
    first = serving.pop()
    stack.apps[first].terminate()
    stack.apps[first].wait(timeout=30)
    stack.stopped.append(first)

    before = _stored_votes(stack.db, {"Ben"})["Ben"]
    voted = asyncio.run(_votes(stack.proxy.url, stack.context(), "Ben", 1, cookies=cookies))
    assert _stored_votes(stack.db, {"Ben"})["Ben"] == {**before, **voted}
    sockets = _websockets(stack.proxy.requests(until=_websockets))
    other = set(stack.apps) - {first}
    # nginx may first try the stopped process (refused) and then pass on to the other
    assert [u.split(", ")[-1] for s, u in sockets if s == 101] == list(other), sockets

