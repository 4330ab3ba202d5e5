"""Run two parts of a build at once, one in a forked child process.

A build's stages are independent once kb/ is loaded (each writes its own files), so
`ekb build` gives the search index to a child process and writes the rest itself: two
cores then share the work. The child is forked, so it starts with the loaded
knowledge base as it is in memory (nothing is pickled or read again), and it only
writes files, so what it makes does not depend on what the parent does meanwhile:
the output stays byte-for-byte what one process would write.

Where fork is unavailable, the two parts run one after the other.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TypeVar

from evidencekb.errors import KBError

B = TypeVar("B")
H = TypeVar("H")


def run_beside(beside: Callable[[], B], here: Callable[[], H]) -> tuple[B, H]:
    """Run `beside` in a child process while this process runs `here`; return both
    results (the child's comes back pickled) when both have finished. A failure in
    either is raised here (this process's own first); if this process fails, the
    child is stopped."""
    if not hasattr(os, "fork"):
        mine = here()
        return beside(), mine
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    # fork: the child runs `beside` as it is in memory; nothing is pickled.
    child = context.Process(target=_child_main, args=(beside, sender), daemon=True)
    child.start()
    sender.close()  # the child holds its own copy; EOF then means the child is gone
    try:
        mine = here()
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
    return outcome, mine


def _child_main(task: Callable[[], object], sender: Connection) -> None:
    try:
        result = task()
    except BaseException as error:  # reported to the parent, which raises it
        sender.send((True, _picklable(error)))
    else:
        sender.send((False, result))
    finally:
        sender.close()


def _picklable(error: BaseException) -> BaseException:
    """`error` if it survives pickling as itself, else a KBError with its message."""
    try:
        copy = pickle.loads(pickle.dumps(error))
    except Exception:
        return KBError(str(error))
    return error if type(copy) is type(error) and str(copy) == str(error) else KBError(str(error))
