"""``live_app``'s port (``liveport``): a second session, a leftover app or any other process on
the port is a clear failure, never an app that is not this session's. No browser, no build:
real sockets, real processes, real locks."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import liveport
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(autouse=True)
def _own_lock_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The locks of these tests' random ports in the test's own folder, not the machine's."""
    monkeypatch.setattr(liveport, "LOCK_DIR", tmp_path)


def test_a_second_session_cannot_take_a_claimed_port():
    port = _free_port()
    first = liveport.claim(port, where="/work/wt/uno")
    try:
        with pytest.raises(liveport.PortBusy, match=f"{port} lo usa otra sesión.*wt/uno"):
            liveport.claim(port)
    finally:
        first.close()
    liveport.claim(port).close()  # released with its session: the next one gets it


def test_a_port_something_listens_on_is_refused_saying_who():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(liveport.PortBusy, match=f"{port} ya está en uso .*pid "):
            liveport.claim(port)


def test_the_listener_of_a_port_and_its_parents_are_found(tmp_path: Path):
    port = _free_port()
    child = subprocess.Popen([sys.executable, "-c",
                              "import socket, time; s = socket.socket(); "
                              f"s.bind(('127.0.0.1', {port})); s.listen(); "
                              "print('ok', flush=True); time.sleep(60)"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ok"
        assert liveport.listener_pid(port) == child.pid
        assert liveport.descends_from(child.pid, child.pid)
        assert liveport.descends_from(child.pid, os.getpid())  # the test started it
        assert not liveport.descends_from(os.getpid(), child.pid)
    finally:
        child.kill()
        child.wait()
    assert liveport.listener_pid(port) is None


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, *args: object) -> None:
        pass


def test_an_app_that_is_not_ours_answering_on_the_port_fails_at_once(tmp_path: Path):
    """The race of old: while this session's ``crm run`` was still building, another app
    took the port and answered the health check; the tests then drove that one."""
    other = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    port = other.server_address[1]
    threading.Thread(target=other.serve_forever, daemon=True).start()
    ours = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    log = tmp_path / "app.log"
    log.write_text("Compilando la interfaz…\n")
    try:
        with pytest.raises(liveport.StartFailed,
                           match=rf"Otro proceso escucha en el puerto {port} \(pid "):
            liveport.wait_until_serving(ours, port, log=log, timeout=30, poll=0.1)
    finally:
        ours.kill()
        ours.wait()
        other.shutdown()
        other.server_close()


def test_our_own_app_is_waited_for_until_it_answers(tmp_path: Path):
    port = _free_port()
    code = ("import http.server, time\n"
            "class H(http.server.BaseHTTPRequestHandler):\n"
            "    def do_GET(self):\n"
            "        self.send_response(200); self.end_headers()\n"
            "    def log_message(self, *a): pass\n"
            "time.sleep(1)\n"
            f"http.server.HTTPServer(('127.0.0.1', {port}), H).serve_forever()\n")
    ours = subprocess.Popen([sys.executable, "-c", code])
    try:
        liveport.wait_until_serving(ours, port, log=tmp_path / "app.log", timeout=30,
                                    poll=0.1)
        assert liveport.listener_pid(port) == ours.pid
    finally:
        ours.kill()
        ours.wait()


def test_an_app_that_dies_while_starting_fails_with_its_log(tmp_path: Path):
    log = tmp_path / "app.log"
    log.write_text("OSError: [Errno 98] address already in use\n")
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"])
    dead.wait()
    with pytest.raises(liveport.StartFailed, match=r"(?s)terminó antes de tiempo.*Errno 98"):
        liveport.wait_until_serving(dead, _free_port(), log=log, timeout=30, poll=0.1)
