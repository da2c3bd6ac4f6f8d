"""The whole web process (Reflex with the API mounted in it, as ``crm run`` serves it) against
a page of another origin: CORS does not hand it our responses, the ``/_event`` websocket
refuses its handshake, the cross-site guard covers Reflex's own routes; and a failing
websocket event does not write the session cookie or a Bearer token into the log.

One server for the module: the Reflex backend takes a while to import on a busy machine.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from factories import FIXTURE_PASSWORD, make_people
from live_api import ReflexBackendServer, migrated_session
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

pytestmark = pytest.mark.slow

PORT = 3000  # CRM_PORT: the allowed origins are the loopback spellings of this port
APP = f"http://127.0.0.1:{PORT}"
FOREIGN = ["http://127.0.0.1:4000", "http://localhost:8080", "https://evil.example", "null"]


@dataclass
class Live:
    server: ReflexBackendServer
    cookie: str

    def ws_url(self, token: str | None = None) -> str:
        host = self.server.base_url.removeprefix("http://")
        return (f"ws://{host}/_event/?EIO=4&transport=websocket"
                + (f"&token={token}" if token else ""))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("reflex")
    url = f"sqlite:///{tmp / 'app.db'}"
    with migrated_session(url) as s:
        make_people(s)
    server = ReflexBackendServer(tmp / "data", url, CRM_PORT=str(PORT)).start()
    try:
        r = httpx.post(f"{server.base_url}/auth/login", timeout=60,
                       data={"email": "admin@test.crm", "password": FIXTURE_PASSWORD})
        assert r.status_code == 303, r.text
        yield Live(server=server, cookie=r.cookies["crm_session"])
    finally:
        server.stop()


def handshake(live: Live, origin: str | None) -> str:
    """Open the websocket as a browser on ``origin`` would; return the engine.io open packet."""
    with connect(live.ws_url(), origin=origin, open_timeout=30,
                 additional_headers={"Cookie": f"crm_session={live.cookie}"}) as ws:
        return str(ws.recv(timeout=30))


def test_websocket_accepts_the_apps_own_origins(live: Live) -> None:
    for origin in (APP, f"http://localhost:{PORT}"):
        assert handshake(live, origin).startswith("0{"), origin


@pytest.mark.parametrize("origin", FOREIGN)
def test_websocket_refuses_a_foreign_origin(live: Live, origin: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        handshake(live, origin)
    assert refused.value.response.status_code in (400, 403)


@pytest.mark.parametrize("origin", FOREIGN[:3])
def test_cors_does_not_hand_responses_to_a_foreign_page(live: Live, origin: str) -> None:
    with httpx.Client(base_url=live.server.base_url, timeout=60) as c:
        read = c.get("/api/v1/leads", headers={"Origin": origin,
                                                "Cookie": f"crm_session={live.cookie}"})
        assert read.status_code == 200  # the server answers; the browser must not show it
        assert "access-control-allow-origin" not in read.headers
        preflight = c.options("/api/v1/leads/1", headers={
            "Origin": origin, "Access-Control-Request-Method": "DELETE"})
        assert "access-control-allow-origin" not in preflight.headers
        assert preflight.status_code == 400
        own = c.get("/api/v1/leads", headers={"Origin": APP,
                                               "Cookie": f"crm_session={live.cookie}"})
        assert own.headers["access-control-allow-origin"] == APP
        assert own.headers["access-control-allow-credentials"] == "true"


def test_the_guard_covers_reflex_routes_too(live: Live) -> None:
    with httpx.Client(base_url=live.server.base_url, timeout=60) as c:
        for path in ("/_upload", "/api/v1/leads"):
            r = c.post(path, data={"x": "1"}, headers={
                "Origin": "http://127.0.0.1:4000", "Cookie": f"crm_session={live.cookie}"})
            assert r.status_code == 403, (path, r.text)


def test_a_failing_event_logs_no_cookie_or_token(live: Live) -> None:
    """Reflex logs the whole event — its router data carries the connection's request
    headers — when it cannot process it; the log must show the failure, not the secrets."""
    bearer = "crm_" + uuid.uuid4().hex
    with connect(live.ws_url(str(uuid.uuid4())), origin=APP, open_timeout=30,
                 additional_headers={"Cookie": f"crm_session={live.cookie}; otra=1",
                                     "Authorization": f"Bearer {bearer}"}) as ws:
        assert str(ws.recv(timeout=30)).startswith("0{")
        ws.send("40/_event,")
        assert str(ws.recv(timeout=30)).startswith("40/_event,")
        event = {"name": "reflex___state____state.no_existe_este_evento", "payload": {},
                 "router_data": {"pathname": "/", "query": {}, "asPath": "/"}}
        ws.send("42/_event," + json.dumps(["event", event]))
        deadline = time.monotonic() + 30
        while "no_existe_este_evento" not in live.server.log():
            assert time.monotonic() < deadline, live.server.log()
            time.sleep(0.2)
    log = live.server.log()
    assert "no_existe_este_evento" in log  # the failure itself is still logged
    assert live.cookie not in log
    assert bearer not in log
