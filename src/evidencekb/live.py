"""The editors' loop: `ekb serve` rebuilds the site when kb/ changes and reloads
the pages open in a browser.

A watcher thread (watchfiles) waits for saves in kb/ and runs `ekb build`, the
site's pages first, then the rest of the site and the search index (`rebuild`);
each update of the site is atomic,
so the server goes on serving the last good site throughout, and after a failed
build too. Nothing ends the watching but Ctrl-C, which stops a build under way
before the next topic it reads or part it writes (the site as it was, or its pages
or all of it updated and its index not): a build that
fails in a way no kb/ check foresaw is reported like a kb/ problem, and a kb/
folder deleted and made again (as `git checkout` or rsync may do) is watched
anew. Each served HTML page gets one extra script tag, added as the page is sent
(never written into the built site), that listens to this server's event stream
(`EVENTS_PATH`, server-sent events: no other host, no websocket library) and
reloads the page after a good build or shows the build's problems, with file and
line, over the page after a bad one.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from evidencekb.errors import Cancelled, KBError, ValidationError
from evidencekb.site.serve import HOST, SiteHandler, make_server

if TYPE_CHECKING:
    from evidencekb.kb.checked import RememberedTopics

SCRIPT_PATH = "/__ekb/live.js"
WORKER_PATH = "/__ekb/live-worker.js"  # one event stream shared by the preview's tabs
EVENTS_PATH = "/__ekb/events"
# The scripts served at their paths (package files of evidencekb.site).
_SCRIPTS = {SCRIPT_PATH: "live.js", WORKER_PATH: "live-worker.js"}
# How often an idle event stream sends a comment, so that a closed tab is noticed
# (the write fails) and its thread ends.
KEEPALIVE_SECONDS = 15.0
# Saves that come this close together (an editor writing two files, a git
# checkout) make one build.
DEBOUNCE_MS = 400
# How often the watcher looks whether kb/ was replaced or is back after being deleted.
POLL_SECONDS = 1.0
# How long the watcher waits before it tries again after watching kb/ failed.
RETRY_SECONDS = 5.0
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


def rebuild(
    kb_dir: Path,
    site_dir: Path,
    board: BuildBoard,
    say: Callable[[str], None],
    stop: threading.Event | None = None,
    remembered: RememberedTopics | None = None,
) -> None:
    """Build the site once and post the outcome. A failed build is reported, never
    raised: a kb/ problem, and any other failure too (in one line), since the
    watcher that called this must live on to build the fix. Once `stop` is set (the
    server stopping), the build stops before the next topic it reads or part it
    writes, and nothing is said.

    The open pages reload as soon as the site's pages are updated, before its search
    data, database and export, and the search index (which only `ekb search` reads),
    are written: `build`'s `on_site`. `remembered`: the topics the watcher's earlier
    builds read, taken again where their files did not change."""
    from evidencekb.build import BuildResult, build

    def site_updated(result: BuildResult) -> None:
        board.post(())
        say(f"Rebuilt {result.site_dir}/ from {result.claims} claims.")

    next_step = RETRY_ON_SAVE
    try:
        build(kb_dir, site_dir, stop=stop, on_site=site_updated, remembered=remembered)
    except Cancelled:
        return  # the site is as it was, or updated with the index left to the next build
    except ValidationError as error:
        problems = (*(str(problem) for problem in error.problems), f"Error: {error}")
        next_step = FIX_KB
    except KBError as error:
        problems = (f"Error: {error}",)
    except Exception as error:  # a bug, or the system (memory, a file vanishing mid-build)
        problems = (f"Error: the build failed unexpectedly ({one_line(error)})",)
    else:
        return
    _report(board, problems, say, site_dir, next_step)


def one_line(error: BaseException) -> str:
    """The exception's type and the first line of its message, cut to a readable length."""
    lines = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return text if len(text) <= 300 else text[:300] + "…"


# What the person at the terminal can do after a failed build: only a kb/ problem is
# theirs to fix in kb/; a folder in the way or a full disk is retried on the next save.
FIX_KB = "fix kb/ and save again."
RETRY_ON_SAVE = "the build is tried again on the next save in kb/."


def _report(
    board: BuildBoard,
    problems: tuple[str, ...],
    say: Callable[[str], None],
    site_dir: Path,
    next_step: str,
) -> None:
    """Post and say a failed build's problems, then what is served and what to do:
    a site is "still being served" only if one was built."""
    board.post(problems)
    for line in problems:
        say(line)
    if (site_dir / "index.html").is_file():
        say(f"The last good site is still being served; {next_step}")
    else:
        say(f"There is no built site to serve yet; {next_step}")


class KbWatcher:
    """Rebuilds the site after every burst of saves in kb/, until `stop` is set.

    Nothing else ends it: a failed build is reported (`rebuild`); a kb/ folder
    that is deleted is reported and waited for; one made again or moved into its
    place is built and watched in turn. Saves made before the watching began
    (while the first build ran, or kb/ was read ahead) send no event: their
    modification times tell.
    """

    def __init__(
        self, kb_dir: Path, site_dir: Path, board: BuildBoard, say: Callable[[str], None]
    ) -> None:
        from evidencekb.kb.checked import RememberedTopics

        self.kb_dir, self.site_dir, self.board, self.say = kb_dir, site_dir, board, say
        self.stop = threading.Event()
        self.remembered = RememberedTopics()  # one kb's topics, from one build to the next
        self._unread = False  # serving began without a build: kb/ is read once first
        self._read_at_ns = 0  # the last build read kb/ as it was at this moment or later

    def build(self) -> None:
        self._read_at_ns = time.time_ns()
        rebuild(self.kb_dir, self.site_dir, self.board, self.say, self.stop, self.remembered)
        # What the build made lives on in reference cycles (its Jinja environment and
        # the parts that name it hold the loaded kb) until a full collection: made
        # now, while the editor reads the page, rather than inside the next build,
        # which it slowed by 0.13 s on the large benchmark kb (BENCHMARKS.md). Not
        # when stopping: the process is about to end.
        if not self.stop.is_set():
            gc.collect()

    def build_unless_current(self) -> None:
        """Build, unless site_dir was built from kb/ as it is now (its build manifest
        records the kb/ fingerprint it was built from; the search index beside it may
        be newer, written by `ekb search`): starting to serve a large kb must not
        rebuild it for nothing, nor serve a site older than kb/."""
        from evidencekb.kb.fingerprint import still_current
        from evidencekb.paths import BUILD_MANIFEST_NAME
        from evidencekb.reuse import built_from

        looked_at, site = time.time_ns(), self.site_dir
        try:
            digest = built_from(site)
            current = (
                (site / "index.html").is_file()
                and digest is not None
                and still_current(self.kb_dir, site / BUILD_MANIFEST_NAME, digest)
            )
        except Exception:  # kb/ cannot be read as it is: the build will say why
            current = False
        if current:
            self._read_at_ns = looked_at
            self._unread = True
        else:
            self.build()

    def _read_ahead(self) -> None:
        """Read kb/ as a build does, once, when serving began without a build (the site
        was current): the first save's rebuild then takes the topics read here and
        finds the build's modules loaded, as every later one does (0.5 s sooner on the
        large benchmark kb). What does not read is left to that build to report."""
        import evidencekb.build  # noqa: F401 (its modules: jinja2, whoosh, sqlite-utils)
        from evidencekb.kb import read_kb

        # A kb/ problem or a file that cannot be read; or Ctrl-C, before its next topic.
        with suppress(KBError, Cancelled, OSError):
            read_kb(self.kb_dir, self.remembered, self.stop)

    def run(self) -> None:
        """Watch until `stop` is set (the watcher thread's body)."""
        if self._unread:
            self._read_ahead()  # a save meanwhile is found by its time, as below
        pending = False  # kb/ changed in a way no build has seen yet
        missing = False  # that kb/ is gone has been reported
        while not self.stop.is_set():
            if not self.kb_dir.is_dir():
                if not missing:
                    gone = f"Error: {self.kb_dir} is gone; the site is built again once it is back"
                    _report(self.board, (gone,), self.say, self.site_dir, RETRY_ON_SAVE)
                missing = pending = True
                self.stop.wait(POLL_SECONDS)
                continue
            missing = False
            try:
                pending = self._watch_folder(pending)
            except Exception as error:  # the system's limit on file watches reached, say
                pending = True
                if self.stop.is_set() or not self.kb_dir.is_dir():
                    continue  # stopping, or kb/ went between the look and the watch
                failed = f"Error: watching {self.kb_dir} failed ({one_line(error)}); retrying"
                self.board.post((failed,))
                self.say(failed)
                self.stop.wait(RETRY_SECONDS)

    def _watch_folder(self, pending: bool) -> bool:
        """Build after every burst of saves in the folder now at kb_dir, and once the
        watching is set up if `pending` or kb/ was edited since the last build read
        it. Returns when that folder is no longer there (deleted, moved away,
        replaced): True, a build is pending for the one that takes its place; or
        when `stop` is set."""
        import watchfiles

        from evidencekb.kb.fingerprint import CLOCK_MARGIN_NS, touched_since

        folder, root = _identity(self.kb_dir), self.kb_dir.absolute()
        changes = watchfiles.watch(
            self.kb_dir,
            watch_filter=partial(_kb_file_changed, root),
            debounce=DEBOUNCE_MS,
            stop_event=self.stop,
            raise_interrupt=False,
            rust_timeout=int(POLL_SECONDS * 1000),
            yield_on_timeout=True,  # an empty batch now and then: time to look at kb/ itself
        )
        for number, batch in enumerate(changes):
            # A folder deleted or moved away sends a last event about itself; one made
            # again in its place may even reuse its inode number.
            if _identity(self.kb_dir) != folder or any(Path(path) == root for _, path in batch):
                return True
            if number == 0:  # the watch is set up: what it missed is older
                stamp = self._read_at_ns - CLOCK_MARGIN_NS
                pending = pending or touched_since(self.kb_dir, stamp)
            lost = self._site_lost()
            if lost:
                self.say(f"{self.site_dir}/ is gone; building it again")
            if batch or pending or lost:
                pending = False
                self.build()
        return pending

    def _site_lost(self) -> bool:
        """Whether the site the last good build left (or found current) is gone, deleted
        while served: built again within a poll, not at the next save, so that the
        open pages reload rather than stay "not found". Not after a failed build, which
        the next save tries again."""
        from evidencekb.paths import BUILD_MANIFEST_NAME

        built = not self.board.status.problems
        return built and not (self.site_dir / BUILD_MANIFEST_NAME).is_file()


def _identity(folder: Path) -> tuple[int, int] | None:
    """Which folder is at this path (device and inode), or None if none is."""
    try:
        status = folder.stat()
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


def _kb_file_changed(root: Path, change: object, path: str) -> bool:
    """Hidden files and whatever is in a hidden folder (an editor's swap file, an
    import's staging folder) and backups are not kb/; saving them must not trigger a
    build."""
    inside = Path(os.path.relpath(os.path.abspath(path), root)).parts  # its name last
    hidden = any(part.startswith(".") and part != ".." for part in inside)
    return not (hidden or Path(path).name.endswith("~"))


def with_live_script(page: bytes, generation: int) -> bytes:
    """The HTML page with the reload script before `</body>` (at the end if none),
    told which build the page came from."""
    tag = (
        f'<script src="{SCRIPT_PATH}" data-generation="{generation}" '
        f'data-worker="{WORKER_PATH}" data-events="{EVENTS_PATH}"></script>'
    ).encode()
    at = page.rfind(b"</body>")
    if at == -1:
        return page + tag
    return page[:at] + tag + b"\n" + page[at:]


def live_script(name: str = "live.js") -> bytes:
    return resources.files("evidencekb.site").joinpath(name).read_bytes()


class LiveHandler(SiteHandler):
    """The site handler, plus the reload script, the event stream, and the
    script tag added to every HTML page it sends."""

    board: BuildBoard  # set per server by `live_server`

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path in _SCRIPTS:
            self._send(live_script(_SCRIPTS[path]), "text/javascript; charset=utf-8")
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
        """The HTML file of the site this request names, if it names one."""
        target = Path(self.translate_path(self.path))
        if self.path.endswith("/"):
            target = target / "index.html"
        if target.suffix != ".html" or not self.in_site(str(target)):
            return None
        try:
            return target if target.is_file() else None
        except OSError:  # a name too long for the system: the standard reply, not found
            return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """An error page for a page asked for carries the reload script too: a tab
        left on "not found" (a topic moved away, the site folder not built yet)
        shows the page once a build makes it."""
        if self.command == "GET":
            standard = type(self).error_message_format.encode()
            page = with_live_script(standard, self.board.status.generation)
            self.error_message_format = page.decode()
        super().send_error(code, message, explain)

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
    watcher = KbWatcher(kb_dir, site_dir, board, say)
    handler = type("LiveSiteHandler", (LiveHandler,), {"board": board})
    # The port first: one in use is said before a build that may take a minute. A
    # site not built yet (kb/ has a problem) is served as it comes: pages not found,
    # each reloaded by the build that makes it.
    server = make_server(site_dir, port, say, handler)
    try:
        watcher.build_unless_current()
    except BaseException:
        server.server_close()
        raise
    threads = [
        # The server looks whether it is to shut down this often: Ctrl-C waits for it.
        threading.Thread(target=partial(server.serve_forever, SIGNAL_CHECK_SECONDS), daemon=True),
        threading.Thread(target=watcher.run, daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        watcher.stop.set()
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
            # Stopping takes a moment (a build stops before its next part, then
            # removes its staging): a second Ctrl-C must not cut that short and leave
            # the staging behind. The process still ends on SIGTERM or SIGKILL.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    say("Stopped.")  # once the watcher has ended, and a build it had begun has stopped
