"""Topics as an earlier run checked them: `ekb check` and `ekb build` validate again only
the topics whose files changed.

Checking each claim against its table's fields, the vocabularies and the strength rule
is most of what reading a large kb/ costs (on the benchmark kb, about 2 s of 2.4 s),
and an edit touches one topic. A topic that loaded without a problem is kept
(cache.CHECKED_TOPICS), keyed by everything its loading reads:

- the code (reuse.code_version) and the year (a reference's year may not be later);
- where kb/ is, as problems name its files;
- what every topic is checked against: the strength scheme, the category and entity ids;
- the name and bytes of every file in the topic's folder, and the names of its folders.

One thing a topic's check reads from outside it: the claim ids the topics before it
defined (ids are unique across kb/). A kept topic is taken only if none of its ids
is defined already; otherwise it is checked anew, which reports the duplicate as a
check without the cache would (a kept topic's claims file is kept in memory for the
line a later duplicate points at). Nothing is kept or taken while kb/'s scan
found a problem (a refused file is left out of the folder's files, where its problem
would not be seen again). So the cache can make a check faster, never give it
another result: tests/kb/test_checked_topics.py.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from evidencekb import model
from evidencekb.cache import CHECKED_TOPICS, TopicEntries
from evidencekb.hashing import content_key
from evidencekb.kb.claims import ClaimChecker
from evidencekb.kb.files import KbFileError
from evidencekb.kb.reader import KbReader
from evidencekb.kb.tomlfile import lines_of
from evidencekb.kb.topic import Vocabularies, load_topic
from evidencekb.model import Topic
from evidencekb.paths import CLAIMS_FILE, TOPICS_DIR
from evidencekb.reuse import code_version

# What a kept topic may hold besides plain data: the model's dataclasses.
_MODEL_CLASSES = frozenset(
    ("evidencekb.model", name)
    for name, value in vars(model).items()
    if isinstance(value, type) and dataclasses.is_dataclass(value)
)


class RememberedTopics:
    """The topics one process took from the cache folder or checked, by folder, each
    with its key: `ekb serve` reads kb/ after every save, and a topic whose files did
    not change is then the one read before rather than unpickled again (0.3 s of the
    0.5 s that reading the large benchmark kb takes with every topic kept). A topic
    is frozen, so two builds can share it. One per topic folder: an edited topic
    replaces the one before."""

    def __init__(self) -> None:
        self._topics: dict[str, tuple[str, Topic]] = {}

    def get(self, place: str, key: str) -> Topic | None:
        found = self._topics.get(place)
        return found[1] if found is not None and found[0] == key else None

    def put(self, place: str, key: str, topic: Topic) -> None:
        self._topics[place] = (key, topic)

    def keep_only(self, places: Iterable[str]) -> None:
        """Forget every topic but those of `places` (the folders kb/ has now): one
        removed or renamed while `ekb serve` runs is not held for the rest of it."""
        kept = set(places)
        self._topics = {place: found for place, found in self._topics.items() if place in kept}

    def __len__(self) -> int:
        return len(self._topics)


@dataclass(frozen=True)
class CheckedTopics:
    """The topics kept for the kb/ `reader` reads, checked against `context` (a key of
    the code, the year, where kb/ is and the vocabularies); `entries` None: none is
    kept or taken. `files`: kb/'s files by the folder they are directly in, listed
    once rather than sought among all of kb/'s for each topic. `remembered`: the
    topics this process read before, taken before the cache folder's."""

    entries: TopicEntries | None
    context: str
    files: Mapping[str, tuple[str, ...]]
    remembered: RememberedTopics | None = None

    @classmethod
    def of(
        cls, reader: KbReader, vocabularies: Vocabularies, remembered: RememberedTopics | None
    ) -> CheckedTopics:
        if reader.tree.problems:
            return cls(None, "", {})
        context = content_key(
            CHECKED_TOPICS.format,
            code_version(),
            str(datetime.date.today().year),
            reader.display(TOPICS_DIR),
            repr(vocabularies),
        )
        entries = TopicEntries.of(CHECKED_TOPICS, reader.kb_dir, _MODEL_CLASSES)
        return cls(entries, context, _by_folder(reader.tree.all_files()), remembered)

    def load(
        self, reader: KbReader, claim_checker: ClaimChecker, slug: str, vocabularies: Vocabularies
    ) -> Topic | None:
        """The topic in kb/topics/<slug>/ as `load_topic` gives it: kept, if this folder
        was checked before and none of its claim ids is taken; else checked, and kept
        if it has no problem."""
        base = f"{TOPICS_DIR}/{slug}"
        files = None if self.entries is None else _read(reader, self.files.get(base, ()))
        if self.entries is None or files is None:
            return load_topic(reader, claim_checker, slug, vocabularies)
        key = self._key(reader, base, files)
        kept = self._kept(slug, key)
        claims_file = f"{base}/{CLAIMS_FILE}"
        if isinstance(kept, Topic) and claims_file in files:
            claims = lines_of(reader.display(claims_file), files[claims_file])
            if claim_checker.take(claims, kept.claims):
                reader.took(files)
                return kept
        problems = len(reader.problems)
        topic = load_topic(reader, claim_checker, slug, vocabularies)
        if topic is not None and len(reader.problems) == problems:
            # Its claims' keys are found now, to be kept with it (a cached property is
            # pickled with the topic): every build finds every topic's to know which
            # parts changed, 0.4 s on the large benchmark kb, paid here once instead.
            topic.claims_key  # noqa: B018 (and each claim's, which it is made of)
            self.entries.put(slug, key, topic)
            self._remember(slug, key, topic)
        return topic

    def _kept(self, slug: str, key: str) -> object | None:
        """The topic kept for `slug` as `key`: remembered, or else from the cache folder."""
        assert self.entries is not None
        if self.remembered is not None:
            found = self.remembered.get(self.entries.place(slug), key)
            if found is not None:
                return found
        kept = self.entries.get(slug, key)
        if isinstance(kept, Topic):
            self._remember(slug, key, kept)
        return kept

    def remember_only(self, slugs: Iterable[str]) -> None:
        """Let the remembered topics be those of these topic folders only (kb/'s now)."""
        if self.remembered is not None and self.entries is not None:
            self.remembered.keep_only(map(self.entries.place, slugs))

    def _remember(self, slug: str, key: str, topic: Topic) -> None:
        if self.remembered is not None and self.entries is not None:
            self.remembered.put(self.entries.place(slug), key, topic)

    def _key(self, reader: KbReader, base: str, files: dict[str, bytes]) -> str:
        folders = reader.tree.subfolders(base)
        parts: list[str | bytes] = [self.context, base, str(len(folders)), *folders]
        for relative, data in files.items():
            parts += [relative, data]
        return content_key(*parts)


def _by_folder(paths: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """`paths` (kb/ paths, in order) by the folder each is directly in."""
    found: dict[str, list[str]] = {}
    for path in paths:
        found.setdefault(path.rpartition("/")[0], []).append(path)
    return {folder: tuple(names) for folder, names in found.items()}


def _read(reader: KbReader, names: Iterable[str]) -> dict[str, bytes] | None:
    """The bytes of each file of `names`, by its kb/ path; None if one cannot be read
    (its check says why)."""
    try:
        return {relative: reader.tree.read(relative) for relative in names}
    except KbFileError:
        return None
