"""`ekb serve`: preview the built site over http on this machine only.

The standard library's http.server is enough for a preview: the site is static files.
It listens on 127.0.0.1, never on every interface, so a preview is not published to
the network by accident.
"""

from __future__ import annotations

import errno
import os
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


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves the site folder; logs one short line per request through `log`."""

    @staticmethod
    def log(line: str) -> None:
        """Replaced per server by the caller's logger."""

    def log_message(self, format: str, *args: Any) -> None:
        self.log(f"{self.command} {self.path} {args[1] if len(args) > 1 else ''}".rstrip())

    def send_head(self) -> Any:
        # A NUL (`%00`) cannot be in a file name: the standard handler would try to
        # open the path anyway and die with ValueError, leaving the client no reply.
        if "\0" in self.translate_path(self.path):
            self.send_error(HTTPStatus.BAD_REQUEST, "The path holds a NUL character")
            return None
        return super().send_head()

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        """A folder without index.html is not found, as on a static host: the site
        links only to files, and a listing would show what no page links to."""
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")


def make_server(
    site_dir: Path,
    port: int,
    log: Callable[[str], None],
    handler: type[SiteHandler] = SiteHandler,
) -> ThreadingHTTPServer:
    """A server for site_dir on 127.0.0.1:port (port 0: any free port), answering
    with `handler` (a SiteHandler) and logging through `log`."""
    if not (site_dir / "index.html").is_file():
        raise KBError(f"{site_dir}: no built site here (index.html is missing); run `ekb build`")
    logging = type(handler.__name__, (handler,), {"log": staticmethod(log)})
    try:
        return ThreadingHTTPServer((HOST, port), partial(logging, directory=str(site_dir)))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise KBError(
                f"port {port} on {HOST} is already in use; choose another with --port"
            ) from None
        raise KBError(f"cannot listen on {HOST}:{port} ({error.strerror})") from None


def serve(site_dir: Path, port: int, announce: Callable[[str], None]) -> None:
    """Serve until interrupted (Ctrl-C), then close the socket and return."""
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
    server = make_server(site_dir, port, log)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
