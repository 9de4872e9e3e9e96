"""Single sign-on end to end: `streamlit run app.py` with an [auth] section whose provider is
tests/oidc_provider.py on a loopback port, in real Chromium. The browser goes through
Streamlit's st.login (Authlib's code flow with state, nonce and PKCE) to the provider and back;
the app signs in the reviewer whose email the id_token vouches for (with its own session
cookie, so a reload stays signed in), signs out of both (clearing that cookie), and
refuses an email that is no reviewer's, an unverified one, and a disabled account's.

The unit tests in tests/test_ui.py fake st.user; this one is the only check that the [auth]
settings the README shows work with Streamlit's own OIDC routes and a real token exchange."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest

from tests.conftest import missing
from tests.streamlit_server import CHROMIUM_FLAGS, start_app

CLIENT_ID = "review-app"
PROVIDER = "testidp"  # [auth.testidp]: the app's button reads "Sign in with Testidp"
TIMEOUT = 30_000


def _need_authlib() -> None:
    """Streamlit's auth extra (Authlib and httpx, for its OIDC client) and joserfc (Authlib's
    JOSE library, which the test provider signs with). Looked up, not imported: importing
    Authlib's httpx client here would only warn about httpx in this process."""
    absent = [name for name in ("authlib", "httpx", "joserfc") if find_spec(name) is None]
    if absent:
        missing("Authlib", f"no {', '.join(absent)}: pip install -e '.[test]' (make test does)")


@pytest.fixture
def provider() -> Iterator:
    _need_authlib()
    from tests.oidc_provider import OIDCProvider

    with OIDCProvider(CLIENT_ID, secrets.token_urlsafe(24)) as running:
        yield running


def _review(db: Path, tmp_path: Path, protocol_path: Path) -> None:
    """Lee (lead, password), Ana (an email and no password: only single sign-on lets her in),
    Ben (an email, disabled)."""
    from benchmarks.screening import make_ris
    from review.accounts import add_reviewer, set_active
    from review.duplicates import run_dedupe
    from review.importing import SourceInfo, import_files
    from review.project import create_review

    store = create_review(protocol_path, str(db), actor="lead")
    export = tmp_path / "search.ris"
    make_ris(export, 3)
    import_files(store, [export], SourceInfo("PsycINFO (EBSCO)", "database"), actor="lead")
    run_dedupe(store, actor="lead")
    add_reviewer(store, "Lee", role="lead", password="lee-password", actor="lead")
    add_reviewer(store, "Ana", email="ana@example.org", actor="Lee")
    add_reviewer(store, "Ben", email="ben@example.org", actor="Lee")
    set_active(store, "Ben", False, actor="Lee")
    store.close()


def _secrets(path: Path, provider) -> Path:  # noqa: ANN001
    """The README's [auth] section, for this provider. {port} is Streamlit's own placeholder
    for server.port, so the redirect_uri is right for whatever port start_app picks."""
    path.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n\n'
        f"[auth.{PROVIDER}]\n"
        f'client_id = "{provider.client_id}"\n'
        f'client_secret = "{provider.client_secret}"\n'
        f'server_metadata_url = "{provider.metadata_url}"\n', encoding="utf-8")
    return path


def _through_provider(page, button: str) -> None:  # noqa: ANN001
    """Click `button` and wait until the browser is back from the redirects (app, provider,
    app) on a new page: the click's own rerun can draw the next page before st.login or
    st.logout sends the browser off, so what is on screen alone does not tell."""
    from playwright.sync_api import Error

    asked: list[str] = []

    def note(request) -> None:  # noqa: ANN001
        if request.is_navigation_request():
            asked.append(urllib.parse.urlsplit(request.url).path)

    page.evaluate("() => { window.__beforeRedirect = true; }")
    page.on("request", note)
    try:
        page.get_by_role("button", name=button, exact=True).click()
        deadline = time.monotonic() + TIMEOUT / 1000
        while time.monotonic() < deadline:
            try:
                if page.evaluate("() => window.__beforeRedirect === undefined"):
                    return
            except Error:  # the old page is going away
                pass
            time.sleep(0.1)
    finally:
        page.remove_listener("request", note)
    if not asked:
        raise AssertionError(
            f"{button!r}: the browser was never sent to Streamlit's auth routes: the app's "
            "st.login/st.logout redirect did not reach it (e.g. an st.rerun() right after "
            "st.logout() drops it), so the identity cookie stays and a reload signs the same "
            "person straight back in")
    raise AssertionError(f"{button!r}: the browser went to {asked} and did not come back")


def _sign_in_with_provider(page) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=TIMEOUT)
    _through_provider(page, "Sign in with Testidp")


def _identity_cookie(context) -> bool:  # noqa: ANN001
    return any(c["name"].startswith("_streamlit_user") for c in context.cookies())


def test_single_sign_on_through_a_real_provider(provider, chromium: str, tmp_path: Path,
                                                protocol_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    db = tmp_path / "review.db"
    _review(db, tmp_path, protocol_path)
    log = tmp_path / "streamlit.log"
    process, url = start_app(db, log, extra_args=[
        "--secrets.files", str(_secrets(tmp_path / "secrets.toml", provider))])
    provider.redirect_uris = {f"{url}/oauth2callback"}  # registered exactly, as at a provider
    started = time.monotonic()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(url)

            # Ana, in another case than stored, verified: signed in, the app's first page open
            provider.identity = {"email": "Ana@Example.org", "email_verified": True,
                                 "name": "Ana A."}
            _sign_in_with_provider(page)
            expect(page.get_by_text("Signed in as Ana")).to_be_visible(timeout=TIMEOUT)
            assert page.url.startswith(url), page.url
            assert _identity_cookie(context)
            asked = provider.authorizations[-1]
            assert asked["redirect_uri"] == f"{url}/oauth2callback"
            assert asked["code_challenge_method"] == "S256" and asked["nonce"]
            assert len(provider.tokens) == 1, provider.refusals
            assert provider.tokens[0]["claims"]["nonce"] == asked["nonce"]
            # the app's own session cookie too: a reload stays signed in, the provider unasked
            session = [c for c in context.cookies() if c["name"] == "review_session"]
            assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Lax"
            page.reload()
            expect(page.get_by_text("Signed in as Ana")).to_be_visible(timeout=TIMEOUT)
            assert len(provider.authorizations) == 1

            # Sign out: out of the app and the provider (its end_session_endpoint, with the
            # id_token as the hint), the identity cookie gone, so a reload stays signed out
            _through_provider(page, "Sign out")
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=TIMEOUT)
            expect(page.get_by_text("Signed in as Ana")).to_have_count(0)
            assert provider.logouts and provider.logouts[-1]["id_token_hint"] == \
                provider.tokens[0]["id_token"]
            assert provider.logouts[-1]["post_logout_redirect_uri"] == f"{url}/oauth2callback"
            assert not _identity_cookie(context)
            assert not [c for c in context.cookies() if c["name"] == "review_session"]
            page.reload()
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=TIMEOUT)
            expect(page.get_by_role("button", name="Sign in with Testidp")).to_be_visible()
            expect(page.get_by_text("Signed in as")).to_have_count(0)
            assert len(provider.authorizations) == 1  # nothing went back to the provider

            # identities the provider vouches for that are not an active reviewer's: refused
            # with the reason, and the way out of the provider's identity on the same page
            refused = {
                "eve@example.org": (True, "eve@example.org is not the email of a reviewer"),
                "ana@example.org": (False, "The sign-in provider has not verified "
                                           "ana@example.org"),
                "ben@example.org": (True, "The account for ben@example.org is disabled"),
            }
            for email, (verified, reason) in refused.items():
                provider.identity = {"email": email, "email_verified": verified}
                tokens, logouts = len(provider.tokens), len(provider.logouts)
                _sign_in_with_provider(page)
                expect(page.get_by_text(reason)).to_be_visible(timeout=TIMEOUT)
                assert len(provider.tokens) == tokens + 1, provider.refusals
                expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
                expect(page.get_by_text("Signed in as")).to_have_count(0)
                _through_provider(page, "Sign out of the provider")
                assert len(provider.logouts) == logouts + 1
                expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=TIMEOUT)
                expect(page.get_by_role("button", name="Sign out of the provider")) \
                    .to_have_count(0)
                expect(page.get_by_text(reason)).to_have_count(0)
                assert not _identity_cookie(context)
            assert not provider.refusals, provider.refusals
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    elapsed = time.monotonic() - started
    print(f"single sign-on flow (4 sign-ins, 4 sign-outs) in {elapsed:.1f} s")
    text = log.read_text()
    assert "Traceback" not in text, text


def _post(url: str, form: dict[str, str], auth: tuple[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode())
    if auth is not None:
        pair = ":".join(urllib.parse.quote(part, safe="") for part in auth)
        request.add_header("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _authorize(provider, **extra: str) -> tuple[int, str]:  # noqa: ANN001
    """The provider's answer to a browser's authorize request: status and Location."""
    query = {"client_id": CLIENT_ID, "response_type": "code", "scope": "openid email",
             "redirect_uri": "http://127.0.0.1:1/oauth2callback", "state": "s", **extra}

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(f"{provider.issuer}/authorize?{urllib.parse.urlencode(query)}",
                         timeout=10) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


def test_the_test_provider_refuses_what_a_real_one_refuses(provider) -> None:
    """So the end-to-end test passing means the app's client did the flow right: a wrong
    secret, an unregistered redirect_uri, a wrong PKCE verifier and a used code are refused."""
    from joserfc import jwt
    from joserfc.jwk import KeySet

    back = "http://127.0.0.1:1/oauth2callback"
    provider.identity = {"email": "ana@example.org", "email_verified": True}
    assert _authorize(provider)[0] == 400  # redirect_uri not registered yet
    provider.redirect_uris = {back}
    verifier = secrets.token_urlsafe(40)
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    status, location = _authorize(provider, nonce="n1", code_challenge=challenge,
                                  code_challenge_method="S256")
    assert status == 302 and location.startswith(back + "?")
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": back,
            "code_verifier": verifier}
    token = f"{provider.issuer}/token"
    assert _post(token, form, (CLIENT_ID, "wrong"))[0] == 401
    assert _post(token, {**form, "code_verifier": "x" * 43}, (CLIENT_ID,
                                                             provider.client_secret))[0] == 400
    # the wrong verifier used the code up (a code is redeemed at most once), so start again
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(_authorize(
        provider, nonce="n2", code_challenge=challenge,
        code_challenge_method="S256")[1]).query)["code"][0]
    status, answer = _post(token, {**form, "code": code}, (CLIENT_ID, provider.client_secret))
    assert status == 200, answer
    claims = jwt.decode(answer["id_token"], KeySet.import_key_set(provider.jwks())).claims
    assert claims["iss"] == provider.issuer and claims["aud"] == CLIENT_ID
    assert claims["email"] == "ana@example.org" and claims["nonce"] == "n2"
    assert _post(token, {**form, "code": code}, (CLIENT_ID, provider.client_secret))[0] == 400
