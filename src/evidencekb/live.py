"""The editors' loop: `ekb serve` rebuilds the site when kb/ changes and reloads
the pages open in a browser.

A watcher thread (watchfiles) waits for saves in kb/ and runs `ekb build`; the
build is atomic, so the server goes on serving the last good site throughout,
and after a failed build too. Each served HTML page gets one extra script tag,
added as the page is sent (never written into the built site), that listens to
this server's event stream (`EVENTS_PATH`, server-sent events: no other host,
no websocket library) and reloads the page after a good build or shows the
build's problems, with file and line, over the page after a bad one.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from evidencekb.errors import KBError, ValidationError
from evidencekb.site.serve import HOST, SiteHandler, make_server

SCRIPT_PATH = "/__ekb/live.js"
EVENTS_PATH = "/__ekb/events"
# How often an idle event stream sends a comment, so that a closed tab is noticed
# (the write fails) and its thread ends.
KEEPALIVE_SECONDS = 15.0
# Saves that come this close together (an editor writing two files, a git
# checkout) make one build.
DEBOUNCE_MS = 400
SIGNAL_CHECK_SECONDS = 0.2  # how soon Ctrl-C stops `ekb serve`, at most


@dataclass(frozen=True)
class BuildStatus:
    """The outcome of the latest build: `generation` counts builds, so that a
    page knows whether the site changed since it was loaded."""

    generation: int
    problems: tuple[str, ...]  # empty when the build succeeded

    def event(self) -> bytes:
        """This status as one server-sent event."""
        data = json.dumps({"generation": self.generation, "problems": list(self.problems)})
        return f"event: build\ndata: {data}\n\n".encode()


class BuildBoard:
    """The latest BuildStatus, shared by the watcher and every open event stream."""

    def __init__(self) -> None:
        self._status = BuildStatus(0, ())
        self._changed = threading.Condition()
        self._closed = False

    @property
    def status(self) -> BuildStatus:
        with self._changed:
            return self._status

    def post(self, problems: tuple[str, ...]) -> BuildStatus:
        with self._changed:
            self._status = BuildStatus(self._status.generation + 1, problems)
            self._changed.notify_all()
            return self._status

    def close(self) -> None:
        """End every event stream (the server is stopping)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def updates(self, timeout: float = KEEPALIVE_SECONDS) -> Iterator[BuildStatus | None]:
        """The current status, then each new one as it is posted; None after
        `timeout` seconds without one. Ends when the board is closed."""
        seen = -1
        while True:
            with self._changed:
                if self._status.generation == seen:
                    self._changed.wait(timeout)
                if self._closed:
                    return
                status = self._status
            if status.generation == seen:
                yield None
            else:
                seen = status.generation
                yield status


def rebuild(kb_dir: Path, site_dir: Path, board: BuildBoard, say: Callable[[str], None]) -> None:
    """Build the site once and post the outcome; a kb/ error is reported, not raised."""
    from evidencekb.build import build

    try:
        result = build(kb_dir, site_dir)
    except ValidationError as error:
        problems = (*(str(problem) for problem in error.problems), f"Error: {error}")
    except KBError as error:
        problems = (f"Error: {error}",)
    else:
        board.post(())
        say(f"Rebuilt {result.site_dir}/ from {result.claims} claims.")
        return
    board.post(problems)
    for line in problems:
        say(line)
    say("The last good site is still being served; fix kb/ and save again.")


def watch(
    kb_dir: Path,
    site_dir: Path,
    board: BuildBoard,
    stop: threading.Event,
    say: Callable[[str], None],
) -> None:
    """Rebuild after every burst of saves in kb/ until `stop` is set."""
    import watchfiles

    changes = watchfiles.watch(
        kb_dir,
        watch_filter=_kb_file_changed,
        debounce=DEBOUNCE_MS,
        stop_event=stop,
        raise_interrupt=False,
    )
    for _ in changes:
        rebuild(kb_dir, site_dir, board, say)


def _kb_file_changed(change: object, path: str) -> bool:
    """Hidden files (an editor's swap file, an import's staging folder) and
    backups are not kb/; saving them must not trigger a build."""
    name = Path(path).name
    return not (name.startswith(".") or name.endswith("~"))


def with_live_script(page: bytes, generation: int) -> bytes:
    """The HTML page with the reload script before `</body>` (at the end if none),
    told which build the page came from."""
    tag = f'<script src="{SCRIPT_PATH}" data-generation="{generation}"></script>'.encode()
    at = page.rfind(b"</body>")
    if at == -1:
        return page + tag
    return page[:at] + tag + b"\n" + page[at:]


def live_script() -> bytes:
    return resources.files("evidencekb.site").joinpath("live.js").read_bytes()


class LiveHandler(SiteHandler):
    """The site handler, plus the reload script, the event stream, and the
    script tag added to every HTML page it sends."""

    board: BuildBoard  # set per server by `live_server`

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == SCRIPT_PATH:
            self._send(live_script(), "text/javascript; charset=utf-8")
        elif path == EVENTS_PATH:
            self._stream_builds()
        else:
            page = self._html_file()
            if page is None:
                super().do_GET()
            else:
                html = with_live_script(page.read_bytes(), self.board.status.generation)
                self._send(html, "text/html; charset=utf-8")

    def _html_file(self) -> Path | None:
        """The HTML file this request names, if it names one."""
        target = Path(self.translate_path(self.path))
        if self.path.endswith("/"):
            target = target / "index.html"
        return target if target.suffix == ".html" and target.is_file() else None

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream_builds(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            for status in self.board.updates():
                self.wfile.write(b": still here\n\n" if status is None else status.event())
                self.wfile.flush()
        except OSError:
            return  # the page was closed or reloaded


@contextmanager
def live_serving(
    kb_dir: Path, site_dir: Path, port: int, say: Callable[[str], None]
) -> Iterator[str]:
    """Build if kb/ changed since the last build, then serve site_dir with live
    reload while kb/ is watched, all from background threads; yield the root URL.
    Leaving the block stops the watcher, the event streams and the server."""
    board = BuildBoard()
    if not _site_is_current(kb_dir, site_dir):
        rebuild(kb_dir, site_dir, board, say)
    handler = type("LiveSiteHandler", (LiveHandler,), {"board": board})
    server = make_server(site_dir, port, say, handler)
    stop = threading.Event()
    threads = [
        threading.Thread(target=server.serve_forever, daemon=True),
        threading.Thread(target=watch, args=(kb_dir, site_dir, board, stop, say), daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        stop.set()
        board.close()
        server.shutdown()
        server.server_close()
        for thread in threads:
            thread.join(timeout=10)


def serve_live(kb_dir: Path, site_dir: Path, port: int, say: Callable[[str], None]) -> None:
    """`ekb serve`: preview the site, rebuilding on every save, until Ctrl-C."""
    if not kb_dir.is_dir():
        raise KBError(f"no knowledge base folder at {kb_dir} (use --kb DIR)")
    with live_serving(kb_dir, site_dir, port, say) as url:
        say(f"Serving {site_dir}/ at {url} and rebuilding on changes in {kb_dir}/ (Ctrl-C to stop)")
        try:
            # Until Ctrl-C, in short waits: the kernel may hand the signal to another
            # thread (the server's, the watcher's), which only notes it for the main
            # thread to act on when it next runs; a wait without end never would.
            while True:
                time.sleep(SIGNAL_CHECK_SECONDS)
        except KeyboardInterrupt:
            say("Stopped.")


def _site_is_current(kb_dir: Path, site_dir: Path) -> bool:
    """Whether site_dir was built from kb/ as it is now (its search index records
    the kb/ fingerprint it was built from), so that starting to serve a large kb
    does not rebuild it for nothing."""
    from evidencekb.paths import INDEX_DIRNAME
    from evidencekb.search.index import is_fresh

    return (site_dir / "index.html").is_file() and is_fresh(kb_dir, site_dir / INDEX_DIRNAME)
