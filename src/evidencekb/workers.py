"""Run independent tasks on every core this process may use, in forked child processes.

A build's parts are independent once kb/ is loaded (each writes its own files), so
`ekb build` hands them to `run_parts`, which groups them into tasks for `run_shared`
(as the loader does the kb/ files it parses ahead, kb/parsecache.py): this process
and one forked child per other core each take the next task that nobody has taken,
until none is left (for a build that `ekb serve` may stop, a child per core, and this
process waits: `run_shared`). Which process runs which task depends on timing, but what each
task writes does not: the output stays byte-for-byte what one process would write.
The children are forked, so they start with the loaded knowledge base as it is in
memory (nothing is pickled or read again); only each task's result comes back,
pickled.

Where fork is unavailable, or on one core, the tasks run one after the other.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from evidencekb.errors import KBError, stop_if_set
from evidencekb.progress import Progress, no_progress
from evidencekb.reuse import Done, Earlier, Part

T = TypeVar("T")

# A build's parts are grouped into about this many tasks per process: few enough that
# a run of small parts (pages) is written by one process, which renders what they
# share once; enough that the processes end close together.
TASKS_PER_WORKER = 8
# The signals the command line turns into an unwinding (cli.py): a child of a build
# leaves them to the parent, which stops it (SIGTERM) as it unwinds.
_PARENTS_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM, signal.SIGHUP})


def worker_count() -> int:
    """The cores this process may run on (its CPU affinity, where the system says)."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13
        return max(os.process_cpu_count() or 1, 1)
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


def run_parts(
    parts: Sequence[Part],
    earlier: Earlier,
    out: Path,
    progress: Progress = no_progress,
    stop: threading.Event | None = None,
) -> Done:
    """Keep from `earlier` or write into `out` every one of `parts`, on every core,
    reporting how many are done; return what each part written returned and every
    part's key, by name (a key found where its part ran: Part.find_key). With `stop`,
    the parts are written in children only, which are stopped once it is set, and
    this process raises Cancelled (`run_shared`)."""
    done = multiprocessing.Value("q", 0)  # shared memory: parts done in every process

    def keep_or_write(run: tuple[Part, ...]) -> Done:
        outcome = earlier.keep_or_write(run, out, stop)
        with done.get_lock():
            done.value += len(run)
            count = done.value
        progress("parts", count, len(parts))
        return outcome

    tasks = [partial(keep_or_write, run) for run in _runs(parts, worker_count())]
    return Done.merged(run_shared(tasks, stop))


def _runs(parts: Sequence[Part], workers: int) -> list[tuple[Part, ...]]:
    """The parts, largest first (the order given among equals), in runs of neighbours
    of about an equal share of the work each, and of no more than an equal share of
    the parts: a large part is a run of its own, and small parts that may cost more
    than guessed (a page expected to be kept, found changed) are spread out."""
    ordered = sorted(parts, key=lambda part: -part.cost)
    tasks = workers * TASKS_PER_WORKER
    share = sum(part.cost for part in ordered) / tasks
    most = math.ceil(len(ordered) / tasks)
    runs: list[tuple[Part, ...]] = []
    current: list[Part] = []
    cost = 0.0
    for part in ordered:
        current.append(part)
        cost += part.cost
        if cost >= share or len(current) >= most:
            runs.append(tuple(current))
            current, cost = [], 0.0
    if current:
        runs.append(tuple(current))
    return runs


def run_shared(tasks: Sequence[Callable[[], T]], stop: threading.Event | None = None) -> list[T]:
    """Run `tasks` on every core, each task once, taken in the order given (so put first
    what must start soonest); return their results in that order. A failure in any
    process is raised here (this process's own first); if this process fails, the
    children are stopped.

    With `stop` (`ekb serve`, whose build runs in a thread of its own), every task runs
    in a child, one per core, and this process only waits: once `stop` is set (by
    another thread), it stops the children and raises Cancelled at once, whatever task
    is under way. A task this process ran itself could not be stopped before it ended
    (an index segment: seconds), and a child forked before `stop` was set never sees
    it set."""
    workers = min(worker_count(), len(tasks))
    stoppable = stop is not None
    if not hasattr(os, "fork") or (workers < 2 and not stoppable):
        return [task() for task in tasks]
    # Frozen, what is alive now is not written to in the children by the collector,
    # which would copy its pages (as the gc module's documentation advises before a fork).
    with frozen_heap():
        return _run_forked(tasks, workers if stoppable else workers - 1, stop)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic garbage collector paused: for a block that makes
    objects by the hundred thousand or the million, none in a cycle (kb/ read into the
    model; a large build's parts as the stages offer them). The collector would walk
    them all again and again as they are made (a sixth of a check of the benchmark kb;
    1.3 s of the 2.1 s its site's parts took to offer). It runs again, as before, after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def made_to_last(scope: ExitStack) -> Iterator[None]:
    """Run the block with the collector paused (`collector_paused`), then freeze what
    is alive for the rest of `scope` (a `frozen_heap` entered into it) before the
    collector resumes: for a block whose millions of objects live on after it (kb/
    read into the model, a build's parts). Resumed first, the collector would trace
    them all once more at its next pass, which holds up the build: 0.16 s after the
    large kb is read, 0.08 s after its parts are offered."""
    with collector_paused():
        yield
        scope.enter_context(frozen_heap())


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Run the block with what is alive now (a loaded kb: millions of objects, which
    lives as long as the block) frozen: the garbage collector no longer traces it at
    each full collection while the block makes its own objects (a large build's parts
    and pages by the hundred thousand). Inside another frozen block, it leaves the
    unfreezing to that one."""
    outer = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not outer:
            gc.unfreeze()


def _run_forked(
    tasks: Sequence[Callable[[], T]], children: int, stop: threading.Event | None
) -> list[T]:
    context = multiprocessing.get_context("fork")
    taken = context.Value("i", 0)  # shared memory: how many tasks have been taken
    started: list[tuple[Any, Connection]] = []
    for _ in range(children):
        receiver, sender = context.Pipe(duplex=False)
        # The receiving ends the child is forked with: its own, and its elder siblings'.
        inherited = [receiver, *(r for _, r in started)]
        # fork: the child runs the tasks as they are in memory; nothing is pickled.
        args = (tasks, taken, sender, inherited, os.getpid())
        child = context.Process(target=_child_main, args=args, daemon=True)
        with _signals_held():
            child.start()
        sender.close()  # the child holds its own copy; EOF then means the child is gone
        started.append((child, receiver))
    try:
        results = {} if stop is not None else _run_untaken(tasks, taken)
        _await_reports(started, stop)
    except BaseException:
        for child, _ in started:
            child.terminate()
        for child, _ in started:
            child.join()
        raise
    failure: BaseException | None = None
    for child, receiver in started:
        outcome = _outcome(child, receiver)
        if isinstance(outcome, BaseException):
            failure = failure or outcome
        else:
            results.update(outcome)
    if failure is not None:
        raise failure
    return [results[number] for number in range(len(tasks))]


@contextmanager
def _signals_held() -> Iterator[None]:
    """Run the block (a fork) with the signals the command line handles held back in
    this thread, and so in the child it forks until `_child_main` has set its own
    handlers: one that came first would run the command line's handler, inherited,
    in the middle of the child's start (a traceback on the terminal)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _PARENTS_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


# How often a process waiting for its children's reports looks at its stop event.
_STOP_POLL_SECONDS = 0.05


def _await_reports(started: list[tuple[Any, Connection]], stop: threading.Event | None) -> None:
    """Wait until every child has reported (or died); once `stop` is set, raise
    Cancelled (its caller stops the children) rather than wait for their tasks to end:
    `ekb serve` stopped while a child writes the database must not wait for it."""
    if stop is None:
        return
    for _, receiver in started:
        while not receiver.poll(_STOP_POLL_SECONDS):
            stop_if_set(stop)


def _outcome(child: Any, receiver: Connection) -> Any:
    """What a child reports once its tasks are done: its results, or its failure."""
    try:
        failed, outcome = receiver.recv()
    except EOFError:  # the child died before it could say how it went
        failed, outcome = True, None
    child.join()
    receiver.close()
    if failed:
        code = child.exitcode
        return outcome or KBError(f"a worker process stopped unexpectedly (exit code {code})")
    return outcome


def _run_untaken(
    tasks: Sequence[Callable[[], T]], taken: Any, parent: int | None = None
) -> dict[int, T]:
    """Run the tasks this process takes, each as it is ready for one; their results.
    `parent`: in a child, the process it reports to, whose end ends its work."""
    return {number: tasks[number]() for number in _untaken(taken, len(tasks), parent)}


def _untaken(taken: Any, count: int, parent: int | None = None) -> Iterator[int]:
    """The numbers of the tasks this process takes, each as it is ready for one."""
    while True:
        if parent is not None and os.getppid() != parent:
            raise _Orphaned  # killed (SIGKILL, the OOM killer): nobody awaits the rest
        with taken.get_lock():
            number = taken.value
            taken.value = number + 1
        if number >= count:
            return
        yield number


class _Orphaned(Exception):
    """The parent is gone: a child stops taking tasks."""


def _child_main(
    tasks: Sequence[Callable[[], object]],
    taken: Any,
    sender: Connection,
    inherited: Sequence[Connection],
    parent: int,
) -> None:
    # The parent stops its children only once it has failed, and cleans up after them:
    # a child then ends at once and quietly, never through a handler inherited from the
    # command line, which would raise in the middle of the child's own report.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Ctrl-C or a hang-up at a terminal reaches the whole process group: the parent,
    # which stops its children as it unwinds (or once `ekb serve` cancels its build).
    # A child that raised it too would report an interruption to a parent in the
    # middle of stopping, or to `ekb serve`'s watcher thread, as a build's failure.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # Held since the fork (`_signals_held`); one that came since is delivered now.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _PARENTS_SIGNALS)
    # A receiving end left open here would let a report larger than the pipe holds
    # wait forever for a parent that was killed, holding the build's locks (the child
    # inherits them); closed, the report fails and the child ends.
    for receiver in inherited:
        receiver.close()
    try:
        results = _run_untaken(tasks, taken, parent)
    except _Orphaned:
        return
    except BaseException as error:  # reported to the parent, which raises it
        _report(sender, (True, _picklable(error)))
    else:
        _report(sender, (False, results))
    finally:
        sender.close()


def _report(sender: Connection, outcome: tuple[bool, object]) -> None:
    with suppress(BrokenPipeError):  # the parent is gone: nobody to tell
        sender.send(outcome)


def _picklable(error: BaseException) -> BaseException:
    """`error` if it survives pickling as itself, else a KBError with its message."""
    try:
        copy = pickle.loads(pickle.dumps(error))
    except Exception:
        return KBError(str(error))
    return error if type(copy) is type(error) and str(copy) == str(error) else KBError(str(error))
