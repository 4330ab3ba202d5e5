"""`ekb changes --since REV`: the claims whose meaning differs from a git revision's.

A claim's meaning is its text (as a reader has it: white space and Unicode composition
aside), strength, citations and the stance of each cited work; anything else (layout,
comments, curation of categories or entities, its place in the file or its topic) is
not a change. A citation is the work it cites (in any order), not its
number: two are of one work when the identifiers both give (DOI without case, PMID,
PMCID) agree, or, with none to compare, when the lines of a reference list both give
agree (their numbers aside), or, with neither, when their numbers do. So references
renumbered, or a claim moved to a topic that numbers its works otherwise, are no
change; a claim moved to a topic whose reference of that number is another work is.
kb/ as it was at REV is read out of git (`git archive`) into memory and loaded as
`ekb check` loads it, so both sides are compared as the same values. `--stamp DATE`
writes DATE as the `changed` date of each claim that changed (and as `added` of a new
claim that has none), editing claims.toml in place (tomlkit): nothing else in the file
moves. `ekb check --since REV` fails for each claim whose meaning changed while its
date did not move on (a `changed` date earlier than the revision's is no later change),
for each whose `added` date moved: a claim is added once (a date the revision did
not record may be filled in), and for each whose `changed` date is gone or earlier than
the revision's. A stamp never moves a date back.
"""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, Table

from evidencekb.atomic import replace_file, writes_kb
from evidencekb.errors import KBError, ValidationError, failure_reason
from evidencekb.identifiers import doi_key
from evidencekb.kb.dates import date_fault
from evidencekb.kb.files import KbTree, scan_kb
from evidencekb.kb.load import check_edits, load_kb, load_tree, read_as_loaded
from evidencekb.kb.reflist import entry_body
from evidencekb.kb.text import shown
from evidencekb.model import Claim, KnowledgeBase, Reference, Topic
from evidencekb.paths import CLAIMS_FILE, TOPICS_DIR
from evidencekb.terminal import plural

MEANING = ("text", "strength", "citations", "stances")
Works = dict[tuple[str, int], Reference]  # (topic slug, number) -> the work so numbered


@dataclass(frozen=True)
class Cited:
    """A work a claim cites: its number in the claim's topic and what identifies it."""

    number: int
    identifiers: tuple[str | None, ...]  # DOI key, PMID, PMCID; None where not given
    line: str | None = None  # its reference list's line, the number left out

    def same_work(self, other: Cited) -> bool:
        """Whether both cite one work: each identifier both give agrees (and one does),
        or, when they share none, their lines agree, or, with no line each, the numbers."""
        pairs = [
            (a, b) for a, b in zip(self.identifiers, other.identifiers, strict=True) if a and b
        ]
        if pairs:
            return all(a == b for a, b in pairs)
        if self.line is not None and other.line is not None:
            return self.line == other.line
        return self.number == other.number


def works(kb: KnowledgeBase) -> Works:
    return {(topic.slug, ref.number): ref for topic in kb.topics for ref in topic.references}


def cited(claim: Claim, works: Works) -> tuple[Cited, ...]:
    """The works `claim` cites, in its order."""
    found = []
    for number in claim.citations:
        ref = works.get((claim.topic, number))
        if ref is None:
            found.append(Cited(number, (None, None, None)))
            continue
        doi = doi_key(ref.doi) if ref.doi else None
        text = ref.citation_text
        line = (entry_body(text) or text.strip()) if text else None
        found.append(Cited(number, (doi, ref.pmid, ref.pmcid), line))
    return tuple(found)


def said(text: str) -> str:
    """A claim's text as a reader has it: in NFC, its runs of white space one space, so
    that a space more or the same letters composed otherwise are no change."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def meaning(claim: Claim, works: Works) -> dict[str, object]:
    """What a claim says, by the parts `MEANING` names."""
    citing = cited(claim, works)
    return {
        "text": said(claim.text),
        "strength": claim.strength,
        "citations": citing,
        # each cited work's stance, with the work: compared work by work
        "stances": tuple(zip(citing, (e.stance for e in claim.citation_evidence), strict=True)),
    }


def differs(part: str, then: object, now: object) -> bool:
    if part == "citations":
        assert isinstance(then, tuple) and isinstance(now, tuple)
        pairs = paired(then, now)
        return len(pairs) != len(then) or len(then) != len(now)
    if part == "stances":  # of each work cited then and now: another work is a citation changed
        assert isinstance(then, tuple) and isinstance(now, tuple)
        pairs = paired(tuple(c for c, _ in then), tuple(c for c, _ in now))
        return any(then[i][1] != now[j][1] for i, j in pairs)
    return then != now


def paired(then: tuple[Cited, ...], now: tuple[Cited, ...]) -> list[tuple[int, int]]:
    """The positions of each work cited `then` and of the same work cited `now`, each
    paired once. The order works are cited in is no part of a claim's meaning:
    references renumbered and the claim's numbers written in order again cite the
    same works in another order."""
    free = list(range(len(now)))
    pairs = []
    for i, work in enumerate(then):
        # the same place first, so that works alike pair as they stand
        j = next((j for j in sorted(free, key=lambda j: j != i) if work.same_work(now[j])), None)
        if j is not None:
            free.remove(j)
            pairs.append((i, j))
    return pairs


def moves_on(date: str, was: str | None) -> bool:
    """Whether `date` dates a change made since a revision whose `changed` date was
    `was`: a later day (ISO dates compare as text), or any day if it had none."""
    return was is None or date > was


@dataclass(frozen=True)
class ClaimChange:
    """One claim that is new or whose meaning differs from the revision's."""

    claim: Claim  # as kb/ has it now
    what: tuple[str, ...]  # the parts of MEANING that differ; () for a new claim
    was_changed: str | None  # its `changed` date at the revision
    new: bool
    was_added: str | None = None  # its `added` date at the revision

    @property
    def added_moved(self) -> bool:
        """Its `added` date is not the one the revision recorded."""
        return self.was_added is not None and self.claim.added != self.was_added

    @property
    def changed_back(self) -> bool:
        """Its `changed` date is gone, or earlier than the one the revision recorded: a
        change that was dated is undated again (a date never moves back)."""
        was, now = self.was_changed, self.claim.changed
        return was is not None and (now is None or now < was)

    @property
    def dated(self) -> bool:
        """Whether its dates are true: a new claim has `added`; a changed one keeps
        the revision's `added` and has a `changed` date later than the revision's."""
        if self.new:
            return self.claim.added is not None
        return not self.added_moved and not self.changed_back and not self.to_stamp

    @property
    def to_stamp(self) -> bool:
        """Whether `--stamp` would date it: new without `added`, or changed in meaning
        without a `changed` date that moves on from the revision's."""
        if self.new:
            return self.claim.added is None
        changed = self.claim.changed
        return bool(self.what) and (changed is None or not moves_on(changed, self.was_changed))

    def describe(self) -> str:
        c = self.claim
        if self.new:
            return f"{c.id}: new" + (f", added {c.added}" if c.added else ", no added date")
        parts = [f"{', '.join(self.what)} changed"] if self.what else []
        if self.added_moved:
            parts.append(
                f"added {c.added or 'removed'}, but {self.was_added} at the revision "
                "(a claim is added once: put its date back)"
            )
        if self.changed_back and not self.what:
            parts.append(
                f"changed {c.changed or 'removed'}, but {self.was_changed} at the revision "
                "(a date never moves back: put it back)"
            )
        if self.what:
            date = f"changed {c.changed}" if c.changed else "no changed date"
            if c.changed is not None and self.was_changed and c.changed < self.was_changed:
                date += f" (before {self.was_changed}, the revision's)"
            elif c.changed == self.was_changed:
                date += " (not moved since the revision)"
            parts.append(date)
        return f"{c.id}: {'; '.join(parts)}"


def changes_since(kb_dir: Path, revision: str) -> tuple[ClaimChange, ...]:
    """Each claim of `kb_dir` that is new or means something else than at `revision`,
    in kb order."""
    now = load_kb(kb_dir)
    before = kb_at(kb_dir, revision)
    return tuple(compare(before, now))


def compare(before: KnowledgeBase, now: KnowledgeBase) -> Iterable[ClaimChange]:
    old = {claim.id: claim for claim in before.claims}
    works_then, works_now = works(before), works(now)
    for claim in now.claims:
        was = old.get(claim.id)
        if was is None:
            yield ClaimChange(claim, (), None, new=True)
            continue
        what = what_differs(was, works_then, claim, works_now)
        change = ClaimChange(claim, what, was.changed, new=False, was_added=was.added)
        if what or change.added_moved or change.changed_back:
            yield change


def what_differs(was: Claim, works_then: Works, claim: Claim, works_now: Works) -> tuple[str, ...]:
    """The parts of MEANING in which `claim` differs from what it `was`."""
    then, current = meaning(was, works_then), meaning(claim, works_now)
    return tuple(part for part in MEANING if differs(part, then[part], current[part]))


def changed_in_meaning(before: Topic, now: Topic) -> frozenset[str]:
    """The ids of the claims of topic `now` that `before` has too and whose meaning
    differs there (as `compare` reads it, the works each cites from its own topic)."""
    old = {claim.id: claim for claim in before.claims}
    works_then = {(before.slug, ref.number): ref for ref in before.references}
    works_now = {(now.slug, ref.number): ref for ref in now.references}
    return frozenset(
        claim.id
        for claim in now.claims
        if claim.id in old and what_differs(old[claim.id], works_then, claim, works_now)
    )


def kb_at(kb_dir: Path, revision: str) -> KnowledgeBase:
    """kb/ as git holds it at `revision`, loaded and validated.

    Its files are read out of `git archive` into memory and loaded as a tree rooted
    where kb/ is (KbTree.pending): a file that has not changed since is then found
    in the parse cache (kb/parsecache.py, kept by path and content), so comparing
    with a recent revision costs little more than a check."""
    top = _git(kb_dir, "rev-parse", "--show-toplevel").decode().strip()
    prefix = _git(kb_dir, "rev-parse", "--show-prefix").decode().strip()
    commit = _git(kb_dir, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    commit_id = commit.decode().strip()
    if prefix and not _git(Path(top), "ls-tree", "--name-only", commit_id, "--", prefix):
        raise KBError(
            f"{kb_dir}: git holds no {shown(prefix.rstrip('/'))}/ at {shown(revision)}; "
            "compare with a revision that has it"
        )
    archive = _git(Path(top), "archive", "--format=tar", commit_id, "--", prefix or ".")
    files: dict[str, bytes] = {}
    folders: set[str] = set()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            relative = member.name.removeprefix(prefix).strip("/")
            if not relative or any(part.startswith(".") for part in relative.split("/")):
                continue  # kb/ itself; hidden entries, which `ekb check` passes over too
            if member.isdir():
                folders.add(relative)
            elif member.isfile() and (data := tar.extractfile(member)) is not None:
                files[relative] = data.read()
    tree = KbTree(kb_dir, folders=frozenset(folders), pending=files)
    try:
        return load_tree(tree)
    except ValidationError as error:
        raise KBError(
            f"{kb_dir} at {shown(revision)} does not pass `ekb check` "
            f"({plural(len(error.problems), 'problem')}); compare with a revision that does"
        ) from None


def _git(where: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(where), *args], capture_output=True, check=False, timeout=600
        )
    except FileNotFoundError:
        raise KBError("git is not installed; `--since` reads kb/ from git") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        detail = shown(reason[-1]) if reason else f"git {args[0]} failed"
        if "not a git repository" in detail:
            detail = "is not in a git checkout; --since reads kb/ as git holds it"
        elif args[:2] == ("rev-parse", "--verify"):
            detail = f"no revision '{shown(args[-1].removesuffix('^{commit}'))}' in this checkout"
            if _shallow(where):
                detail += " (a shallow clone: fetch the history, e.g. `git fetch --unshallow`)"
        raise KBError(f"{where}: {detail}")
    return done.stdout


def _shallow(where: Path) -> bool:
    """Whether the checkout holds only part of its history (`git clone --depth`)."""
    try:
        return _git(where, "rev-parse", "--is-shallow-repository").strip() == b"true"
    except KBError:
        return False


def unstamped(changes: Iterable[ClaimChange]) -> list[ClaimChange]:
    return [change for change in changes if not change.dated]


@writes_kb
def stamp(kb_dir: Path, changes: tuple[ClaimChange, ...], date: str) -> list[Path]:
    """Write `date` as the `changed` date of each changed claim and the `added` date of
    each new one that has none; the claims.toml files written."""
    if fault := date_fault(date):
        raise KBError(f"--stamp {fault}")
    _check_not_back(changes, date)
    by_topic: dict[str, dict[str, str]] = {}
    for change in changes:
        key = "added" if change.new else "changed"
        if not change.to_stamp:
            continue  # dated already; or only its `added` moved, which no stamp mends
        by_topic.setdefault(change.claim.topic, {})[change.claim.id] = key
    tree = scan_kb(kb_dir)
    edited = {
        slug: _stamped(tree, f"{TOPICS_DIR}/{slug}/{CLAIMS_FILE}", ids, date)
        for slug, ids in by_topic.items()
    }
    edits = {f"{TOPICS_DIR}/{slug}/{CLAIMS_FILE}": text for slug, text in edited.items()}
    check_edits(tree, edits, "nothing stamped")
    written = []
    for slug, text in edited.items():
        path = kb_dir / TOPICS_DIR / slug / CLAIMS_FILE
        try:
            replace_file(path, text)
        except OSError as error:
            raise KBError(f"cannot write {path}: {failure_reason(error)}") from None
        written.append(path)
    return written


def _check_not_back(changes: Iterable[ClaimChange], date: str) -> None:
    """A stamp never moves a claim's `changed` date back, nor gives it one that does not
    move on from the revision's (`moves_on`, as `ekb check --since` asks)."""
    later = [
        (c.claim.id, max(filter(None, (c.claim.changed, c.was_changed))))
        for c in changes
        if c.to_stamp and not c.new
        if not moves_on(date, c.was_changed) or (c.claim.changed or "") > date
    ]
    if later:
        (claim, last), more = later[0], len(later) - 1
        others = f" (and {more} more)" if more else ""
        raise KBError(
            f"nothing stamped: {claim} was last changed {last}{others}, and {date} is not "
            "later; a stamp never moves a date back"
        )


def untrue_dates(undated: list[ClaimChange], revision: str) -> str:
    """What `ekb check --since` says of the claims whose dates are not true, and what
    mends each kind: `--stamp` dates a change; an `added` date moved is put back."""
    stamp = sum(1 for change in undated if change.to_stamp)
    back = sum(1 for change in undated if change.added_moved)
    undone = sum(1 for change in undated if change.changed_back and not change.what)
    said = []
    if stamp:
        its = "its" if stamp == 1 else "their"
        said.append(
            f"{plural(stamp, 'claim')} changed since {revision} without {its} date moving; "
            f"run `ekb changes --since {revision} --stamp YYYY-MM-DD`"
        )
    if back:
        it = "it" if back == 1 else "them"
        said.append(
            f"the added date of {plural(back, 'claim')} moved since {revision}; put {it} back"
        )
    if undone:
        it = "it" if undone == 1 else "them"
        said.append(
            f"the changed date of {plural(undone, 'claim')} moved back since {revision}; "
            f"put {it} back"
        )
    return "; and ".join(said)


def _stamped(tree: KbTree, relative: str, keys: dict[str, str], date: str) -> bytes:
    """claims.toml with `date` set as each listed claim's `added` or `changed`."""
    text = read_as_loaded(tree, relative).decode("utf-8")
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as error:
        raise KBError(f"{tree.display(relative)} cannot be edited in place ({error})") from None
    tables = document.get("claim")
    if not isinstance(tables, AoT):
        raise KBError(f"{tree.display(relative)} must write its claims as [[claim]] tables")
    for table in tables:
        key = keys.get(str(table.get("id")))
        if key is not None:
            _set(table, key, date)
    written = tomlkit.dumps(document)
    if "\r\n" in text and "\n" not in text.replace("\r\n", ""):
        written = re.sub(r"(?<!\r)\n", "\r\n", written)  # a line added ends as the others do
    return written.encode("utf-8")


def _set(table: Table, key: str, value: str) -> None:
    """Set `key`, in place if the table has it, else after its last field (before any
    comment or blank line leading into the next table)."""
    if key in table:
        table[key] = value
        return
    last = [name.key for name, _ in table.value.body if name is not None]
    table.value._insert_after(last[-1], key, tomlkit.item(value))
