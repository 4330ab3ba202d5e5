"""Telling a damaged index from a fault of the code that reads it.

whoosh reads its files with struct, zlib, array and pickle and checks little of what it
reads, so a file cut short or garbled fails as whichever of them, or the code after
it, stumbles (cutting and garbling each file of an index gave every kind below): down
to a bare Exception ("Block tag error") and a missing length byte read as None, which
fails to be scored (TypeError). The decoders' own errors come only from reading bytes;
a TypeError, KeyError or the like is damage only where the code reading the index
raised it (whoosh's, or whooshext.py's, which reads beside it), so that a fault of our
own search code stays a fault, its traceback whole, never "damage" a rebuild cannot
mend.
"""

from __future__ import annotations

import pickle
import struct
import zlib
from pathlib import Path
from types import TracebackType

import whoosh
from whoosh import index as whoosh_index
from whoosh.filedb.filetables import FileFormatError

from evidencekb.search import whooshext

# Raised only by reading the bytes of a file.
DECODING = (
    EOFError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    FileFormatError,
    whoosh_index.IndexError,
)
# What the reading code after a bad read stumbles into: damage where it raised them.
STUMBLES = (ImportError, LookupError, ArithmeticError, TypeError, ValueError, AttributeError)
# The code that reads an index: whoosh's package, and whooshext.py.
_READERS = (str(Path(whoosh.__file__).parent), whooshext.__file__)


def damaged(error: BaseException) -> bool:
    """Whether `error` is what reading a damaged index raises."""
    if isinstance(error, DECODING) or type(error) is Exception:  # whoosh's bare Exception
        return True
    return isinstance(error, STUMBLES) and _raised_reading(error.__traceback__)


def _raised_reading(trace: TracebackType | None) -> bool:
    """Whether the innermost Python frame of `trace` is in the index's reading code."""
    where = None
    while trace is not None:
        where = trace.tb_frame.f_code.co_filename
        trace = trace.tb_next
    return where is not None and where.startswith(_READERS)
