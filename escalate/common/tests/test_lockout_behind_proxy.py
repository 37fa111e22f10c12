"""Sign-in lockout behind a real nginx: a guesser locks only his own address.

nginx runs in the foreground from a config written for the test, in front of the live
server, and sends ``X-Forwarded-For $proxy_add_x_forwarded_for`` as production's must
(docs/production.md). Each person is a separate loopback address (Linux routes all of
127.0.0.0/8 to lo): the guesser connects from 127.0.0.2, his colleague from 127.0.0.3, and
nginx reaches the live server from 127.0.0.1, the one trusted proxy.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from axes.models import AccessAttempt

from escalate.escalations.tests.factories import DEMO_PASSWORD, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)

PROXY = "127.0.0.1"
GUESSER = "127.0.0.2"
COLLEAGUE = "127.0.0.3"
SIGN_IN = "/sign-in/"
LOCKED = "Sign-in is locked for now"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _nginx_binary() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    # Debian puts it in /usr/sbin, which is not on every PATH.
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((PROXY, 0))
        port: int = probe.getsockname()[1]
        return port


def _config(folder: Path, *, port: int, upstream: str) -> str:
    # As root, nginx's workers would become nobody and could not reach the test's folder.
    user = "user root;" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
daemon off;
{user}
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log {folder / "access.log"};
{temp}
    server {{
        listen {PROXY}:{port};
        location / {{
            proxy_pass {upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
    }}
}}
"""


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    for _attempt in range(200):
        if process.poll() is not None:
            pytest.fail(f"nginx stopped at start:\n{log.read_text()}")
        try:
            socket.create_connection((PROXY, port), timeout=1).close()
        except OSError:
            time.sleep(0.05)
        else:
            return
    pytest.fail(f"nginx did not start listening on {PROXY}:{port}:\n{log.read_text()}")


@pytest.fixture
def nginx(live_server: Any, tmp_path: Path) -> Iterator[int]:
    """nginx in front of the live server; yields the port it listens on."""
    binary = _nginx_binary()
    if binary is None:
        reason = "nginx is not installed (apt-get install nginx); the proxy test is skipped."
        if os.environ.get("ESCALATE_REQUIRE_NGINX") == "1":
            pytest.fail(f"ESCALATE_REQUIRE_NGINX=1 but {reason}")
        pytest.skip(reason)
    upstream = urlsplit(live_server.url)
    port = _free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(_config(tmp_path, port=port, upstream=f"http://{PROXY}:{upstream.port}"))
    log = tmp_path / "error.log"
    process = subprocess.Popen(
        [binary, "-p", str(tmp_path), "-c", str(config), "-e", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_listening(process, port, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Visitor:
    """One person's browser: its own source address and its own cookies."""

    def __init__(self, port: int, address: str, *, forwarded_for: str = "") -> None:
        self.port, self.address, self.forwarded_for = port, address, forwarded_for
        self.cookies: SimpleCookie = SimpleCookie()

    def _request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection(
            PROXY, self.port, timeout=30, source_address=(self.address, 0)
        )
        headers = {"Host": f"{PROXY}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={m.value}" for key, m in self.cookies.items())
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                self.cookies.load(cookie)
            return response.status, response.read().decode()
        finally:
            connection.close()

    def sign_in(self, email: str, password: str) -> tuple[int, str]:
        """Fetches the form (for its CSRF token) and posts it, as a browser would."""
        status, page = self._request("GET", SIGN_IN)
        assert status == 200, page
        match = CSRF_FIELD.search(page)
        assert match is not None, "the sign-in form carries a CSRF token"
        form = {"username": email, "password": password, "csrfmiddlewaretoken": match.group(1)}
        return self._request("POST", SIGN_IN, form)


def _five_wrong_passwords(guesser: Visitor) -> None:
    # A different account each time: only the address can be what locks.
    statuses = [
        guesser.sign_in(f"guess-{guess}@example.org", "wrong-guess-123456")[0] for guess in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks


def _recorded_addresses() -> set[str | None]:
    return set(AccessAttempt.objects.values_list("ip_address", flat=True))


def test_behind_nginx_the_guesser_is_locked_out_and_a_colleague_still_signs_in(
    nginx: int, settings: Any
) -> None:
    settings.ESCALATE_TRUSTED_PROXIES = [PROXY]
    target, colleague = PersonFactory(), PersonFactory()
    guesser = Visitor(nginx, GUESSER)

    _five_wrong_passwords(guesser)
    status, page = guesser.sign_in(target.email, DEMO_PASSWORD)

    assert (status, LOCKED in page) == (429, True)
    assert Visitor(nginx, COLLEAGUE).sign_in(colleague.email, DEMO_PASSWORD)[0] == 302
    assert _recorded_addresses() == {GUESSER}


def test_behind_nginx_a_guesser_claiming_a_colleague_s_address_is_counted_at_his_own(
    nginx: int, settings: Any
) -> None:
    settings.ESCALATE_TRUSTED_PROXIES = [PROXY]
    colleague = PersonFactory()
    guesser = Visitor(nginx, GUESSER, forwarded_for=COLLEAGUE)

    _five_wrong_passwords(guesser)

    assert Visitor(nginx, COLLEAGUE).sign_in(colleague.email, DEMO_PASSWORD)[0] == 302
    assert guesser.sign_in(colleague.email, DEMO_PASSWORD)[0] == 429
    assert _recorded_addresses() == {GUESSER}


def test_without_trusted_proxies_everyone_behind_nginx_is_one_address(
    nginx: int, settings: Any
) -> None:
    """Issue 15 as it was: five wrong passwords by anyone locked everyone out."""
    settings.ESCALATE_TRUSTED_PROXIES = []
    colleague = PersonFactory()

    _five_wrong_passwords(Visitor(nginx, GUESSER))

    status, page = Visitor(nginx, COLLEAGUE).sign_in(colleague.email, DEMO_PASSWORD)
    assert (status, LOCKED in page) == (429, True)
    assert _recorded_addresses() == {PROXY}
