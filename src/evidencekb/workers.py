"""Run independent tasks on two cores, one of them in a forked child process.

A build's parts are independent once kb/ is loaded (each writes its own files), so
`ekb build` hands them as a list of tasks to `run_shared` (as the loader does the
kb/ files it parses ahead, kb/parsecache.py): this process and a child
each take the next task that nobody has taken, until none is left. Which process
runs which task depends on timing, but what each task writes does not: the output
stays byte-for-byte what one process would write. The child is forked, so it starts
with the loaded knowledge base as it is in memory (nothing is pickled or read again);
only each task's result (a few keys) comes back, pickled.

Where fork is unavailable, the tasks run one after the other.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from evidencekb.errors import KBError

T = TypeVar("T")


def run_shared(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Run `tasks` on two cores, each task once, taken in the order given (so put first
    what must start soonest); return their results in that order. A failure in either process is
    raised here (this process's own first); if this process fails, the child is
    stopped."""
    if not hasattr(os, "fork") or len(tasks) < 2:
        return [task() for task in tasks]
    # What is alive now (the loaded kb: millions of objects) lives until the tasks are
    # done. Frozen, the garbage collector no longer traces it at each full collection,
    # in either process, nor writes to its pages in the child, which would copy them
    # (as the gc module's documentation advises before a fork).
    gc.freeze()
    try:
        return _run_forked(tasks)
    finally:
        gc.unfreeze()


def _run_forked(tasks: Sequence[Callable[[], T]]) -> list[T]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    taken = context.Value("i", 0)  # shared memory: how many tasks have been taken
    # fork: the child runs the tasks as they are in memory; nothing is pickled.
    child = context.Process(target=_child_main, args=(tasks, taken, sender), daemon=True)
    child.start()
    sender.close()  # the child holds its own copy; EOF then means the child is gone
    try:
        results = _run_untaken(tasks, taken)
    except BaseException:
        child.terminate()
        child.join()
        raise
    try:
        failed, outcome = receiver.recv()
    except EOFError:  # the child died before it could say how it went
        failed, outcome = True, None
    child.join()
    receiver.close()
    if failed:
        code = child.exitcode
        raise outcome or KBError(f"a worker process stopped unexpectedly (exit code {code})")
    results.update(outcome)
    return [results[number] for number in range(len(tasks))]


def _run_untaken(tasks: Sequence[Callable[[], T]], taken: Any) -> dict[int, T]:
    """Run the tasks this process takes, each as it is ready for one; their results."""
    return {number: tasks[number]() for number in _untaken(taken, len(tasks))}


def _untaken(taken: Any, count: int) -> Iterator[int]:
    """The numbers of the tasks this process takes, each as it is ready for one."""
    while True:
        with taken.get_lock():
            number = taken.value
            taken.value = number + 1
        if number >= count:
            return
        yield number


def _child_main(tasks: Sequence[Callable[[], object]], taken: Any, sender: Connection) -> None:
    try:
        results = _run_untaken(tasks, taken)
    except BaseException as error:  # reported to the parent, which raises it
        sender.send((True, _picklable(error)))
    else:
        sender.send((False, results))
    finally:
        sender.close()


def _picklable(error: BaseException) -> BaseException:
    """`error` if it survives pickling as itself, else a KBError with its message."""
    try:
        copy = pickle.loads(pickle.dumps(error))
    except Exception:
        return KBError(str(error))
    return error if type(copy) is type(error) and str(copy) == str(error) else KBError(str(error))
