"""Start `streamlit run app.py` on a loopback port, and find Debian's Chromium: shared by the
browser tests and scripts/screenshots.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("REVIEW_CHROMIUM"), shutil.which("chromium"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(db: Path | str, log: Path, *, extra_args: Sequence[str] = (),
              env: Mapping[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a loopback port; returns the process and its URL when healthy.
    `extra_args`: more Streamlit options (e.g. --secrets.files PATH); `env`: more variables."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal",
         *extra_args, "--", "--db", str(db)],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
        if process.poll() is not None:
            break
    process.kill()
    raise AssertionError(f"streamlit did not start:\n{log.read_text()}")


def sign_in(page, name: str, password: str, *, timeout: int = 30_000) -> None:  # noqa: ANN001
    """Sign in through the app's form (a Playwright page on the app's URL)."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=timeout)
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {name}")).to_be_visible(timeout=timeout)
