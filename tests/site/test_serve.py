"""`ekb serve`: the site over http on 127.0.0.1, clean errors, clean Ctrl-C."""

from __future__ import annotations

import http.client
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from evidencekb.cli import cli
from evidencekb.errors import KBError
from evidencekb.site.serve import make_server, serving
from fixtures import ctrl_c_works


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "claims").mkdir(parents=True)
    (site / "index.html").write_text("<!DOCTYPE html><title>home</title>", encoding="utf-8")
    (site / "claims" / "a.html").write_text("claim a", encoding="utf-8")
    return site


def test_ekb_serve_serves_the_site_and_stops_cleanly_on_ctrl_c(site_dir: Path) -> None:
    command = [sys.executable, "-m", "evidencekb", "serve", "--no-watch", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--site-dir", str(site_dir)],
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_works,
    )
    try:
        banner = process.stderr.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)", banner)
        assert match, banner
        with urllib.request.urlopen(match.group(1) + "claims/a.html", timeout=10) as response:
            assert response.status == 200
            assert response.read() == b"claim a"
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in rest
    assert rest.rstrip().endswith("Stopped.")


def test_serve_without_a_built_site_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["serve", "--no-watch", "--site-dir", str(tmp_path / "nowhere")]
    )
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
