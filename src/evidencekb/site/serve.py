"""`ekb serve`: preview the built site over http on this machine only.

The standard library's http.server is enough for a preview: the site is static files.
It listens on 127.0.0.1, never on every interface, so a preview is not published to
the network by accident; and it answers only requests addressed to this machine by
name (the Host header), so that a page on another site cannot read the preview by
making its own host name point here (DNS rebinding). A request it cannot read gets
an error reply and one log line, never a traceback.
"""

from __future__ import annotations

import errno
import io
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from evidencekb.errors import KBError

HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# The names a request may address this server by (besides the address it is bound to).
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1"})
# A client that connects and then sends nothing (or stops reading) frees its thread
# after this long; an event stream writes more often than this (live.py).
REQUEST_TIMEOUT_SECONDS = 30
LOGGED_REQUEST_CHARS = 200  # a logged request line is cut here (a URI may be 64 KiB)
# The bytes an HTTP request can begin with: a method's token characters, or the
# empty line a client may send first. Anything else (a TLS handshake, 0x16) is
# another protocol, refused at once rather than read until a line break comes.
_REQUEST_START = frozenset(
    b"!#$%&'*+-.^_`|~\r\n0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)
# What the standard handler answers a request line it cannot read with (414 for a URI
# over its 64 KiB, 505 for HTTP/2 or HTTP/9.9): here a 400, as for any other bad line.
_UNREADABLE_REQUEST = frozenset(
    {HTTPStatus.REQUEST_URI_TOO_LONG, HTTPStatus.HTTP_VERSION_NOT_SUPPORTED}
)


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves the site folder; logs one short line per request through `log`."""

    # Every reply has a status line, also one to a request line too broken to name
    # its version (the standard default, HTTP/0.9, would send a bare body).
    default_request_version = "HTTP/1.0"
    timeout = REQUEST_TIMEOUT_SECONDS
    # Until a request line is parsed (for the log line of one that is not).
    command = path = requestline = ""
    raw_requestline: bytes  # set by the standard handler as it reads the request line

    @staticmethod
    def log(line: str) -> None:
        """Replaced per server by the caller's logger."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One short line per reply: the request and its status."""
        if self.command:
            request = f"{self.command} {self.path}"
        else:  # the request line as a repr: whatever bytes came
            request = f"bad request {self.requestline!r}" if self.requestline else "bad request"
        if len(request) > LOGGED_REQUEST_CHARS:
            request = request[:LOGGED_REQUEST_CHARS] + "…"
        self.log(f"{request} {int(code) if isinstance(code, int) else code}")

    def log_error(self, format: str, *args: Any) -> None:
        """Nothing: the reply's own line gives the status (and a request that timed
        out has nobody to answer)."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every request line this preview cannot serve (no version, a version it does
        not speak, a URI too long to read) is answered 400 Bad Request, one status for a
        client to handle; the reply's text still says which it was."""
        if code in _UNREADABLE_REQUEST:
            message = message or HTTPStatus(code).phrase
            code = HTTPStatus.BAD_REQUEST
        super().send_error(code, message, explain)

    def handle_one_request(self) -> None:
        # Looked at, not read: the standard handler reads the request line after.
        first = self.rfile.peek(1)[:1] if isinstance(self.rfile, io.BufferedReader) else b""
        if first and first[0] not in _REQUEST_START:
            self.request_version = self.default_request_version
            self.send_error(
                HTTPStatus.BAD_REQUEST,
                "Not an HTTP request (this preview serves http://, not https://)",
            )
            return
        super().handle_one_request()

    def parse_request(self) -> bool:
        """The standard parse, but HTTP/0.9 ("GET /", no version and no headers) is
        refused, and so is a Host header that does not name this machine."""
        if len(self.raw_requestline.split()) == 2:
            self.request_version = self.default_request_version
            self.requestline = self.raw_requestline.decode("latin-1").rstrip("\r\n")
            self.send_error(HTTPStatus.BAD_REQUEST, "The request line names no HTTP version")
            return False
        return super().parse_request() and self._host_is_local()

    def _host_is_local(self) -> bool:
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1:
            self.send_error(HTTPStatus.BAD_REQUEST, "A request needs exactly one Host header")
            return False
        names = {*LOCAL_NAMES, self.connection.getsockname()[0]}  # the bound address
        if host_name(hosts[0]) not in names:
            self.send_error(
                HTTPStatus.MISDIRECTED_REQUEST,
                "This preview answers only to localhost and 127.0.0.1",
            )
            return False
        return True

    def send_head(self) -> Any:
        # A NUL (`%00`) cannot be in a file name: the standard handler would try to
        # open the path anyway and die with ValueError, leaving the client no reply.
        path = self.translate_path(self.path)
        if "\0" in path:
            self.send_error(HTTPStatus.BAD_REQUEST, "The path holds a NUL character")
            return None
        if not self.in_site(path):
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        return super().send_head()

    def in_site(self, path: str) -> bool:
        """Whether `path` names a file of the site: not through a link that leads out
        of it (a build writes none; one put there would serve any file of this
        machine's), not a name the system cannot take (too long, or bytes that are
        no UTF-8: `%ed%a0%80`), which the standard handler would answer with no reply."""
        try:
            real = os.path.realpath(path)
            os.fsencode(real)
        except (OSError, ValueError):
            return False
        site = os.path.realpath(self.directory)
        return real == site or real.startswith(site + os.sep)

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        """A folder without index.html is not found, as on a static host: the site
        links only to files, and a listing would show what no page links to."""
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")


def host_name(header: str) -> str | None:
    """The host name a Host header gives ("localhost:8000" -> "localhost"), in lower
    case; None if the port after it is not a number."""
    name, colon, port = header.strip().partition(":")
    if colon and port and not (port.isascii() and port.isdigit()):
        return None
    return name.lower()


class PreviewServer(ThreadingHTTPServer):
    """A threading http server on 127.0.0.1 that logs a failed request in one line."""

    def __init__(self, port: int, handler: Callable[..., SiteHandler], log: Callable[[str], None]):
        self.log = log
        super().__init__((HOST, port), handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            return  # the client went away or went quiet: nothing to report
        self.log(f"Error: a request failed ({type(error).__name__}: {error})")


def make_server(
    site_dir: Path,
    port: int,
    log: Callable[[str], None],
    handler: type[SiteHandler] = SiteHandler,
) -> PreviewServer:
    """A server for site_dir on 127.0.0.1:port (port 0: any free port), answering
    with `handler` (a SiteHandler) and logging through `log`."""
    logging = type(handler.__name__, (handler,), {"log": staticmethod(log)})
    try:
        return PreviewServer(port, partial(logging, directory=str(site_dir)), log)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise KBError(
                f"port {port} on {HOST} is already in use; choose another with --port"
            ) from None
        raise KBError(f"cannot listen on {HOST}:{port} ({error.strerror})") from None


def check_site(site_dir: Path) -> None:
    """That there is a built site to serve (`ekb serve --no-watch` serves only that)."""
    if not (site_dir / "index.html").is_file():
        raise KBError(f"{site_dir}: no built site here (index.html is missing); run `ekb build`")


def serve(site_dir: Path, port: int, announce: Callable[[str], None]) -> None:
    """Serve until interrupted (Ctrl-C), then close the socket and return."""
    check_site(site_dir)
    server = make_server(site_dir, port, announce)
    host, bound_port = server.server_address[:2]
    announce(f"Serving {site_dir}/ at http://{host!s}:{bound_port}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        announce("Stopped.")
    finally:
        server.server_close()


@contextmanager
def serving(
    site_dir: Path, port: int = 0, log: Callable[[str], None] = lambda line: None
) -> Iterator[str]:
    """Serve site_dir from a background thread while the block runs; yield its root
    URL. For tests and benchmarks that drive a browser against the built site."""
    check_site(site_dir)
    server = make_server(site_dir, port, log)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
