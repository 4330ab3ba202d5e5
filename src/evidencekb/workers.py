"""Run the parts of a build on two cores, one of them in a forked child process.

A build's stages are independent once kb/ is loaded (each writes its own files), so
`ekb build` gives the search index to a child process and writes the database and
pages itself; the search data goes to whichever finishes first (its share of the work
depends on how much each side kept from the earlier build and on the citation cache).
The child is forked, so it starts with the loaded knowledge base as it is in memory
(nothing is pickled or read again), and it only writes files, so what it makes does
not depend on what the parent does meanwhile: the output stays byte-for-byte what one
process would write.

Where fork is unavailable, the parts run one after the other.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from evidencekb.errors import KBError

B = TypeVar("B")
H = TypeVar("H")
T = TypeVar("T")


def run_beside(
    beside: Callable[[], B], here: Callable[[], H], then: Callable[[], T]
) -> tuple[B, H, T]:
    """Run `beside` in a child process while this process runs `here`, then `then` in
    whichever of the two is done first; return the three results (those of the child
    come back pickled) when all have finished. A failure in any is raised here (this
    process's own first); if this process fails, the child is stopped."""
    if not hasattr(os, "fork"):
        mine = here()
        return beside(), mine, then()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    taken = context.Value("b", 0)  # shared memory: set by the process that takes `then`
    # fork: the child runs `beside` as it is in memory; nothing is pickled.
    child = context.Process(target=_child_main, args=(beside, then, taken, sender), daemon=True)
    child.start()
    sender.close()  # the child holds its own copy; EOF then means the child is gone
    try:
        mine = here()
        last = (then(),) if _take(taken) else ()
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
        raise outcome or KBError(f"a build process stopped unexpectedly (exit code {code})")
    result, child_last = outcome
    return result, mine, (last or child_last)[0]


def _take(taken: Any) -> bool:
    """Whether this process is the first to ask (and so runs `then`)."""
    with taken.get_lock():
        first = not taken.value
        taken.value = 1
    return first


def _child_main(
    task: Callable[[], object], then: Callable[[], object], taken: Any, sender: Connection
) -> None:
    try:
        result = task()
        last = (then(),) if _take(taken) else ()
    except BaseException as error:  # reported to the parent, which raises it
        sender.send((True, _picklable(error)))
    else:
        sender.send((False, (result, last)))
    finally:
        sender.close()


def _picklable(error: BaseException) -> BaseException:
    """`error` if it survives pickling as itself, else a KBError with its message."""
    try:
        copy = pickle.loads(pickle.dumps(error))
    except Exception:
        return KBError(str(error))
    return error if type(copy) is type(error) and str(copy) == str(error) else KBError(str(error))
