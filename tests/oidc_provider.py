"""A small OpenID Connect provider on a loopback port, for the end-to-end test of the app's
single sign-on (Streamlit's st.login): just what Streamlit's Authlib client asks of a provider,
checked the way a real provider checks it, so a test that passes has gone through a real code
flow (discovery, authorize with state, nonce and PKCE, token exchange with the client's secret,
an RS256 id_token verified against the provider's JWKS, RP-initiated logout).

There is no login form: the provider signs in whichever identity the test set in `identity`,
as a provider would for a browser that already has a session with it. It records what it was
asked (`authorizations`, `tokens`, `logouts`), so a test can tell what the app did.

Not a provider for anything else: one client, codes and tokens kept in memory, no consent,
no refresh tokens, no userinfo endpoint (Streamlit takes the identity from the id_token)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit


@dataclass
class _Grant:
    """What an authorization code stands for until the token endpoint redeems it (once)."""

    redirect_uri: str
    nonce: str | None
    claims: dict[str, Any]
    code_challenge: str | None
    method: str | None
    expires: float


@dataclass
class OIDCProvider:
    """One client (`client_id`, `client_secret`) allowed to come back to `redirect_uris` only
    (exactly, as real providers compare them). Start with `start()` or as a context manager."""

    client_id: str
    client_secret: str
    redirect_uris: set[str] = field(default_factory=set)
    identity: dict[str, Any] = field(default_factory=dict)
    authorizations: list[dict[str, str]] = field(default_factory=list)
    tokens: list[dict[str, Any]] = field(default_factory=list)
    logouts: list[dict[str, str]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from joserfc.jwk import RSAKey

        # a new key per provider: nothing outside this test can have signed its tokens
        self._key = RSAKey.generate_key(2048, private=True, parameters={
            "use": "sig", "alg": "RS256", "kid": secrets.token_hex(8)})
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> OIDCProvider:
        provider = self

        class Handler(_Handler):
            pass

        Handler.provider = provider
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="oidc-provider")
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OIDCProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def issuer(self) -> str:
        assert self._server is not None, "start the provider first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def metadata_url(self) -> str:
        """What goes into server_metadata_url in the app's [auth.NAME] secrets."""
        return f"{self.issuer}/.well-known/openid-configuration"

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "email_verified", "name"],
        }

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._key.as_dict(private=False)]}

    # --- the endpoints' logic (the handler only moves HTTP in and out) -----------------------

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """Sign in `identity` and send the browser back with a code, or refuse the request."""
        with self._lock:
            self.authorizations.append(dict(query))
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id:
            return self._refuse(400, f"unknown client {query.get('client_id')!r}")
        if redirect_uri not in self.redirect_uris:
            return self._refuse(400, f"redirect_uri {redirect_uri!r} is not registered")
        if query.get("response_type") != "code":
            return self._refuse(400, f"response_type {query.get('response_type')!r}")
        if "openid" not in query.get("scope", "").split():
            return self._refuse(400, "scope without openid")
        if not query.get("state"):
            return self._refuse(400, "no state")
        method = query.get("code_challenge_method")
        if query.get("code_challenge") and method != "S256":
            return self._refuse(400, f"code_challenge_method {method!r}")
        if not self.identity.get("email"):
            return self._refuse(400, "the test set no identity")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(redirect_uri, query.get("nonce"), dict(self.identity),
                                        query.get("code_challenge"), method, time.time() + 60)
        back = f"{redirect_uri}?{urlencode({'code': code, 'state': query['state']})}"
        return 302, {"Location": back}, ""

    def token(self, headers: dict[str, str], form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Redeem a code once, for the client that asked for it, with the PKCE verifier."""
        client_id, secret = _client_credentials(headers, form)
        if client_id != self.client_id or not secrets.compare_digest(
                secret or "", self.client_secret):
            self.refusals.append(f"client authentication failed for {client_id!r}")
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)
        if grant is None or grant.expires < time.time():
            self.refusals.append("unknown, used or expired code")
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant.redirect_uri:
            self.refusals.append("redirect_uri differs from the authorize request's")
            return 400, {"error": "invalid_grant"}
        if grant.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if digest.rstrip(b"=").decode() != grant.code_challenge:
                self.refusals.append("PKCE code_verifier does not match")
                return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300,
                  "sub": grant.claims.get("sub") or _subject(grant.claims["email"]),
                  **{k: v for k, v in grant.claims.items() if k != "sub"}}
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        id_token = self._sign(claims)
        answer = {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                  "expires_in": 300, "id_token": id_token}
        with self._lock:
            self.tokens.append({"claims": claims, "id_token": id_token})
        return 200, answer

    def logout(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """RP-initiated logout: back to the app only at a registered address."""
        with self._lock:
            self.logouts.append(dict(query))
        back = query.get("post_logout_redirect_uri")
        if back is None:
            return 200, {"Content-Type": "text/plain"}, "signed out"
        if back not in self.redirect_uris:
            return self._refuse(400, f"post_logout_redirect_uri {back!r} is not registered")
        return 302, {"Location": back}, ""

    def _sign(self, claims: dict[str, Any]) -> str:
        from joserfc import jwt

        return jwt.encode({"alg": "RS256", "kid": self._key.kid, "typ": "JWT"}, claims,
                          self._key)

    def _refuse(self, status: int, why: str) -> tuple[int, dict[str, str], str]:
        self.refusals.append(why)
        return status, {"Content-Type": "text/plain"}, f"refused: {why}"


def _subject(email: str) -> str:
    """A stable subject per email, as a provider keeps one per account."""
    return hashlib.sha256(email.lower().encode()).hexdigest()[:20]


def _client_credentials(headers: dict[str, str],
                        form: dict[str, str]) -> tuple[str | None, str | None]:
    """client_secret_basic (form-encoded parts, RFC 6749 2.3.1) or client_secret_post."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return None, None
        return unquote_plus(user), unquote_plus(password)
    return form.get("client_id"), form.get("client_secret")


class _Handler(BaseHTTPRequestHandler):
    provider: OIDCProvider

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # the test's output is the app's log; the provider records what it was asked

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, self.provider.metadata())
        elif parts.path == "/jwks":
            self._json(200, self.provider.jwks())
        elif parts.path == "/authorize":
            self._reply(*self.provider.authorize(query))
        elif parts.path == "/logout":
            self._reply(*self.provider.logout(query))
        else:
            self._reply(404, {"Content-Type": "text/plain"}, "not found")

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        form = {k: v[0] for k, v in parse_qs(body).items()}
        if urlsplit(self.path).path == "/token":
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._json(*self.provider.token(headers, form))
        else:
            self._reply(404, {"Content-Type": "text/plain"}, "not found")

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._reply(status, {"Content-Type": "application/json", "Cache-Control": "no-store"},
                    json.dumps(payload))

    def _reply(self, status: int, headers: dict[str, str], body: str) -> None:
        data = body.encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
