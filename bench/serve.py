"""`ekb serve` on a large knowledge base: from a saved edit to the open page's reload.

What an editor waits for: `ekb serve` runs (its site built before), a page holds the
server's event stream open as the browser's live-reload script does, one claim is
edited (bench/scale.py's `edit_one_claim`: its text gains a word, in claims.toml and
in source.txt; the first claim of the first topic, or of --edit-topic's), and the
time is taken from the save to the `build` event that makes the page reload: the
watcher's wait for more saves (live.DEBOUNCE_MS) and the rebuild. The page is then
fetched and must show the edit. The browser's own reload (one page of a few kilobytes
from 127.0.0.1) is not included. The rebuild goes on after the reload where the code
writes the rest of the site and the search index after the pages (`build`'s
`on_site`): the time until the index is written too is the second figure, and the
next edit waits for it.

With `--stop-after SECONDS`, each side then takes one more edit and, that many seconds
after the page's reload (the rest of the site and the search index being written),
Ctrl-C (SIGINT): the time until `ekb serve` has ended is the third figure, and
whether the rebuild was still under way when it came.

With `--baseline SRC`, the earlier code (a `src` folder, e.g. from `git archive`) is
measured in the same run: each round edits both sides' copies of the kb in turn.
The kb is copied into a scratch folder, with the cache folder ($XDG_CACHE_HOME) beside
it. Prints a Markdown report on standard output.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from evidencekb.live import EVENTS_PATH
from evidencekb.paths import TOPICS_DIR, index_dir
from evidencekb.reuse import built_from
from evidencekb.search.index import read_meta
from scale import (
    REPO_ROOT,
    Side,
    add_side_options,
    check_side_options,
    edit_one_claim,
    make_side,
)
from search_speed import machine

AIM_SECONDS = 3.0
START_TIMEOUT = 600.0  # seconds: `ekb serve` builds first if its site is not current
EVENT_TIMEOUT = 300.0


@dataclass
class Served:
    """One side's `ekb serve` process, its kb, and the event stream a page holds open."""

    side: Side
    kb: Path
    process: subprocess.Popen[bytes]
    port: int
    events: http.client.HTTPResponse | None = None
    latencies: list[float] = field(default_factory=list)
    rebuilds: list[float] = field(default_factory=list)  # until the index is written too
    stops: list[tuple[float, bool]] = field(default_factory=list)  # Ctrl-C to the end; mid-build


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(side: Side, kb_source: Path, scratch: Path) -> Served:
    """Copy the kb, build its site, start `ekb serve` on it and open its event stream."""
    kb = scratch / f"kb-{side.name}"
    shutil.copytree(kb_source, kb)
    command = [sys.executable, "-m", "evidencekb"]
    site = ["--kb", str(kb), "--site-dir", str(side.site)]
    subprocess.run([*command, "build", "-q", *site], env=side.env, check=True)
    port = free_port()
    process = subprocess.Popen(
        [*command, "serve", *site, "--port", str(port)],
        env=side.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Ctrl-C as at a terminal, even where this script's shell ignores it (a job in
        # the background), which the child would inherit.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    served = Served(side, kb, process, port)
    deadline = time.monotonic() + START_TIMEOUT
    while served.events is None:
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"Error: `ekb serve` ({side.name}) did not start")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=EVENT_TIMEOUT)
            connection.request("GET", EVENTS_PATH)
            served.events = connection.getresponse()
        except OSError:
            time.sleep(0.2)
    next_build(served)  # the stream starts with the current status
    return served


def next_build(served: Served) -> dict[str, object]:
    """The next `build` event on the side's event stream (keep-alive comments skipped)."""
    assert served.events is not None
    data: dict[str, object] | None = None
    for raw in served.events:
        line = raw.decode("utf-8").rstrip("\n")
        if line.startswith("data: "):
            data = json.loads(line.removeprefix("data: "))
        elif line == "" and data is not None:
            return data
    sys.exit(f"Error: the event stream of `ekb serve` ({served.side.name}) ended")


def one_edit(served: Served, round_number: int, topic_slug: str | None) -> None:
    """Save one edit (to the first claim of `topic_slug`, or of the first topic); time
    it until the build event; check the page shows it."""
    time.sleep(1.0)  # nothing pending: the watcher has settled since the last build
    started = time.perf_counter()
    edit_one_claim(served.kb, round_number, topic_slug)
    status = next_build(served)
    served.latencies.append(time.perf_counter() - started)
    if status.get("problems"):
        sys.exit(f"Error: the build after the edit failed: {status['problems']}")
    topic = topic_slug or sorted((served.kb / TOPICS_DIR).iterdir())[0].name
    listing = served.side.site / "topics" / topic / "index.html"
    if f"edit{round_number} " not in listing.read_text("utf-8"):
        sys.exit(f"Error: the site ({served.side.name}) does not show the edit")
    # The rebuild may go on after the reload (the rest of the site, then the search
    # index): the next edit, of either side, waits for it to end, so that no build
    # runs beside another's timed one. Until the site is whole again its manifest
    # names no kb/ ("").
    while _index_behind(served):
        if time.perf_counter() - started > EVENT_TIMEOUT:
            sys.exit(f"Error: the search index ({served.side.name}) was not rebuilt")
        time.sleep(0.05)
    served.rebuilds.append(time.perf_counter() - started)


def stopped_while_writing(
    served: Served, round_number: int, topic_slug: str | None, delay: float
) -> None:
    """Save one more edit; `delay` seconds after the page's reload, Ctrl-C: record the
    time until `ekb serve` has ended, and whether the rebuild was still under way (the
    index not yet written from the edited kb/)."""
    time.sleep(1.0)
    edit_one_claim(served.kb, round_number, topic_slug)
    next_build(served)
    time.sleep(delay)
    under_way = _index_behind(served)
    started = time.perf_counter()
    served.process.send_signal(signal.SIGINT)
    served.process.wait(timeout=EVENT_TIMEOUT)
    served.stops.append((time.perf_counter() - started, under_way))


def _index_behind(served: Served) -> bool:
    """Whether the site's rebuild has not yet written the search index from kb/ as the
    site was built from it."""
    meta = read_meta(index_dir(served.side.site))
    site_digest = built_from(served.side.site)
    return not site_digest or meta is None or meta.fingerprint != site_digest


def stop(served: Served) -> None:
    if served.process.poll() is not None:
        return
    served.process.terminate()
    try:
        served.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        served.process.kill()


def cell(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    return (
        f"**{statistics.median(ordered):.1f} s** ({ordered[0]:.1f} to {ordered[-1]:.1f}), "
        f"{len(ordered)} edits"
    )


def _stops(stops: list[tuple[float, bool]]) -> str:
    if not stops:
        return "not measured"
    return ", ".join(
        f"{took:.2f} s" + ("" if under_way else " (rebuild over)") for took, under_way in stops
    )


def report(kb: Path, sides: list[Served], load: tuple[float, float]) -> str:
    lines = [
        "# `ekb serve`: a saved edit to the page's reload (`bench/serve.py`)",
        "",
        f"Knowledge base: `{kb}`.",
        "",
        *machine(),
        f"- load average (1 min) at the end: {load[1]:.2f} (at the start: {load[0]:.2f})",
        "",
        "| code | save to reload: median (min to max) | aim | save to the index written too "
        "| Ctrl-C during the rest: to the end |",
        "|---|---:|---|---:|---:|",
    ]
    for served in sides:
        verdict = "met" if statistics.median(served.latencies) <= AIM_SECONDS else "not met"
        lines.append(
            f"| {served.side.name} | {cell(served.latencies)} | {AIM_SECONDS:.0f} s: {verdict} "
            f"| {cell(served.rebuilds)} | {_stops(served.stops)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_side_options(parser)
    parser.add_argument("--edits", type=int, default=5, help="edits timed on each side")
    parser.add_argument(
        "--edit-topic", help="the topic whose first claim is edited (default: the first)"
    )
    parser.add_argument(
        "--stop-after",
        type=float,
        help="then Ctrl-C this many seconds after one more edit's reload, and time the stop",
    )
    args = parser.parse_args()
    check_side_options(args)
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ekb-serve-", dir=REPO_ROOT / "bench" / "out") as tmp:
        scratch = Path(tmp)
        sides = [make_side("now", scratch, args.src, args.edits, 0)]
        if args.baseline is not None:
            sides.append(make_side("before", scratch, args.baseline, args.edits, 0))
        served: list[Served] = []
        try:
            for side in sides:
                served.append(start(side, args.kb, scratch))
            for round_number in range(args.edits):
                for one in served:
                    one_edit(one, round_number, args.edit_topic)
            if args.stop_after is not None:
                for one in served:
                    stopped_while_writing(one, args.edits, args.edit_topic, args.stop_after)
        finally:
            for one in served:
                stop(one)
    print(report(args.kb, served, (load_at_start, os.getloadavg()[0])))


if __name__ == "__main__":
    main()
