"""A Streamlit session held over the app server's websocket, the way the browser's frontend
holds one, without drawing anything: it sends what the frontend sends when a person uses a
widget (a rerun carrying the widget's state) and keeps the elements of the run that follows.

What it leaves out is the browser's rendering, which on a 2-core machine costs more than the
app itself (a vote through Chromium is about 0.2 s of its JavaScript): the server processes,
their sessions, the page scripts, the button callbacks and the database are the same as for a
person in a browser. tests/test_team_concurrency.py uses it to cast thousands of votes through
two servers at once, and real Chromium for fewer.

A click sends the button's state and the text boxes it is given; other widgets keep the state
the server holds for them (their defaults, for a form left untouched), where a browser would
send them all. When a run sends the browser elsewhere (the app's sign-in and sign-out routes,
which set and clear the session cookie), it goes there as a browser would: one HTTP request,
the cookies it sets kept, then a new page (a new websocket carrying those cookies).

It speaks the protocol of the installed Streamlit (its own protobuf classes), so a Streamlit
upgrade that changes the protocol fails these tests loudly rather than passing them."""

from __future__ import annotations

import asyncio
import ssl as ssl_module
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

_FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
_TEXT_KINDS = ("markdown", "alert", "heading", "text", "caption")


@dataclass
class Run:
    """The page as one finished script run left it: its elements by their place on the page."""

    elements: dict[tuple[int, ...], Element] = field(default_factory=dict)
    redirect: str | None = None  # where the run sent the browser (st.login, the cookie routes)

    def _of(self, kind: str) -> list:  # noqa: ANN401
        return [getattr(e, kind) for _, e in sorted(self.elements.items())
                if e.WhichOneof("type") == kind]

    def texts(self, kind: str | None = None) -> list[str]:
        """The text of every element of that kind (markdown, alert, heading, text), in order."""
        out = []
        for k in (kind,) if kind else _TEXT_KINDS:
            out += [e.body for e in self._of(k)]
        return out

    def has_text(self, part: str, kind: str | None = None) -> bool:
        return any(part in text for text in self.texts(kind))

    def widget_id(self, kind: str, label: str) -> str:
        found = [w.id for w in self._of(kind) if w.label == label]
        if len(found) != 1:
            raise AssertionError(f"{len(found)} {kind} widget(s) labelled {label!r} on the page; "
                                 f"texts: {self.texts()[:12]}")
        return found[0]


class AppSession:
    """One browser tab's session: `async with AppSession(url) as app`, then app.start()."""

    def __init__(self, url: str, *, timeout: float = 120,
                 ssl: ssl_module.SSLContext | None = None,
                 cookies: Mapping[str, str] | None = None) -> None:
        """`url`: the app's http:// or https:// address (a proxy's, too); `ssl`: the context
        for https (e.g. one trusting a test certificate); `cookies`: the browser's, e.g. a
        session cookie another AppSession was given."""
        self.http_url = url.rstrip("/")
        self.url = (url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
                    .rstrip("/") + "/_stcore/stream")
        self.timeout = timeout
        self.ssl = ssl
        self.cookies: dict[str, str] = dict(cookies or {})  # sent with each page and request
        self.set_cookies: list[str] = []  # every Set-Cookie header received, as sent
        self._socket = None

    async def __aenter__(self) -> AppSession:
        await self._connect()
        return self

    async def _connect(self) -> None:
        from websockets.asyncio.client import connect

        headers = ({"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
                   if self.cookies else {})
        self._socket = await connect(self.url, subprotocols=["streamlit"],
                                     max_size=64 * 2**20, additional_headers=headers,
                                     **({"ssl": self.ssl} if self.ssl else {}))

    async def follow(self, url: str) -> Run:
        """Go where a run sent the browser: one GET (its redirect not followed), keep the
        cookies it sets or clears, then open the app anew with them; the new page's run."""
        await asyncio.to_thread(self._get, urllib.parse.urljoin(self.http_url + "/", url))
        await self._socket.close()
        await self._connect()
        return await self.start()

    def _get(self, url: str) -> None:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
                return None

        handlers: list = [NoRedirect()]
        if self.ssl is not None:
            handlers.append(urllib.request.HTTPSHandler(context=self.ssl))
        request = urllib.request.Request(url)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            response = urllib.request.build_opener(*handlers).open(request, timeout=self.timeout)
        except urllib.error.HTTPError as answer:  # the 303 back to the app
            response = answer
        for header in response.headers.get_all("Set-Cookie") or []:
            self.set_cookies.append(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    async def __aexit__(self, *_: object) -> None:
        await self._socket.close()

    async def start(self) -> Run:
        """The first run, as when the page is opened."""
        return await self._rerun([])

    async def click(self, run: Run, label: str, *,
                    values: Mapping[tuple[str, str], str] | None = None) -> Run:
        """Press the button labelled `label` on the page `run` left, with text boxes filled as
        `values` says ({("text_input", label): text}); the run that answers."""
        states = [WidgetState(id=run.widget_id("button", label), trigger_value=True)]
        for (kind, box), text in (values or {}).items():
            states.append(WidgetState(id=run.widget_id(kind, box), string_value=text))
        run = await self._rerun(states)
        return await self.follow(run.redirect) if run.redirect else run

    async def _rerun(self, states: Iterable[WidgetState]) -> Run:
        message = BackMsg()
        message.rerun_script.query_string = ""
        message.rerun_script.page_script_hash = ""
        message.rerun_script.widget_states.widgets.extend(states)
        await self._socket.send(message.SerializeToString())
        return await asyncio.wait_for(self._finished(), self.timeout)

    async def _finished(self) -> Run:
        """Read until a run finishes (after any st.rerun); an exception on the page fails."""
        run = Run()
        while True:
            message = ForwardMsg()
            message.ParseFromString(await self._socket.recv())
            kind = message.WhichOneof("type")
            if kind == "new_session":
                run = Run()  # a new run draws the page anew
            elif kind == "auth_redirect":
                run.redirect = message.auth_redirect.url
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                if element.WhichOneof("type") == "exception":
                    raise AssertionError(f"the app raised {element.exception.type}: "
                                         f"{element.exception.message}")
                run.elements[tuple(message.metadata.delta_path)] = element
            elif kind == "script_finished":
                if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise AssertionError("the app's script did not compile")
                if message.script_finished in _FINISHED:
                    return run
