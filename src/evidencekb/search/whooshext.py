"""Every use of whoosh beyond its public API, in one place, with what each relies on.

Written against whoosh-reloaded 2.7.5 (WHOOSH_VERSION, the version pyproject.toml
pins). Each class and function here overrides or reads a part of whoosh that its
documentation does not promise (a method or attribute whose name starts with "_",
or the insides of its codec, columns, pool and table of contents), for speed or for
bytes that are the same in every build. `RELIED_ON` names each of those parts;
tests/search/test_whooshext.py checks the installed whoosh is the version written
against and that each part is still there, so that an upgrade fails there, by
name, and not deep in a build. The other search modules use only the public names
of this module and whoosh's own public API.

- Writing a segment (`write_segment_files`): the segment is named by its content key
  (`_NamedSegmentCodec`: `W3Codec.new_segment`); each claim is added as
  `SegmentWriter.add_document` adds it, through its per-document writer
  (`_DocumentAdder`: `perdocwriter`, `docnum`, `_added`, `_check_state`,
  `_check_fields`), its postings kept in `TermPool` (in place of the writer's `pool`)
  with its field lengths; they reach the codec a block at a time
  (`_FieldWriter.add_postings`, through `start_field`, `start_term`, `finish_term`,
  `finish_field` and `_postwriter`, filling `W3PostingsWriter`'s block as its
  `add_posting` does: `_blocklimit`, `_ids`, `_weights`, `_values`, `_maxweight`,
  `_minlength`, `_maxlength`, then `_write_block`); its stored values' column writes
  where each value starts (`_StoredWithOffsets`: `CompressedBytesColumn.Writer.cutoff`,
  through `W3PerDocWriter._create_column` and `STORED_COLUMN`); and its total field
  lengths are read off `writer.newsegment._fieldlengths`. Beside whoosh's files, the
  field writer writes each scored field's postings as plain arrays
  (`SCORED_ARRAYS_EXT`, in whoosh's own `HashWriter` table), closed with its own
  files (`W3FieldWriter.__init__` and `close` extended). Its files keep count of where
  they are (`_CountingStorage`: `FileStorage.create_file`, whose `StructFile`'s `file`
  is wrapped and `is_real` cleared), where a buffered file asks the system.
- Text given analysed already (`Preanalysed`): `TEXT.index` gives what its format,
  `Positions`, makes of a list of terms (`encode`, `field_boost`).
- The table of contents (`write_toc`, `read_toc`):
  `whoosh.index.TOC`, with each segment's total field lengths in `_fieldlengths`.
- A field length as whoosh stores it (`stored_length`): one byte, `whoosh.util.numeric`.
- Reading: `remember_terms` puts `RememberedTerms` in each segment reader's place of
  its terms (`SegmentReader._terms`, a `W3TermsReader`), and makes postings from the
  remembered information as `W3TermsReader.matcher` makes them (`_codec`,
  `_postfile`, `W3Codec.postings_reader`).
- Scoring every match at once (bulk.py): a field's lengths read whole
  (`field_length_bytes`: `W3PerDocReader._cached_reader` of `_lenfield` and
  `LENGTHS_COLUMN`, a `FixedBytesColumn.Reader`'s `_dbfile`, `_basepos` and
  `_count`), each byte read as `W3PerDocReader.doc_field_length` reads it
  (`LENGTH_OF_BYTE`); postings a block at a time (`posting_blocks`: `W3LeafMatcher._read_ids`,
  `_read_weights`, `_ids`, `_weights`, `_next_block`); a scorer's score of a weight
  and a length (`length_score`: `WeightLengthScorer._score`).
- Queries: `Union` overrides `Or._matcher`, `Intersection` `And._matcher`, with
  `CompoundQuery._tree_matcher`;
  `tree_sum` adds scores in the order of `whoosh.util.make_binary_tree`;
  `ExcludingMatcher` overrides `AndNotMatcher._find_first` and `_find_next`;
  `CountingCollector` overrides `TopCollector._collect` and resets `minscore`.
"""

from __future__ import annotations

import io
import sys
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, cast

import whoosh
from whoosh import columns
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    STORED_COLUMN,
    W3Codec,
    W3FieldWriter,
    W3PerDocWriter,
    W3Segment,
    _lenfield,
)
from whoosh.collectors import TopCollector
from whoosh.fields import TEXT
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import HashReader, HashWriter
from whoosh.filedb.structfile import StructFile
from whoosh.matching import AndNotMatcher, IntersectionMatcher, UnionMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import WeightLengthScorer
from whoosh.util.numeric import byte_to_length, length_to_byte

from evidencekb.errors import KBError

if TYPE_CHECKING:
    from whoosh.fields import Schema

WHOOSH_DISTRIBUTION = "whoosh-reloaded"
WHOOSH_VERSION = "2.7.5"
FieldLengths = Mapping[str, int]  # a segment's total length of each field


# The records here are named tuples, not dataclasses: the search imports this module,
# where a dataclass costs half a millisecond to make and a named tuple a tenth.


class Reliance(NamedTuple):
    """A part of whoosh this module relies on: `owner` (a dotted path from `whoosh`)
    has `attribute`, for `why`."""

    owner: str
    attribute: str
    why: str


# What `_add_blocks` fills and calls of whoosh's postings writer.
_BLOCK_PARTS: tuple[str, ...] = ("_blocklimit", "_ids", "_weights", "_values", "_maxweight")
_BLOCK_PARTS += ("_minlength", "_maxlength", "_write_block")

RELIED_ON: tuple[Reliance, ...] = (
    Reliance("codec.whoosh3.W3Codec", "new_segment", "a segment named by its content key"),
    Reliance("codec.whoosh3.W3Codec", "per_document_writer", "the stored column's writer"),
    Reliance("codec.whoosh3.W3Codec", "field_writer", "postings a block at a time"),
    Reliance("codec.whoosh3.W3PerDocWriter", "_create_column", "the stored column replaced"),
    Reliance("codec.whoosh3", "STORED_COLUMN", "the stored column told apart"),
    Reliance("codec.whoosh3.W3FieldWriter", "add_postings", "postings a block at a time"),
    Reliance("codec.whoosh3.W3FieldWriter", "_postwriter", "postings a block at a time"),
    Reliance("codec.whoosh3.W3FieldWriter", "close", "the scored arrays closed with it"),
    *(
        Reliance("codec.whoosh3.W3PostingsWriter", name, "a block filled at once")
        for name in _BLOCK_PARTS
    ),
    Reliance("codec.whoosh3.W3Segment", "_fieldlengths", "a segment's total field lengths"),
    Reliance("columns.CompressedBytesColumn.Writer", "cutoff", "offsets written always"),
    *(
        Reliance("writing.SegmentWriter", name, "a claim added as add_document adds it")
        for name in ("perdocwriter", "docnum", "_added", "_check_state", "_check_fields")
    ),
    Reliance("writing.SegmentWriter", "pool", "postings kept in TermPool"),
    Reliance("writing.SegmentWriter", "newsegment", "the written segment's field lengths"),
    Reliance("writing.PostingPool", "iter_postings", "what TermPool stands in for"),
    Reliance("writing.PostingPool", "cleanup", "what TermPool stands in for"),
    Reliance("fields.TEXT", "index", "text given analysed already"),
    Reliance("formats.Positions", "encode", "text given analysed already"),
    Reliance("formats.Positions", "field_boost", "text given analysed already"),
    Reliance("filedb.filestore.FileStorage", "create_file", "files that count their place"),
    Reliance("filedb.structfile.StructFile", "file", "files that count their place"),
    Reliance("filedb.structfile.StructFile", "is_real", "files that count their place"),
    Reliance("index.TOC", "read", "the table of contents read"),
    Reliance("index.TOC", "write", "the table of contents written"),
    Reliance("util.numeric", "byte_to_length", "a field length as stored"),
    Reliance("util.numeric", "length_to_byte", "a field length as stored"),
    Reliance("query.Or", "_matcher", "Union's balanced tree"),
    Reliance("query.And", "_matcher", "Intersection's balanced tree"),
    Reliance("codec.whoosh3", "_lenfield", "bulk.py: a field's lengths read whole"),
    Reliance("codec.whoosh3", "LENGTHS_COLUMN", "bulk.py: a field's lengths read whole"),
    Reliance("codec.whoosh3.W3PerDocReader", "_cached_reader", "bulk.py: a field's lengths"),
    *(
        Reliance("columns.FixedBytesColumn.Reader", name, "bulk.py: a field's lengths")
        for name in ("_dbfile", "_basepos", "_count")
    ),
    *(
        Reliance("codec.whoosh3.W3LeafMatcher", name, "bulk.py: postings a block at a time")
        for name in ("_read_ids", "_read_weights", "_ids", "_weights", "_next_block")
    ),
    Reliance("scoring.WeightLengthScorer", "_score", "bulk.py: whoosh's own score"),
    Reliance("query.CompoundQuery", "_tree_matcher", "Union's balanced tree"),
    Reliance("util", "make_binary_tree", "tree_sum's order of addition"),
    Reliance("matching.AndNotMatcher", "_find_first", "ExcludingMatcher"),
    Reliance("matching.AndNotMatcher", "_find_next", "ExcludingMatcher"),
    Reliance("collectors.TopCollector", "_collect", "CountingCollector"),
    Reliance("reading.SegmentReader", "_terms", "each term looked up once in a search"),
    *(
        Reliance("codec.whoosh3.W3TermsReader", name, "each term looked up once in a search")
        for name in ("term_info", "matcher", "_codec", "_postfile")
    ),
    Reliance("codec.whoosh3.W3Codec", "postings_reader", "each term looked up once in a search"),
)


def installed_whoosh() -> str:
    """The version of whoosh-reloaded installed ("" if it is not installed by that name)."""
    from importlib import metadata  # here: `ekb search` starts sooner without it

    try:
        return metadata.version(WHOOSH_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return ""


def check_whoosh() -> None:
    """Refuse to write an index with a whoosh this module was not written against."""
    found = installed_whoosh()
    if found != WHOOSH_VERSION:
        raise KBError(
            f"the search index is written with {WHOOSH_DISTRIBUTION}=={WHOOSH_VERSION}, "
            f"but {found or 'another whoosh'} is installed: reinstall evidencekb "
            "(`make .venv/.installed`) or check evidencekb/search/whooshext.py against it"
        )


# A cheap check at import, for the search path too: the version whoosh reports itself.
if ".".join(map(str, whoosh.__version__[:3])) != WHOOSH_VERSION:
    raise KBError(
        f"evidencekb's search needs whoosh {WHOOSH_VERSION}, not {whoosh.versionstring()}: "
        "reinstall evidencekb (`make .venv/.installed`)"
    )


# Writing a segment -----------------------------------------------------------


def write_segment_files(
    the_schema: Schema, documents: Iterable[dict[str, Any]], folder: Path, name: str, segid: str
) -> dict[str, int]:
    """Write `documents` as one segment with the id `segid` of a new index `name` in the
    empty `folder`; return its total field lengths. The segment's files are
    `<name>_<segid>.<ext>`, not compound (a compound file records each part's mtime)."""
    ix = _CountingStorage(str(folder)).create_index(the_schema, name)
    writer = ix.writer(codec=_NamedSegmentCodec(segid), compound=False)
    writer.pool = TermPool()
    add = _DocumentAdder(writer)
    for document in documents:
        add(document)
    writer.commit(merge=False)
    return dict(writer.newsegment._fieldlengths)


class _CountingStorage(FileStorage):  # type: ignore[misc]
    """whoosh's folder of files, each file it creates keeping count of where it is.
    whoosh's writers ask a file where they are (`tell`) a few hundred thousand times a
    segment, and a buffered file asks the system each time (a tenth of writing one)."""

    def create_file(self, name: str, **kwargs: Any) -> StructFile:
        made = super().create_file(name, **kwargs)
        made.file = _Counted(made.file)
        made.is_real = False  # whoosh then writes an array as bytes, through `write`
        return made


class _Counted:
    """A file that counts the bytes written and read through it, and asks the file
    underneath where it is only when it is moved (`seek`)."""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.position = file.tell()

    def write(self, data: bytes) -> int:
        written = self.file.write(data)
        self.position += written
        return written

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = self.file.seek(offset, whence)
        return self.position

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        self.file.close()


class _DocumentAdder:
    """whoosh's `SegmentWriter.add_document`, for the documents `write_segment_files`
    is given (no boosts, vectors, separate spelling or stored values but the field's
    own): what it writes is whoosh's, how is cheaper. whoosh passes each posting of each
    claim through a chain of generators and a method call or two; here a claim's
    postings go into `TermPool` a field at a time, and a field's postings are worked out
    once for the claims that share its value (a heading, a title, a claim's names or
    keywords). (It works beside whoosh's writer rather than subclassing it: `ekb
    search` imports this module, and never needs whoosh's writing module.)"""

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self.pool: TermPool = writer.pool
        self.indexed: dict[tuple[str, str], list[tuple[bytes, int, float, bytes]]] = {}

    def __call__(self, fields: dict[str, Any]) -> None:
        writer = self.writer
        writer._check_state()
        schema, perdoc, docnum = writer.schema, writer.perdocwriter, writer.docnum
        names = sorted(fields)
        writer._check_fields(schema, names)
        perdoc.start_doc(docnum)
        for fieldname in names:
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                items = self._items(fieldname, field, value)
                length = self.pool.add_items(fieldname, docnum, items, field.scorable)
            perdoc.add_field(fieldname, field, value if field.stored else None, length)
            column = field.column_type
            if column:
                perdoc.add_column_value(fieldname, column, field.to_column_value(value))
        perdoc.finish_doc()
        writer._added = True
        writer.docnum += 1

    def _items(
        self, fieldname: str, field: Any, value: Any
    ) -> list[tuple[bytes, int, float, bytes]]:
        """What whoosh's `index` gives of the field's value, worked out once a text.
        Each posting's value is a new object, as whoosh's are: a block of postings
        is pickled, and pickle writes an object it has seen as a back-reference."""
        if not isinstance(value, str):
            return list(field.index(value))
        found = self.indexed.get((fieldname, value))
        if found is None:
            found = self.indexed[fieldname, value] = list(field.index(value))
            return found
        return [(term, count, weight, _copied(posted)) for term, count, weight, posted in found]


def _copied(value: bytes) -> bytes:
    """A new bytes object equal to `value` (a slice of the whole is the same object)."""
    return value[:1] + value[1:]


class TermPool:
    """A segment's postings by field and term, in place of whoosh's pool. That one
    keeps each posting as a tuple, adding up its size to know when to spill them to
    disk, and sorts them all once the claims are in; here only the terms are sorted,
    and each term's postings are in the order the claims were added, as the sort put
    them. The largest segment segments.segment_groups makes holds a few million
    postings at most: they stay in memory, as whoosh's would within its pool's limit.
    Each claim's field lengths are kept too, as whoosh reads them back from the
    segment's columns for its postings writer (a read, or a look for a file, a claim)."""

    def __init__(self) -> None:
        self.by_term: defaultdict[tuple[str, bytes], list[tuple[int, float, bytes]]]
        self.by_term = defaultdict(list)
        self.lengths: defaultdict[str, dict[int, int]] = defaultdict(dict)

    def add_items(
        self,
        fieldname: str,
        docnum: int,
        items: Iterable[tuple[bytes, int, float, bytes]],
        scorable: bool,
    ) -> int:
        """Add a claim's items of one field (whoosh's `index` of its value); return the
        field's length as whoosh counts it."""
        by_term = self.by_term
        length = 0
        for term, frequency, weight, value in items:
            by_term[fieldname, term].append((docnum, weight, value))
            length += frequency
        if not scorable:
            return 0
        if length:
            self.lengths[fieldname][docnum] = stored_length(length)
        return length

    def iter_postings(self) -> TermPostings:
        return TermPostings(self.by_term, self.lengths)

    def cleanup(self) -> None:
        """Nothing was written to disk."""


class TermPostings(NamedTuple):
    """What TermPool gives its field writer (`_FieldWriter`) in place of the postings
    whoosh's pool gives in order of field, term and claim: each term's postings in
    claim order, and each claim's field lengths as whoosh reads them back."""

    by_term: Mapping[tuple[str, bytes], list[tuple[int, float, bytes]]]
    lengths: Mapping[str, Mapping[int, int]]


class _NamedSegmentCodec(W3Codec):  # type: ignore[misc]
    """whoosh's codec, except that the new segment gets the id given, not a random one,
    and its blocks of postings are not compressed: zlib took a seventh of the time of
    writing a segment (the largest part of an edit build), for an index that only
    `ekb search` reads and that is never published (BENCHMARKS.md)."""

    def __init__(self, segment_id: str) -> None:
        super().__init__(compression=0)
        self.segment_id = segment_id

    def new_segment(self, storage: Any, indexname: str) -> W3Segment:
        return W3Segment(self, indexname, segid=self.segment_id)

    def per_document_writer(self, storage: Any, segment: W3Segment) -> W3PerDocWriter:
        return _PerDocWriter(self, storage, segment)

    def field_writer(self, storage: Any, segment: W3Segment) -> W3FieldWriter:
        return _FieldWriter(self, storage, segment)


class _StoredWithOffsets(columns.CompressedBytesColumn):  # type: ignore[misc]
    """whoosh's column of stored fields, which also writes where each claim's value
    starts. whoosh writes that only for a segment of over 32,768 claims; without it,
    reading one search result adds up the lengths of every claim of its segment in
    Python. whoosh's reader finds the offsets by itself (the column's last byte says so)."""

    def writer(self, dbfile: Any) -> Any:
        writer = super().writer(dbfile)
        writer.cutoff = 0
        return writer


class _PerDocWriter(W3PerDocWriter):  # type: ignore[misc]
    def _create_column(self, fieldname: str, column: Any) -> None:
        if column is STORED_COLUMN:
            column = columns.PickleColumn(_StoredWithOffsets())
        super()._create_column(fieldname, column)


class _FieldWriter(W3FieldWriter):  # type: ignore[misc]
    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._arrays = HashWriter(segment.create_file(storage, SCORED_ARRAYS_EXT))

    def close(self) -> None:
        super().close()
        self._arrays.close()

    def add_postings(self, schema: Schema, lengths: Any, items: Iterable[Any]) -> None:
        """whoosh's, each term's postings handed to its postings writer a block at a
        time (`_add_blocks`), not one at a time through three calls. `items`: from
        the writer's pool, always a TermPool (`write_segment_files`)."""
        if not isinstance(items, TermPostings):
            raise TypeError(f"postings from a TermPool expected, not {type(items).__name__}")
        self._add_term_postings(schema, items)

    def _add_term_postings(self, schema: Schema, items: TermPostings) -> None:
        field = None
        no_lengths: Mapping[int, int] = {}
        for key in sorted(items.by_term):
            fieldname, term = key
            if fieldname != field:
                if field is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                field, lengths = fieldname, items.lengths.get(fieldname, no_lengths)
            self.start_term(term)
            _add_blocks(self._postwriter, items.by_term[key], lengths)
            self.finish_term()
            if schema[fieldname].scorable:
                self._arrays.add(_arrays_key(fieldname, term), _packed(items.by_term[key]))
        if field is not None:
            self.finish_field()


def _add_blocks(
    writer: Any, postings: list[tuple[int, float, bytes]], lengths: Mapping[int, int]
) -> None:
    """Put `postings` (one term's, in claim order) in whoosh's postings writer `writer`
    as its `add_posting` puts them one at a time: a block is written when it is full
    and another posting comes, and the last is left for `finish_postings`. `lengths`:
    each claim's length of the field, as whoosh reads it back (none: 0)."""
    limit = writer._blocklimit
    for start in range(0, len(postings), limit):
        if start:
            writer._write_block()
        docnums, weights, values = zip(*postings[start : start + limit], strict=True)
        writer._ids = array("I", docnums)
        writer._weights = array("f", weights)
        writer._values = [value for value in values if value]
        heaviest = max(weights)
        writer._maxweight = heaviest if heaviest > 0 else 0
        found = [length for length in map(lengths.get, docnums) if length]
        writer._minlength = min(found) if found else None
        writer._maxlength = max(found) if found else 0


class Preanalysed(TEXT):  # type: ignore[misc]
    """whoosh's TEXT, given its value analysed already (`analysis.Analysed`: the first
    term's position and the terms): whoosh makes the same postings of the terms,
    numbered on from the first's position, as it makes of the text."""

    def index(
        self, value: tuple[int, tuple[str, ...]], **kwargs: Any
    ) -> list[tuple[bytes, int, float, bytes]]:
        """What TEXT's `index` gives of the terms, as its format (Positions) works it
        out: each term's positions, in order of first occurrence, its frequency and
        its weight (the field's boost a position) (without a token object a term)."""
        start, terms = value
        found: dict[str, list[int]] = {}
        for position, term in enumerate(terms, start):
            positions = found.get(term)
            if positions is None:
                found[term] = [position]
            else:
                positions.append(position)
        encode, boost = self.format.encode, self.format.field_boost
        return [
            (term.encode("utf-8"), len(positions), float(len(positions)) * boost, encode(positions))
            for term, positions in found.items()
        ]


def stored_length(length: int) -> int:
    """A field length as whoosh reads it back (stored in one byte, so rounded)."""
    return int(byte_to_length(length_to_byte(length)))


# The table of contents -------------------------------------------------------


class ListedSegment(NamedTuple):
    """A segment as the table of contents lists it."""

    segid: str
    claims: int
    lengths: FieldLengths  # its total field lengths


def write_toc(
    the_schema: Schema, segments: Iterable[ListedSegment], folder: Path, name: str
) -> None:
    """The table of contents of index `name` in `folder`, listing `segments` (their files
    written already) with the total field lengths whoosh ranks by."""
    codec = W3Codec()
    listed = []
    for segment in segments:
        # Made afresh with one codec object, a segment pickles to the same bytes whether
        # it was written now or kept. Field names are the schema's own strings: pickle
        # writes a string it has seen as a back-reference, so which objects they are
        # changes the bytes.
        made = W3Segment(codec, name, doccount=segment.claims, segid=segment.segid)
        lengths = segment.lengths
        made._fieldlengths = {n: lengths[n] for n in the_schema.names() if n in lengths}
        listed.append(made)
    whoosh_index.TOC(the_schema, listed, 1).write(FileStorage(str(folder)), name)


def read_toc(folder: Path, name: str) -> dict[str, dict[str, int]]:
    """The total field lengths of each segment the table of contents lists, by id.
    Raises whatever whoosh raises for a missing or damaged table of contents."""
    toc = whoosh_index.TOC.read(FileStorage(str(folder)), name)
    return {segment.segid: dict(segment._fieldlengths) for segment in toc.segments}


# Reading ---------------------------------------------------------------------


def remember_terms(searcher: Any) -> None:
    """Each segment of the open `searcher` looks each term up once, however often the
    search asks. A phrase with its vocabulary's synonyms in four fields asks for the
    same word a dozen times in a segment, each time three times over: whether the
    segment has it, its scorer's statistics, its postings."""
    for reader, _ in searcher.reader().leaf_readers():
        terms = getattr(reader, "_terms", None)  # an index of no claim has none
        if terms is not None and not isinstance(terms, RememberedTerms):
            reader._terms = RememberedTerms(terms)


# A field length as whoosh's per-document reader gives it for each stored byte: 0
# (no length stored) reads as None, not as the default its caller names.
LENGTH_OF_BYTE: tuple[int | None, ...] = (None, *(byte_to_length(b) for b in range(1, 256)))


def field_length_bytes(reader: Any, fieldname: str) -> bytes:
    """The segment's column of the field's lengths, a byte a claim, read whole (whoosh
    reads one byte a call); a claim past its end has none (0), as whoosh reads it."""
    column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    found = b"" if column is None else bytes(column._dbfile.get(column._basepos, column._count))
    return found.ljust(reader.doc_count_all(), b"\0")


def posting_blocks(matcher: Any) -> Iterator[tuple[Sequence[int], Sequence[float]]]:
    """The postings' claims and weights, a block at a time from whoosh's postings
    file, or all at once from the list a term's information holds (a term of one
    claim)."""
    if not hasattr(matcher, "_read_ids"):
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        yield ids, weights
        return
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        yield matcher._ids, matcher._weights
        matcher._next_block()


# Each scored field's postings, the claims and their weights, as plain arrays in a file
# of their own beside the segment's (`ScoredArrays`): what bulk.py reads to score every
# match, without unpickling whoosh's blocks of postings and positions (34 ms of a
# 50 ms search of three common words on the large benchmark kb).
SCORED_ARRAYS_EXT = ".arr"
_LITTLE_ENDIAN = sys.byteorder == "little"


def _arrays_key(fieldname: str, term: bytes) -> bytes:
    return fieldname.encode("utf-8") + b"\0" + term


def _packed(postings: Sequence[tuple[int, float, bytes]]) -> bytes:
    """A term's postings as its claims (unsigned 32-bit) then their weights (32-bit
    floats, as whoosh stores them), little-endian."""
    ids = array("I", [posting[0] for posting in postings])
    weights = array("f", [posting[1] for posting in postings])
    if not _LITTLE_ENDIAN:
        ids.byteswap()
        weights.byteswap()
    return ids.tobytes() + weights.tobytes()


class ScoredArrays:
    """A segment's file of `SCORED_ARRAYS_EXT`, open for one search."""

    def __init__(self, table: HashReader) -> None:
        self._table = table

    @classmethod
    def of(cls, reader: Any) -> ScoredArrays | None:
        """The file of the segment `reader` reads; None if it has none (an index
        written before there were such files: its postings are read from whoosh's)."""
        segment, storage = reader.segment(), reader.storage()
        name = segment.make_filename(SCORED_ARRAYS_EXT)
        if not storage.file_exists(name):
            return None
        return cls(HashReader.open(storage, name))

    def postings(self, fieldname: str, term: bytes) -> tuple[array[int], array[float]] | None:
        """The term's claims and weights in this segment; None if the file has none."""
        packed = self._table.get(_arrays_key(fieldname, term))
        if packed is None:
            return None
        half = len(packed) // 2
        ids, weights = array("I"), array("f")
        ids.frombytes(packed[:half])
        weights.frombytes(packed[half:])
        if not _LITTLE_ENDIAN:
            ids.byteswap()
            weights.byteswap()
        return ids, weights

    def close(self) -> None:
        self._table.close()


def length_score(scorer: Any) -> Callable[[float, int | None], float]:
    """What `scorer` (a whoosh scorer of a field scored by its length, such as BM25F's)
    makes of a posting's weight and its claim's field length: its `score` without
    asking the matcher for either."""
    if not isinstance(scorer, WeightLengthScorer):
        raise TypeError(f"{type(scorer).__name__} does not score by field length")
    return cast("Callable[[float, int | None], float]", scorer._score)


class RememberedTerms:
    """A segment's terms (whoosh's `W3TermsReader`), each term's information read
    once and kept; everything else as whoosh's own."""

    def __init__(self, terms: Any) -> None:
        self._terms = terms
        self._infos: dict[tuple[str, bytes], Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._terms, name)

    def _info(self, fieldname: str, tbytes: bytes) -> Any:
        key = (fieldname, tbytes)
        if key not in self._infos:
            try:
                self._infos[key] = self._terms.term_info(fieldname, tbytes)
            except TermNotFound:
                self._infos[key] = None
        return self._infos[key]

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return self._info(*term) is not None

    def term_info(self, fieldname: str, tbytes: bytes) -> Any:
        info = self._info(fieldname, tbytes)
        if info is None:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}")
        return info

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        info = self._info(fieldname, tbytes)
        if info is None:
            raise KeyError((fieldname, tbytes))  # as whoosh's table says it
        return int(info.doc_frequency())

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        info = self._info(fieldname, tbytes)
        if info is None:
            raise KeyError((fieldname, tbytes))
        return float(info.weight())

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        terms = self._terms
        return terms._codec.postings_reader(
            terms._postfile,
            self.term_info(fieldname, tbytes),
            format_,
            term=(fieldname, tbytes),
            scorer=scorer,
        )


# Queries -----------------------------------------------------------------------


class Union(wq.Or):  # type: ignore[misc]
    """whoosh's Or, always as a balanced tree of union matchers in the order given.
    Left to choose, whoosh preloads every match of a segment of under 5,000 claims
    into arrays, and otherwise weighs each part by looking its words up again in
    every segment to shape the tree: that was most of the time a search of a large
    kb spent making matchers."""

    def _matcher(self, subs: list[wq.Query], searcher: Any, context: Any) -> Any:
        return self._tree_matcher(subs, UnionMatcher, searcher, context, None)


class Intersection(wq.And):  # type: ignore[misc]
    """whoosh's And, always as a balanced tree of intersection matchers in the order
    given, as Union's: a claim's scores are added in one order (`tree_sum`'s, and
    bulk.py's) in every segment, where whoosh's And orders the parts by their
    estimated size in each segment."""

    def _matcher(self, subs: list[wq.Query], searcher: Any, context: Any) -> Any:
        return self._tree_matcher(subs, IntersectionMatcher, searcher, context, None)


def tree_sum(scores: list[float]) -> float:
    """The scores added up in the order of whoosh's intersection tree of matchers
    (`make_binary_tree`), so that the sum is the same to the last bit."""
    if len(scores) == 1:
        return scores[0]
    half = len(scores) // 2
    return tree_sum(scores[:half]) + tree_sum(scores[half:])


class ExcludingMatcher(AndNotMatcher):  # type: ignore[misc]
    """whoosh's AndNotMatcher, which lets an excluded claim through when it was
    rebuilt (`replace`, every 10 claims when all matches are collected) with the
    excluded matcher behind the included one: it moves the excluded one up first.
    And whoosh's `skip_to_quality` moves the included matcher on and then reads its
    claim, which fails (IndexError) where it has run out, as it can in the search
    that tries a misspelling's correction (`additional adqinister NOT safety`)."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()

    def _find_next(self) -> Any:
        if not self.a.is_active():
            return False  # nothing left to exclude anything from
        return super()._find_next()


class CountingCollector(TopCollector):  # type: ignore[misc]
    """whoosh's top-N collector that visits every match and keeps its number,
    for the counts by section and strength."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit, usequality=False)
        self.matched: list[int] = []

    def _collect(self, global_docnum: int, score: float) -> float:
        self.matched.append(global_docnum)
        result: float = super()._collect(global_docnum, score)
        # Once the top N is full, whoosh raises the score a claim needs and
        # prunes the parts of an OR that cannot reach it, skipping claims that
        # match only those: every match must be counted, so nothing is pruned.
        self.minscore = 0
        return result
