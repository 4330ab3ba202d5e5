"""Reading kb/ stays inside kb/: links out, FIFOs, devices, broken links, unreadable
and non-UTF-8 files are problems naming the path, for `ekb check` and the search
index's fingerprint alike, and nothing outside kb/ is ever read."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import tempfile
from pathlib import Path

import pytest

from evidencekb.errors import ValidationError
from evidencekb.kb.files import KbFileError, scan_kb
from evidencekb.kb.fingerprint import kb_fingerprint
from evidencekb.kb.load import load_kb, load_tree
from fixtures import ekb_here

TOPIC = "topics/ketamine-pain"


def problems(kb_dir: Path) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        load_kb(kb_dir)
    return [str(p).removeprefix(f"{kb_dir}/") for p in caught.value.problems]


def fingerprint_problems(kb_dir: Path) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        kb_fingerprint(kb_dir)
    return [str(p).removeprefix(f"{kb_dir}/") for p in caught.value.problems]


def test_nothing_but_regular_files_and_folders_inside_kb(kb_dir: Path) -> None:
    (kb_dir / TOPIC / "overview.md").unlink()
    (kb_dir / TOPIC / "overview.md").symlink_to("/etc/passwd")
    (kb_dir / "vocabulary" / "zero").symlink_to("/dev/zero")
    os.mkfifo(kb_dir / "notes")
    (kb_dir / "dangling").symlink_to("nowhere")
    (kb_dir / "self").symlink_to("self")
    (kb_dir / "topics" / "loop").symlink_to("..")
    expected = [
        "dangling:1: is a symbolic link to nowhere, which does not exist; "
        "remove it or replace it with the file",
        "notes:1: is a FIFO (named pipe); kb/ may hold only regular files and folders",
        "self:1: is a symbolic link that loops; replace it with the file",
        f"{TOPIC}/overview.md:1: is a symbolic link to /etc/passwd, outside the knowledge "
        "base folder; kb/ may link only to files inside it",
        "topics/loop:1: is a symbolic link to a folder that contains it (a loop)",
        "vocabulary/zero:1: is a symbolic link to /dev/zero, outside the knowledge base "
        "folder; kb/ may link only to files inside it",
    ]
    assert problems(kb_dir) == expected
    # The search index's freshness check walks kb/ the same way: it never hangs on
    # the FIFO or /dev/zero, and never hashes /etc/passwd.
    assert fingerprint_problems(kb_dir) == expected


def test_links_that_stay_inside_kb_are_followed(kb_dir: Path) -> None:
    overview = kb_dir / TOPIC / "overview.md"
    overview.unlink()
    overview.symlink_to("../../strength.md")
    kb = load_kb(kb_dir)
    assert kb.topics[0].overview_md == (kb_dir / "strength.md").read_text(encoding="utf-8")


def test_a_file_swapped_after_the_walk_is_not_read(kb_dir: Path) -> None:
    tree = scan_kb(kb_dir)
    overview = kb_dir / TOPIC / "overview.md"
    overview.unlink()
    overview.symlink_to("/etc/passwd")
    with pytest.raises(KbFileError) as caught:
        tree.read(f"{TOPIC}/overview.md")
    assert str(caught.value) == (
        f"{overview}:1: changed while kb/ was being read; run the command again"
    )


def test_a_file_that_cannot_be_opened_is_a_problem(kb_dir: Path) -> None:
    """Simulated: the suite runs as root, which may open a mode-000 file, so this
    removes files between the walk and the read instead. open() then fails in the
    same place (ENOENT rather than EACCES) and must give the same kind of problem,
    both for a file the loader reads and for one it only checks is readable.
    test_an_unreadable_file_is_a_problem below runs the real case as non-root."""
    tree = scan_kb(kb_dir)
    (kb_dir / TOPIC / "overview.md").unlink()
    (kb_dir / "README.md").unlink()
    with pytest.raises(ValidationError) as caught:
        load_tree(tree)
    assert [str(p).removeprefix(f"{kb_dir}/") for p in caught.value.problems] == [
        "README.md:1: cannot be read (No such file or directory); make it a readable file",
        f"{TOPIC}/overview.md:1: cannot be read (No such file or directory); "
        "make it a readable file",
    ]


def problems_as_nobody(kb_dir: Path) -> list[str]:
    """`problems(kb_dir)` as an unprivileged user: root reads a mode-000 file, so as
    root (CI) a forked child gives up its rights first. kb/ is copied where that user
    can reach it; the child reports back through a pipe."""
    if os.geteuid() != 0:
        return problems(kb_dir)
    nobody = pwd.getpwnam("nobody")
    reachable = Path(tempfile.mkdtemp(prefix="ekb-nobody-"))
    try:
        reachable.chmod(0o755)
        copy = reachable / "kb"
        shutil.copytree(kb_dir, copy, copy_function=shutil.copy)  # keeps the modes
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # the child must never return into pytest
            status = 1
            try:
                os.close(read_end)
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
                os.write(write_end, json.dumps(problems(copy)).encode())
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            reported = pipe.read()
        assert os.waitpid(child, 0)[1] == 0
        return [str(line) for line in json.loads(reported)]
    finally:
        shutil.rmtree(reachable)


def test_an_unreadable_file_or_folder_is_one_problem(kb_dir: Path) -> None:
    (kb_dir / "strength.md").chmod(0)
    (kb_dir / "vocabulary").chmod(0)
    assert problems_as_nobody(kb_dir) == [
        "strength.md:1: cannot be read (Permission denied); make it a readable file",
        "vocabulary:1: cannot be read (Permission denied); make it a readable folder",
    ]


def test_text_that_is_not_utf8_is_a_problem_at_its_line(kb_dir: Path) -> None:
    (kb_dir / "strength.md").write_bytes(b"# Strength\n\nOne \xe9t\xe9 of evidence.\n")
    overview = kb_dir / TOPIC / "overview.md"
    overview.write_bytes(overview.read_bytes() + b"\xff\n")
    last = overview.read_bytes().count(b"\n")
    claims = kb_dir / TOPIC / "claims.toml"
    claims.write_bytes(b"\xc3" + claims.read_bytes())
    assert problems(kb_dir) == [
        "strength.md:3: not UTF-8 text: byte 0xe9 at column 5 is not part of a UTF-8 "
        "character; save the file as UTF-8",
        f"{TOPIC}/claims.toml:1: not UTF-8 text: byte 0xc3 at column 1 is not part of a "
        "UTF-8 character; save the file as UTF-8",
        f"{TOPIC}/overview.md:{last}: not UTF-8 text: byte 0xff at column 1 is not part "
        "of a UTF-8 character; save the file as UTF-8",
    ]


def test_a_folder_where_a_file_is_expected(kb_dir: Path) -> None:
    for name in ("overview.md", "references.toml", "topic.toml"):
        (kb_dir / TOPIC / name).unlink()
        (kb_dir / TOPIC / name).mkdir()
    (kb_dir / TOPIC / "topic.toml" / "x.toml").write_text("", encoding="utf-8")
    assert problems(kb_dir) == [
        f"{TOPIC}/overview.md:1: is a folder; overview.md must be a file",
        f"{TOPIC}/references.toml:1: is a folder; references.toml must be a file",
        f"{TOPIC}/topic.toml:1: is a folder; topic.toml must be a file",
    ]


def test_a_file_where_a_topic_folder_is_expected(kb_dir: Path) -> None:
    """Else the kb would pass its check without the topic, and the site lose its pages."""
    shutil.rmtree(kb_dir / TOPIC)
    (kb_dir / TOPIC).write_text("hello\n", encoding="utf-8")
    assert problems(kb_dir) == [
        f"{TOPIC}:1: is a file; each topic is a folder (topics/SLUG/claims.toml, ...)"
    ]


def test_a_name_that_is_not_utf8_is_one_problem_named_in_its_bytes(kb_dir: Path) -> None:
    """Every kb/ path is hashed and shown as UTF-8: such a name was a traceback."""
    (kb_dir / TOPIC / os.fsdecode(b"n\xffame.txt")).write_text("", encoding="utf-8")
    (kb_dir / "topics" / os.fsdecode(b"x\xff")).mkdir()
    assert problems(kb_dir) == [
        f"{TOPIC}/n\\xffame.txt:1: its name is not UTF-8 text; rename it",
        "topics/x\\xff:1: its name is not UTF-8 text; rename it",
    ]
    ran = ekb_here("build", "--kb", str(kb_dir), "--site-dir", str(kb_dir.parent / "site"))
    assert ran.exit_code == 1 and "Traceback" not in ran.stderr
    assert ran.stderr.splitlines()[-1] == "Error: 2 problems found"


def test_the_fingerprint_of_a_plain_kb_is_unchanged_by_the_walker(kb_dir: Path) -> None:
    """The walker hashes the same files, in the same order, as the os.walk it replaced:
    their paths and bytes, then their paths and sizes (the shape)."""
    from evidencekb.hashing import content_hash

    digest, shape = content_hash(), content_hash()
    for path in sorted(p.relative_to(kb_dir).as_posix() for p in kb_dir.rglob("*") if p.is_file()):
        data = (kb_dir / path).read_bytes()
        digest.update(path.encode("utf-8") + b"\0" + str(len(data)).encode("ascii") + b"\0")
        digest.update(data)
        shape.update(path.encode("utf-8") + b"\0" + str(len(data)).encode("ascii") + b"\0")
    assert kb_fingerprint(kb_dir).digest == f"{digest.hexdigest()}-{shape.hexdigest()}"


def test_a_refused_folder_is_one_problem_not_one_per_file_or_claim(
    kb_dir: Path, tmp_path: Path
) -> None:
    """A vocabulary folder that cannot be read hides its files: they are not also
    "missing", and no claim's category or entity is "unknown" because of it."""
    outside = tmp_path / "elsewhere"
    (kb_dir / "vocabulary").rename(outside)
    (kb_dir / "vocabulary").symlink_to(outside)
    assert problems(kb_dir) == [
        f"vocabulary:1: is a symbolic link to {outside}, outside the knowledge base "
        "folder; kb/ may link only to files inside it"
    ]


@pytest.mark.parametrize("name", ["vocabulary/categories.toml", "vocabulary/entities.toml"])
def test_a_broken_vocabulary_is_one_problem(kb_dir: Path, name: str) -> None:
    path = kb_dir / name
    path.write_text(path.read_text(encoding="utf-8") + "[[[\n", encoding="utf-8")
    line = path.read_text(encoding="utf-8").count("\n")
    assert problems(kb_dir) == [
        f"{name}:{line}: TOML syntax error: Invalid initial character for a key part"
    ]


def test_a_broken_strength_scheme_is_one_problem(kb_dir: Path) -> None:
    (kb_dir / "strength.toml").write_text('hedging_words = ["may"]\n', encoding="utf-8")
    assert problems(kb_dir) == ["strength.toml:1: no [[level]] tables: define the strength levels"]
