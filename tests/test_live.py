"""`ekb serve` for editors: a save in kb/ rebuilds the site and the open pages hear of it.

Everything runs for real: a kb copy on disk, watchfiles watching it, `ekb build`,
and the server on a loopback port, read over http (the event stream included).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.client import HTTPResponse
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from evidencekb.build import build
from evidencekb.errors import KBError
from evidencekb.kb.fingerprint import CLOCK_MARGIN_NS
from evidencekb.live import (
    EVENTS_PATH,
    SCRIPT_PATH,
    WORKER_PATH,
    BuildBoard,
    KbWatcher,
    _kb_file_changed,
    live_serving,
    rebuild,
    with_live_script,
)
from evidencekb.paths import index_dir
from fixtures import REPO_KB, ctrl_c_works, ekb_here, folder_bytes, reword

CLAIM_WORDS = "nightmares, and laryngospasm"
EDITED_WORDS = "nightmares, and bronchospasm"
EVENT_TIMEOUT = 30  # seconds: a build plus the watcher's debounce, on a busy machine


@contextmanager
def preview(kb_dir: Path, site_dir: Path, said: list[str] | None = None) -> Iterator[str]:
    say = (lambda line: None) if said is None else said.append
    with live_serving(kb_dir, site_dir, 0, say) as url:
        yield url


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
        return body.decode("utf-8")


def next_build(events: HTTPResponse) -> dict[str, object]:
    """The next `build` event on an open event stream (keep-alive comments skipped,
    which come often enough for the deadline to be looked at)."""
    data, deadline = None, time.monotonic() + EVENT_TIMEOUT
    for raw in events:
        if time.monotonic() > deadline:
            raise AssertionError(f"no build event within {EVENT_TIMEOUT} s")
        line = raw.decode("utf-8").rstrip("\n")
        if line.startswith("data: "):
            data = json.loads(line.removeprefix("data: "))
        elif line == "" and data is not None:
            return data
    raise AssertionError("the event stream ended")


def claim_page(site_dir: Path) -> str:
    """The path of the claim page that holds CLAIM_WORDS."""
    for page in sorted((site_dir / "claims").glob("*.html")):
        if CLAIM_WORDS in page.read_text("utf-8"):
            return f"claims/{page.name}"
    raise AssertionError("no claim page holds the words")


def test_the_script_is_added_to_pages_as_they_are_sent() -> None:
    page = b"<!DOCTYPE html><title>t</title><body><p>x</p></body></html>"
    assert with_live_script(page, 7) == (
        b'<!DOCTYPE html><title>t</title><body><p>x</p><script src="/__ekb/live.js" '
        b'data-generation="7" data-worker="/__ekb/live-worker.js" '
        b'data-events="/__ekb/events"></script>\n</body></html>'
    )
    assert with_live_script(b"<p>no body</p>", 1).endswith(b'data-events="/__ekb/events"></script>')


def test_served_pages_carry_the_reload_script_and_the_built_site_never_does(
    kb_dir: Path, tmp_path: Path
) -> None:
    site_dir = tmp_path / "site"
    with preview(kb_dir, site_dir) as url:
        home = get(url + "index.html")
        folder = get(url)
        script = get(url + SCRIPT_PATH.lstrip("/"))
        worker = get(url + WORKER_PATH.lstrip("/"))
        css = get(url + "static/style.css")
    assert SCRIPT_PATH in home and SCRIPT_PATH in folder
    assert "SharedWorker" in script and "EventSource" in worker
    assert SCRIPT_PATH not in css
    built = [p for p in site_dir.rglob("*") if p.is_file() and b"__ekb" in p.read_bytes()]
    assert built == []


def test_a_fresh_site_is_served_without_building_again(kb_dir: Path, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    build(kb_dir, site_dir)
    before = (site_dir / "index.html").stat().st_ino
    with preview(kb_dir, site_dir) as url:
        assert "ketamine" in get(url + "index.html").lower()
    assert (site_dir / "index.html").stat().st_ino == before


def _watching(watcher: KbWatcher, until: Callable[[], bool]) -> None:
    """Run the watcher in its thread until `until()` holds (or EVENT_TIMEOUT), then stop it."""
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + EVENT_TIMEOUT
        while not until() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stop.set()
        thread.join(timeout=EVENT_TIMEOUT)


def test_serving_a_fresh_site_reads_kb_ahead_and_builds_a_save_made_meanwhile(
    kb_dir: Path, tmp_path: Path
) -> None:
    """Serving a site built from kb/ as it is, the watcher reads kb/ once before it
    watches, building nothing, so that the first save's rebuild takes its topics as
    every later one does; a save made before the watching begins (as while it reads)
    is built all the same."""
    site_dir = tmp_path / "site"
    build(kb_dir, site_dir)
    page = claim_page(site_dir)
    # kb/'s files older than the watcher's margin: nothing to build when it starts.
    time.sleep(CLOCK_MARGIN_NS / 1e9)
    board = BuildBoard()
    watcher = KbWatcher(kb_dir, site_dir, board, lambda line: None)
    watcher.build_unless_current()
    _watching(watcher, lambda: len(watcher.remembered) > 0)
    assert len(watcher.remembered) == 1  # the kb's one topic, read ahead
    assert board.status.generation == 0  # and nothing built

    board = BuildBoard()
    watcher = KbWatcher(kb_dir, site_dir, board, lambda line: None)
    watcher.build_unless_current()
    reword(kb_dir, CLAIM_WORDS, EDITED_WORDS)  # saved before the watching begins
    _watching(watcher, lambda: board.status.generation > 0)
    assert board.status.generation > 0 and board.status.problems == ()
    assert EDITED_WORDS in (site_dir / page).read_text("utf-8")


def test_a_site_older_than_kb_is_built_again_though_its_index_is_current(
    kb_dir: Path, tmp_path: Path
) -> None:
    # `ekb search` after an edit writes the index beside the site anew and leaves the
    # site as it was: serving must go by the site's own record of kb/, not the index's.
    site_dir = tmp_path / "site"
    build(kb_dir, site_dir)
    reword(kb_dir, CLAIM_WORDS, EDITED_WORDS)
    page = claim_page(site_dir)
    args = ["search", "bronchospasm", "--kb", str(kb_dir), "--site-dir", str(site_dir)]
    searched = ekb_here(*args)
    assert searched.exit_code == 0 and "bronchospasm" in searched.output, searched.output
    assert CLAIM_WORDS in (site_dir / page).read_text("utf-8")  # the site as it was
    with preview(kb_dir, site_dir) as url:
        assert EDITED_WORDS in get(url + page)


def test_a_save_rebuilds_and_a_broken_kb_keeps_the_last_good_site(
    kb_dir: Path, tmp_path: Path
) -> None:
    site_dir = tmp_path / "site"
    with (
        preview(kb_dir, site_dir) as url,
        urllib.request.urlopen(url + EVENTS_PATH.lstrip("/"), timeout=EVENT_TIMEOUT) as events,
    ):
        first = next_build(events)
        page = claim_page(site_dir)

        reword(kb_dir, CLAIM_WORDS, EDITED_WORDS)
        edited = next_build(events)
        assert edited["problems"] == []
        assert edited["generation"] != first["generation"]
        assert EDITED_WORDS in get(url + page)

        claims = kb_dir / "topics" / "ketamine-pain" / "claims.toml"
        good = claims.read_text("utf-8")
        claims.write_text(good.replace('section = "research"', 'section = "opinion"', 1), "utf-8")
        broken = next_build(events)
        problems = broken["problems"]
        assert isinstance(problems, list)
        assert any(re.search(r"claims\.toml:\d+: .*opinion", line) for line in problems)
        assert EDITED_WORDS in get(url + page)  # the last good site

        claims.write_text(good, "utf-8")
        assert next_build(events)["problems"] == []


def test_a_site_deleted_while_served_is_built_again(kb_dir: Path, tmp_path: Path) -> None:
    """Deleted while served (a clean-up, `git clean`), the site is built again within
    a poll, and the open pages reload: before, they were "not found" until a save."""
    site_dir = tmp_path / "site"
    # kb/ older than the clock's margin, and its site current: nothing is built when
    # the watching starts, so the one build is the one the deletion makes.
    time.sleep(CLOCK_MARGIN_NS / 1e9)
    build(kb_dir, site_dir)
    said: list[str] = []
    with (
        preview(kb_dir, site_dir, said) as url,
        urllib.request.urlopen(url + EVENTS_PATH.lstrip("/"), timeout=EVENT_TIMEOUT) as events,
    ):
        first = next_build(events)
        page = claim_page(site_dir)
        shutil.rmtree(site_dir)
        rebuilt = next_build(events)
        assert rebuilt["problems"] == []
        assert rebuilt["generation"] != first["generation"]
        assert CLAIM_WORDS in get(url + page)
    assert f"{site_dir}/ is gone; building it again" in said


def test_ekb_serve_needs_a_kb_folder_to_watch(tmp_path: Path) -> None:
    result = ekb_here("serve", "--kb", str(tmp_path / "none"), "--site-dir", str(tmp_path / "site"))
    assert result.exit_code == 1
    assert (
        result.output == f"Error: no knowledge base folder at {tmp_path / 'none'} (use --kb DIR)\n"
    )


def test_ekb_serve_watches_and_stops_cleanly_on_ctrl_c(kb_dir: Path, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    command = [sys.executable, "-m", "evidencekb", "serve", "--kb", str(kb_dir)]
    command += ["--site-dir", str(site_dir), "--port", "0"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c_works)
    try:
        assert process.stderr is not None
        lines = [process.stderr.readline(), process.stderr.readline()]
        banner = next((line for line in lines if "Serving" in line), "")
        match = re.search(r"at (http://127\.0\.0\.1:\d+/) and rebuilding on changes in", banner)
        assert match, lines
        assert SCRIPT_PATH in get(match.group(1) + "index.html")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, rest = process.communicate(timeout=30)
        finally:
            process.kill()  # only if Ctrl-C did not stop it: leave no server behind
    assert process.returncode == 0
    assert rest.strip().endswith("Stopped.")
    assert "Traceback" not in rest


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_during_a_rebuild_stops_it_and_leaves_the_site_as_it_was(
    kb_dir: Path, tmp_path: Path, presses: int
) -> None:
    """Ctrl-C at a terminal reaches the whole process group, the build's workers too:
    the rebuild under way stops before its next task, removes its staging folders,
    and `ekb serve` ends at once, quietly, with the last good site as it was. A
    second press while it stops (an impatient user) used to end it at once with
    "Error: interrupted", its staging folders left beside the site."""
    site_dir = tmp_path / "site"
    build(kb_dir, site_dir)
    before = folder_bytes(site_dir)
    command = [sys.executable, "-m", "evidencekb", "serve", "--kb", str(kb_dir)]
    command += ["--site-dir", str(site_dir), "--port", "0"]
    process = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_works,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )
    try:
        assert process.stderr is not None
        assert "Serving" in process.stderr.readline()  # the site is current: no build
        reword(kb_dir, CLAIM_WORDS, EDITED_WORDS)
        deadline = time.monotonic() + EVENT_TIMEOUT
        while not list(tmp_path.glob(".site.tmp-*")):  # the rebuild has begun
            assert time.monotonic() < deadline, "no rebuild began after the save"
            time.sleep(0.001)
        os.killpg(process.pid, signal.SIGINT)
        stopped_at = time.monotonic()
        for _ in range(presses - 1):
            time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
        _, rest = process.communicate(timeout=30)
        took = time.monotonic() - stopped_at
    finally:
        process.kill()  # only if Ctrl-C did not stop it: leave no server behind
    assert (process.returncode, rest.strip().splitlines()) == (0, ["Stopped."])
    assert took < 5, took  # not held until the rebuild is done (nor 10 s more)
    assert folder_bytes(site_dir) == before
    index = index_dir(site_dir).name
    beside = {path.name for path in tmp_path.iterdir()}
    assert beside == {"kb", "site", ".site.lock", index, f".{index}.lock"}


def test_the_live_server_refuses_nul_paths_and_lists_no_folder(
    kb_dir: Path, tmp_path: Path
) -> None:
    with preview(kb_dir, tmp_path / "site") as url:
        for path, status in (
            ("claims/..%00/x", 400),
            ("whoosh/", 404),
            ("claims/", 404),
            ("a" * 300 + ".html", 404),  # no name the system takes: had no reply
            ("%ed%a0%80.html", 404),
        ):
            with pytest.raises(urllib.error.HTTPError) as refused:
                get(url + path)
            refused.value.close()
            assert refused.value.code == status, path


def one_line_each(problems: object) -> list[str]:
    assert isinstance(problems, list) and problems
    assert all(isinstance(line, str) and "\n" not in line for line in problems)
    assert problems[-1].startswith("Error: ")
    return problems


def test_a_build_that_fails_unforeseen_is_reported_in_one_line(
    kb_dir: Path, tmp_path: Path
) -> None:
    """Not a kb/ problem but a failure no check foresaw: posted, said, never raised."""
    board, said = BuildBoard(), []
    rebuild(kb_dir, tmp_path / "si\0te", board, said.append)  # the OS refuses the name
    problems = board.status.problems
    assert len(problems) == 1 and "\n" not in problems[0]
    assert problems[0].startswith("Error: ") and "null byte" in problems[0]
    # Not kb/'s fault, and nothing built yet: said as it is (before: "The last good
    # site is still being served; fix kb/ and save again.").
    assert said == [
        *problems,
        "There is no built site to serve yet; the build is tried again on the next save in kb/.",
    ]
    rebuild(kb_dir, tmp_path / "site", board, said.append)
    assert board.status.problems == ()


def test_a_kb_problem_after_a_good_build_points_at_kb(kb_dir: Path, tmp_path: Path) -> None:
    board, said = BuildBoard(), []
    rebuild(kb_dir, tmp_path / "site", board, said.append)
    claims = kb_dir / "topics" / "ketamine-pain" / "claims.toml"
    good = claims.read_text("utf-8")
    claims.write_text(good + "\n[[claim]]\n", encoding="utf-8")
    rebuild(kb_dir, tmp_path / "site", board, said.append)
    assert said[-1] == "The last good site is still being served; fix kb/ and save again."
    claims.write_text(good, encoding="utf-8")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine", encoding="utf-8")
    rebuild(kb_dir, tmp_path / "notes", board, said.append)  # a folder the build refuses
    assert said[-2].startswith("Error: refusing to replace")
    assert said[-1] == (
        "There is no built site to serve yet; the build is tried again on the next save in kb/."
    )


def test_the_watcher_outlives_any_failed_build(
    kb_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    site_dir = tmp_path / "site"
    said: list[str] = []
    references = kb_dir / "topics" / "ketamine-pain" / "references.toml"
    good = references.read_text("utf-8")
    huge = good.replace("number = 6\n", "number = 6\nyear = " + "9" * 5000 + "\n", 1)
    with (
        preview(kb_dir, site_dir, said) as url,
        urllib.request.urlopen(url + EVENTS_PATH.lstrip("/"), timeout=EVENT_TIMEOUT) as events,
    ):
        next_build(events)
        page = claim_page(site_dir)
        references.write_text(huge, "utf-8")  # past Python's 4,300-digit conversion limit
        one_line_each(next_build(events)["problems"])
        references.write_text(good, "utf-8")
        reword(kb_dir, CLAIM_WORDS, EDITED_WORDS)
        assert next_build(events)["problems"] == []
        assert EDITED_WORDS in get(url + page)
    assert all("\n" not in line and "Traceback" not in line for line in said)
    assert "Traceback" not in capfd.readouterr().err


def test_a_kb_folder_deleted_or_replaced_is_watched_anew(kb_dir: Path, tmp_path: Path) -> None:
    """As `rm -r kb && cp -r ...`, `git checkout` of a folder, or rsync into place do."""
    site_dir = tmp_path / "site"
    with (
        preview(kb_dir, site_dir) as url,
        urllib.request.urlopen(url + EVENTS_PATH.lstrip("/"), timeout=EVENT_TIMEOUT) as events,
    ):
        next_build(events)
        page = claim_page(site_dir)

        shutil.rmtree(kb_dir)
        gone = one_line_each(next_build(events)["problems"])
        assert str(kb_dir) in gone[-1] and "gone" in gone[-1]
        assert CLAIM_WORDS in get(url + page)  # the last good site
        shutil.copytree(REPO_KB, kb_dir)
        reword(kb_dir, CLAIM_WORDS, EDITED_WORDS)
        assert next_build(events)["problems"] == []
        assert EDITED_WORDS in get(url + page)

        # Another folder moved into its place, at once: never reported missing.
        staged = tmp_path / "kb.new"
        shutil.copytree(REPO_KB, staged)
        kb_dir.rename(tmp_path / "kb.old")
        staged.rename(kb_dir)
        assert next_build(events)["problems"] == []
        assert CLAIM_WORDS in get(url + page)

        reword(kb_dir, CLAIM_WORDS, EDITED_WORDS)  # the new folder is the one watched
        assert next_build(events)["problems"] == []
        assert EDITED_WORDS in get(url + page)
        reword(tmp_path / "kb.old", EDITED_WORDS, CLAIM_WORDS)  # the old one is not
        assert EDITED_WORDS in get(url + page)


def test_a_page_elsewhere_cannot_read_the_preview_or_its_events(
    kb_dir: Path, tmp_path: Path
) -> None:
    """DNS rebinding: attacker.example, pointed at 127.0.0.1, asks with its own name."""
    with preview(kb_dir, tmp_path / "site") as url:
        address = urlsplit(url)
        for path in (EVENTS_PATH, "/index.html", SCRIPT_PATH):
            for host, status in ((f"attacker.example:{address.port}", 421), ("localhost", 200)):
                connection = http.client.HTTPConnection("127.0.0.1", address.port, timeout=10)
                try:
                    connection.request("GET", path, headers={"Host": host})
                    response = connection.getresponse()
                    assert response.status == status, (path, host)
                finally:
                    connection.close()


def test_a_kb_with_a_problem_and_no_site_yet_is_served_until_fixed(
    kb_dir: Path, tmp_path: Path
) -> None:
    """`ekb serve` said "There is no built site to serve yet; fix kb/ and save again."
    and then ended with an error. It serves on: a page not found carries the reload
    script, and the fix builds the site."""
    claims = kb_dir / "topics" / "ketamine-pain" / "claims.toml"
    good = claims.read_text("utf-8")
    claims.write_text(good + "\n[[claim]]\n", encoding="utf-8")
    site_dir = tmp_path / "site"
    with preview(kb_dir, site_dir) as url:
        with pytest.raises(urllib.error.HTTPError) as missing:
            get(url)
        assert missing.value.code == 404
        assert SCRIPT_PATH in missing.value.read().decode("utf-8")
        missing.value.close()
        with urllib.request.urlopen(url + EVENTS_PATH.lstrip("/"), timeout=10) as events:
            assert next_build(events)["problems"]
            claims.write_text(good, encoding="utf-8")
            assert next_build(events)["problems"] == []
        assert SCRIPT_PATH in get(url)


def test_a_port_in_use_is_said_before_any_build(kb_dir: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(KBError, match=f"port {port} on 127.0.0.1 is already in use"),
            live_serving(kb_dir, tmp_path / "site", port, lambda line: None),
        ):
            pass
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    ("path", "builds"),
    [
        ("topics/ketamine-pain/claims.toml", True),
        ("topics/.ketamine-pain.tmp-12.34-abcd/claims.toml", False),  # an import's staging
        ("topics/ketamine-pain/.claims.toml.swp", False),
        ("topics/ketamine-pain/claims.toml~", False),
    ],
)
def test_only_kb_files_trigger_a_build(kb_dir: Path, path: str, builds: bool) -> None:
    assert _kb_file_changed(kb_dir.absolute(), None, str(kb_dir / path)) is builds
