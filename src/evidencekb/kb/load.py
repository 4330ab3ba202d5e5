"""Load and validate kb/: the one way a `KnowledgeBase` comes into being.

Every problem in every file is collected before anything fails, each naming
its file, line and field and, where there is a vocabulary, the allowed values;
`ekb check` prints them all in one run. Each file kind has its own module
(scheme, vocabulary, topic, claims, references); this one walks kb/ (through
files.py, which refuses anything but regular files and folders inside kb/)
and puts their results together.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from evidencekb.errors import KBError, Problem, ValidationError, stop_if_set
from evidencekb.kb.checked import CheckedTopics, RememberedTopics
from evidencekb.kb.claims import ClaimChecker
from evidencekb.kb.evidence import attach_evidence, load_vocabulary
from evidencekb.kb.files import KbFileError, KbTree, scan_kb
from evidencekb.kb.fingerprint import Fingerprint, TreeDigest
from evidencekb.kb.parsecache import parse_ahead
from evidencekb.kb.reader import KbReader
from evidencekb.kb.scheme import load_scheme
from evidencekb.kb.topic import Vocabularies
from evidencekb.kb.vocabulary import load_categories, load_entities
from evidencekb.model import Claim, KnowledgeBase, Reference, StrengthScheme, Topic
from evidencekb.paths import TOPICS_DIR
from evidencekb.registry import (
    CLAIM_FIELDS,
    REFERENCE_FIELDS,
    TOPIC_FIELDS,
    ClaimField,
    ReferenceField,
    TopicField,
)
from evidencekb.workers import collector_paused

Declared = ClaimField | TopicField | ReferenceField


def _holds_every_field(model: type, declared: Iterable[Declared], where: str) -> None:
    """Refuse, as the loader loads, a field the registry declares that `model` has no
    attribute for (ARCHITECTURE.md's recipe, step 2): reading kb/ would fail on the
    first claim, topic or cited work that gives it, with a TypeError of its own."""
    attributes = {attribute.name for attribute in dataclasses.fields(model)}
    missing = [field.name for field in declared if field.name not in attributes]
    if missing:
        raise TypeError(
            f"model.{model.__name__} has no attribute {', '.join(missing)}, which "
            f"registry.{where} declares: add it, with a default, after the others"
        )


_holds_every_field(Claim, CLAIM_FIELDS, "CLAIM_FIELDS")
_holds_every_field(Topic, TOPIC_FIELDS, "TOPIC_FIELDS")
_holds_every_field(Reference, REFERENCE_FIELDS, "REFERENCE_FIELDS")


def load_kb(kb_dir: Path) -> KnowledgeBase:
    """Read and validate all of `kb_dir`; raise ValidationError listing every problem."""
    return load_tree(scan_kb(kb_dir))


@dataclass(frozen=True)
class LoadedKb:
    """kb/ as a build reads it: the knowledge base, and the fingerprint of the bytes it
    was loaded from."""

    kb_dir: Path
    kb: KnowledgeBase
    fingerprint: Fingerprint


def read_kb(
    kb_dir: Path,
    remembered: RememberedTopics | None = None,
    stop: threading.Event | None = None,
) -> LoadedKb:
    """`load_kb`, and the fingerprint of what it read, from one reading of each file
    (`kb_fingerprint` gives the same hash). Its time is taken before the reading: an
    edit made meanwhile then makes what is built from it look stale, never fresh.
    `remembered`: the topics an earlier reading in this process checked or took
    (kb/checked.py), taken again if their files are the same. Once `stop` is set (by
    another thread: `ekb serve` stopping), the reading raises errors.Cancelled before
    its next topic."""
    started = time.time_ns()
    tree = scan_kb(kb_dir)
    digest = TreeDigest(tree.all_files(), tree.read)
    kb = load_tree(tree, digest, remembered, stop)
    try:
        fingerprint = digest.finish(started)  # reads the files the loader never opened
    except KbFileError as error:
        raise ValidationError([error.problem]) from None
    return LoadedKb(kb_dir, kb, fingerprint)


def load_tree(
    tree: KbTree,
    digest: TreeDigest | None = None,
    remembered: RememberedTopics | None = None,
    stop: threading.Event | None = None,
) -> KnowledgeBase:
    """Validate a scanned kb/ (perhaps with files about to be written); raise on problems.
    `digest`: fed each file's bytes as they are read; `remembered` and `stop` as for
    `read_kb`."""
    reader = KbReader(tree, digest)
    with collector_paused():  # millions of small containers, none in a cycle
        parse_ahead(tree, reader.cache, stop)
        kb = _load(reader, remembered, stop)
    if reader.problems:
        raise ValidationError(reader.problems)
    return kb


def _load(
    reader: KbReader, remembered: RememberedTopics | None, stop: threading.Event | None
) -> KnowledgeBase:
    if not reader.kb_dir.is_dir():
        reader.problems.append(
            Problem(str(reader.kb_dir), 1, "knowledge base folder not found; pass --kb DIR")
        )
        return KnowledgeBase(StrengthScheme((), (), ""), (), (), (), ())
    scheme = load_scheme(reader)
    categories = load_categories(reader)
    kinds, entities = load_entities(reader)
    vocabularies = Vocabularies(scheme, categories.ids, entities.ids)
    topics = _load_topics(reader, vocabularies, remembered, stop)
    evidence = load_vocabulary(reader)
    topics = attach_evidence(reader, topics, evidence)
    reader.check_unopened()
    return KnowledgeBase(
        scheme,
        categories.terms,
        entities.terms,
        kinds,
        topics,
        evidence.stances,
        evidence.relations,
    )


def _load_topics(
    reader: KbReader,
    vocabularies: Vocabularies,
    remembered: RememberedTopics | None,
    stop: threading.Event | None,
) -> tuple[Topic, ...]:
    if not reader.tree.is_folder(TOPICS_DIR):
        if not reader.tree.refused(TOPICS_DIR):
            reader.file_problem(TOPICS_DIR, "folder is missing")
        return ()
    claim_checker = ClaimChecker(reader)  # one for all topics: claim ids are unique across them
    checked = CheckedTopics.of(reader, vocabularies, remembered)
    topics = []
    slugs = reader.tree.subfolders(TOPICS_DIR)  # hidden ones (imports being staged) aside
    for relative in reader.tree.files_in(TOPICS_DIR):
        # A topic's folder replaced by a file would leave the kb without the topic,
        # and the site built from it without its pages, and nothing said.
        reader.file_problem(
            relative, "is a file; each topic is a folder (topics/SLUG/claims.toml, ...)"
        )
    for slug in slugs:
        stop_if_set(stop)  # checking a large kb's every topic takes seconds
        topic = checked.load(reader, claim_checker, slug, vocabularies)
        if topic is not None:
            topics.append(topic)
    checked.remember_only(slugs)
    return tuple(topics)


def read_as_loaded(tree: KbTree, relative: str) -> bytes:
    """A kb/ file as the loader read it; KBError if it changed meanwhile."""
    try:
        return tree.read(relative)
    except KbFileError as error:
        raise KBError(str(error.problem)) from None


def check_edits(tree: KbTree, edits: Mapping[str, bytes], refusal: str) -> None:
    """Load kb/ as it will be once each file of `edits` (a kb/ path -> its new bytes)
    is written, before any is: what `ekb check` would refuse is never written, and the
    KBError says so after `refusal` ("refs.ris: nothing imported")."""
    for relative, data in edits.items():
        folder, _, name = relative.rpartition("/")
        contents = {
            path.removeprefix(f"{folder}/"): read_as_loaded(tree, path)
            for path in tree.all_files()
            if path.startswith(f"{folder}/")
        }
        tree = tree.with_folder(folder, {**contents, name: data})
    try:
        load_tree(tree)
    except ValidationError as error:
        found = "; ".join(problem.message for problem in error.problems)
        raise KBError(f"{refusal}: with it, `ekb check` would find {found}") from None
