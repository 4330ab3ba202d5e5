"""`ekb serve`: the site over http on 127.0.0.1, clean errors, clean Ctrl-C."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from evidencekb.errors import KBError
from evidencekb.site.serve import make_server, serving
from fixtures import ctrl_c_works, ekb_here


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "claims").mkdir(parents=True)
    (site / "index.html").write_text("<!DOCTYPE html><title>home</title>", encoding="utf-8")
    (site / "claims" / "a.html").write_text("claim a", encoding="utf-8")
    return site


@contextmanager
def ekb_serve(site_dir: Path) -> Iterator[tuple[str, Callable[[], tuple[int, str]]]]:
    """`ekb serve --no-watch` on `site_dir`, started as a user starts it: the root URL
    its banner gives, and a function that presses Ctrl-C and returns its exit status
    and what it printed after the banner. Killed on the way out if still running."""
    command = [sys.executable, "-m", "evidencekb", "serve", "--no-watch", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--site-dir", str(site_dir)],
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_works,
    )

    def ctrl_c() -> tuple[int, str]:
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=10)
        return process.returncode, rest

    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)", banner)
        assert match, banner
        yield match.group(1), ctrl_c
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_ekb_serve_serves_the_site_and_stops_cleanly_on_ctrl_c(site_dir: Path) -> None:
    with ekb_serve(site_dir) as (base, ctrl_c):
        with urllib.request.urlopen(base + "claims/a.html", timeout=10) as response:
            assert response.status == 200
            assert response.read() == b"claim a"
        status, rest = ctrl_c()
    assert status == 0
    assert "Traceback" not in rest
    assert rest.rstrip().endswith("Stopped.")


def test_serve_without_a_built_site_is_a_one_line_error(tmp_path: Path) -> None:
    result = ekb_here("serve", "--no-watch", "--site-dir", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path / 'nowhere'}: no built site here (index.html is missing); "
        "run `ekb build`\n"
    )


def test_a_port_in_use_is_a_clear_error(site_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(KBError, match=f"port {port} on 127.0.0.1 is already in use"):
            make_server(site_dir, port, log=lambda line: None)


def test_the_server_listens_on_loopback_only(site_dir: Path) -> None:
    server = make_server(site_dir, 0, log=lambda line: None)
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()


def request(base: str, path: str) -> tuple[int, bytes]:
    """GET a raw path (sent as given, no quoting) over a real socket."""
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_a_nul_in_the_path_is_a_bad_request_and_the_server_goes_on(site_dir: Path) -> None:
    logged: list[str] = []
    with serving(site_dir, log=logged.append) as base:
        for path in ("/claims/..%00/x", "/%00", "/claims/a.html%00.txt"):
            assert request(base, path)[0] == 400, path
        assert request(base, "/claims/a.html") == (200, b"claim a")
    assert not any("Traceback" in line for line in logged)


def test_folders_are_not_listed(site_dir: Path) -> None:
    (site_dir / "whoosh").mkdir()
    (site_dir / "whoosh" / "segment.seg").write_bytes(b"x")
    with serving(site_dir) as base:
        for path in ("/whoosh/", "/claims/", "/claims/?x=1"):
            status, body = request(base, path)
            assert status == 404, path
            assert b"segment.seg" not in body and b"a.html" not in body
        assert request(base, "/")[0] == 200  # a folder with index.html serves it
        assert request(base, "/whoosh/segment.seg")[0] == 200


def exchange(base: str, raw: bytes) -> bytes:
    """Send raw bytes over a fresh socket (kept open, as a client waiting for its
    answer would) and read the reply until the server closes the connection."""
    address = urlsplit(base)
    reply, deadline = b"", time.monotonic() + 10
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(raw)
        while time.monotonic() < deadline:
            chunk = connection.recv(65536)
            if not chunk:
                return reply
            reply += chunk
    raise AssertionError("the reply never ended")


def tls_client_hello() -> bytes:
    """The first bytes a browser sends to an https:// address, made by a real TLS stack."""
    outgoing = ssl.MemoryBIO()
    context = ssl.create_default_context()
    tls = context.wrap_bio(ssl.MemoryBIO(), outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:  # the hello is sent; the server's answer is awaited
        return outgoing.read()
    raise AssertionError("a handshake cannot end without an answer")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET\r\n\r\n", 400),
        (b"GET /\r\n", 400),  # HTTP/0.9: no version, no headers, no status line
        (b"GET / HTTP/1.1 x\r\nHost: localhost\r\n\r\n", 400),
        (b"GET / XTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        (b"GET / HTTP/1.x\r\nHost: localhost\r\n\r\n", 400),
        (b"\x00\xff\xfe\r\n\r\n", 400),
        (b"GET / HTTP/9.9\r\nHost: localhost\r\n\r\n", 400),  # a version it does not speak
        (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),  # an HTTP/2 connection preface
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        (tls_client_hello(), 400),
    ],
    ids=["bare-GET", "HTTP/0.9", "four-words", "XTTP", "HTTP/1.x", "binary", "HTTP/9.9",
         "HTTP/2", "long-URI", "TLS-hello"],
)  # fmt: skip
def test_a_malformed_request_gets_an_error_reply_at_once_and_no_traceback(
    site_dir: Path, capfd: pytest.CaptureFixture[str], raw: bytes, status: int
) -> None:
    logged: list[str] = []
    with serving(site_dir, log=logged.append) as base:
        reply = exchange(base, raw)
        assert request(base, "/claims/a.html") == (200, b"claim a")  # the server goes on
    assert reply.startswith(f"HTTP/1.0 {status} ".encode()), reply[:100]
    assert len(logged) == 2 and logged[0].endswith(f" {status}") and "\n" not in logged[0]
    assert len(logged[0]) < 300
    assert "Traceback" not in capfd.readouterr().err


def ask(base: str, host: str | None, path: str = "/claims/a.html") -> tuple[int, bytes]:
    """GET path with this Host header (None: none at all)."""
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        if host is not None:
            connection.putheader("Host", host.format(port=address.port))
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:{port}", "127.0.0.1", "127.0.0.1:{port}", "LocalHost:{port}"]
)
def test_requests_for_this_machine_by_name_are_answered(site_dir: Path, host: str) -> None:
    with serving(site_dir) as base:
        assert ask(base, host) == (200, b"claim a")


@pytest.mark.parametrize(
    ("host", "status"),
    [
        # What a page elsewhere sends after pointing its own name at 127.0.0.1.
        ("attacker.example", 421),
        ("attacker.example:{port}", 421),
        ("localhost.attacker.example:{port}", 421),
        ("127.0.0.1.nip.io:{port}", 421),
        ("0.0.0.0:{port}", 421),
        ("", 421),
        ("localhost:80@attacker.example", 421),
        (None, 400),
    ],
)
def test_requests_for_another_host_are_refused(
    site_dir: Path, host: str | None, status: int
) -> None:
    with serving(site_dir) as base:
        code, body = ask(base, host)
        twice = exchange(base, b"GET / HTTP/1.1\r\nHost: localhost\r\nHost: a.example\r\n\r\n")
    assert code == status
    assert b"claim a" not in body and len(body) < 1000
    assert twice.startswith(b"HTTP/1.0 400 ")


def test_ekb_serve_logs_each_request_in_one_safe_line(site_dir: Path) -> None:
    with ekb_serve(site_dir) as (base, ctrl_c):
        hostile = b"GET /\x1b]0;pwned\x07\x1b[2J HTTP/1.1\r\nHost: localhost\r\n\r\n"
        for raw in (hostile, b"GET\r\n\r\n", tls_client_hello()):
            assert exchange(base, raw).startswith(b"HTTP/1.0 4")
        _, rest = ctrl_c()
    assert rest.splitlines() == [
        "GET /\\u001b]0;pwned\\u0007\\u001b[2J 404",
        "bad request 'GET' 400",
        "bad request 400",
        "Stopped.",
    ]


def test_a_link_out_of_the_site_and_paths_no_file_can_have_are_not_found(
    site_dir: Path, tmp_path: Path
) -> None:
    """A link in the site leading out served any file of the machine (/etc/passwd); a
    name too long for the system, or bytes that are no UTF-8, got no reply at all."""
    secret = tmp_path / "secret.txt"
    secret.write_text("not the site's", encoding="utf-8")
    (site_dir / "out.txt").symlink_to(secret)
    (site_dir / "claims" / "inside.html").symlink_to(site_dir / "claims" / "a.html")
    with serving(site_dir) as url:
        for path in ("out.txt", "a" * 300 + ".html", "%ed%a0%80.html", "claims/" + "b" * 300):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(url + path, timeout=10)
            refused.value.close()
            assert refused.value.code == 404, path
        with urllib.request.urlopen(url + "claims/inside.html", timeout=10) as response:
            assert response.read() == b"claim a"  # a link within the site is the site's
