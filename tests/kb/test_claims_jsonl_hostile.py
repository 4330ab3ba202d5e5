"""`ekb import --format claims-jsonl` given what no pipeline should write: every line
that cannot be used is one problem at its line (no traceback), a work cited twice by
one claim is one citation, and a write that fails is one `Error:` line that leaves
kb/ as it was."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidencekb.errors import KBError, ValidationError
from evidencekb.kb.claims_jsonl import import_claims_jsonl
from evidencekb.kb.load import load_kb
from fixtures import REPO

SAMPLE = REPO / "tests" / "data" / "evidence-sample.jsonl"


def sample_lines() -> list[dict[str, object]]:
    return [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def test_lines_no_parser_survives_are_problems_at_their_line(kb_dir: Path, tmp_path: Path) -> None:
    claim = {**sample_lines()[0], "evidence": []}
    path = tmp_path / "odd.jsonl"
    lines = [
        '{"type": "claim", "citations": [' + "9" * 5000 + "]}",
        "[" * 100_000 + "]" * 100_000,
        json.dumps({**claim, "id": "scifact-x", "text": "A lone \ud800 surrogate."}),
        json.dumps({**claim, "id": "scifact-y", "heading": "\u001b[2J cleared"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        import_claims_jsonl(kb_dir, path, "odd")
    assert [str(problem) for problem in caught.value.problems] == [
        f"{path}:1: not usable JSON: a whole number of 5000 digits is too long",
        f"{path}:2: not usable JSON: nested too deeply",
        f"{path}:3: field 'text' contains U+D800, a lone surrogate that is no character; remove it",
        f"{path}:4: field 'heading' contains the control character U+001B; remove it",
    ]
    assert not (kb_dir / "topics" / "odd").exists()


def test_a_work_cited_twice_by_one_claim_is_one_citation(kb_dir: Path, tmp_path: Path) -> None:
    """SciFact's validation claim 1245 lists one abstract twice: the import keeps one
    link, with its stance once; two different stances for it are a problem."""
    lines = sample_lines()
    claim = lines[0]
    cited = claim["citations"]
    assert isinstance(cited, list) and isinstance(claim["evidence"], list)
    twice = {**claim, "citations": [*cited, cited[0]], "evidence": [*claim["evidence"]] * 2}
    path = tmp_path / "twice.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in [twice, *lines[1:]]) + "\n")
    import_claims_jsonl(kb_dir, path, "twice")
    kb = load_kb(kb_dir)
    (imported,) = [c for c in kb.claims if c.id == claim["id"]]
    assert list(imported.citations) == cited
    assert len(imported.citation_evidence) == len(cited)
    other = {"citation": cited[0], "stance": "no-evidence"}
    differing = {**twice, "evidence": [*claim["evidence"], other]}
    path.write_text("\n".join(json.dumps(line) for line in [differing, *lines[1:]]) + "\n")
    with pytest.raises(ValidationError) as caught:
        import_claims_jsonl(kb_dir, path, "differing")
    assert [problem.message for problem in caught.value.problems] == [
        f"evidence 2: citation {cited[0]} already has a stance, and this one differs; "
        "give each cited work one"
    ]


def test_a_full_disk_is_one_error_line_and_no_debris(kb_dir: Path) -> None:
    def small_files() -> None:  # writes past 512 bytes fail with EFBIG, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))

    result = subprocess.run(
        [sys.executable, "-m", "evidencekb", "import", str(SAMPLE), "--format", "claims-jsonl",
         "--topic", "sample", "--kb", str(kb_dir)],
        capture_output=True, text=True, timeout=60, preexec_fn=small_files,
    )  # fmt: skip
    topic = kb_dir / "topics" / "sample"
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: cannot write {topic}: File too large\n",
    )
    assert sorted(p.name for p in topic.parent.iterdir()) == ["ketamine-pain"]


def test_a_file_name_that_is_not_utf8_is_one_error_line(kb_dir: Path, tmp_path: Path) -> None:
    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/sci\xff.jsonl"))
    path.write_bytes(SAMPLE.read_bytes())
    result = subprocess.run(
        [sys.executable, "-m", "evidencekb", "import", str(path), "--format", "claims-jsonl",
         "--topic", "sample", "--kb", str(kb_dir)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {tmp_path}/sci\\udcff.jsonl: the file name contains U+DCFF, a lone surrogate "
        "that is no character; remove it\n",
    )


# -- import => check, over generated claims-jsonl files ---------------------------------

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=5,
)
FAIR_TEXT = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=20
).filter(str.strip)


def mostly(fair: st.SearchStrategy[Any], wild: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`fair` 19 times in 20, else `wild`: many files get far enough to be written."""
    # Not a boundary of the range: Hypothesis draws those far more often.
    return st.integers(0, 19).flatmap(lambda n: wild if n == 7 else fair)


@st.composite
def claims_files(draw: st.DrawFn) -> list[Any]:
    """Works 1 and 2 and claims citing them, any field now and then holding anything."""
    lines: list[Any] = []
    for number in (1, 2):
        work = {"type": "work", "number": draw(mostly(st.just(number), JSON_VALUE))}
        work["title"] = draw(mostly(FAIR_TEXT, JSON_VALUE))
        work["sentences"] = draw(mostly(st.lists(FAIR_TEXT, min_size=1, max_size=2), JSON_VALUE))
        if draw(st.booleans()):
            work["url"] = draw(mostly(st.just("https://example.org/"), st.just("http://[::1")))
        lines.append(work)
    for _ in range(draw(st.integers(1, 3))):
        # Each work cited (else: "work 2 is not cited"), now and then twice or not at all.
        citations = mostly(st.sampled_from([[1, 2], [2, 1, 2]]), st.sampled_from([[], [1]]))
        cited = draw(mostly(citations, JSON_VALUE))
        claim = {
            "type": "claim",
            "text": draw(mostly(FAIR_TEXT, ANY_TEXT)),
            "section": draw(mostly(st.sampled_from(["research", "guidelines"]), ANY_TEXT)),
            "citations": cited,
        }
        if draw(st.booleans()):
            claim["heading"] = draw(mostly(FAIR_TEXT, JSON_VALUE))
        if isinstance(cited, list) and cited and draw(st.booleans()):
            stance = draw(mostly(st.sampled_from(["supports", "contradicts"]), JSON_VALUE))
            claim["evidence"] = [{"citation": cited[0], "stance": stance}]
        lines.append(claim)
    if draw(st.integers(0, 9)) == 7:
        lines.insert(draw(st.integers(0, len(lines))), draw(JSON_VALUE))
    return lines


@settings(max_examples=40, deadline=None)
@given(lines=claims_files())
def test_import_succeeds_only_if_check_then_passes(lines: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        kb_dir = Path(scratch) / "kb"
        shutil.copytree(REPO / "kb", kb_dir)
        source = Path(scratch) / "in.jsonl"
        text = "\n".join(json.dumps(line) for line in lines) + "\n"
        source.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            import_claims_jsonl(kb_dir, source, "generated")
        except KBError:
            assert not (kb_dir / "topics" / "generated").exists()
            return
        load_kb(kb_dir)


def test_reads_that_would_never_end_are_refused(kb_dir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.jsonl"
    zero.symlink_to("/dev/zero")
    for path, kind in ((fifo, "a FIFO (named pipe)"), (zero, "a character device")):
        result = subprocess.run(
            [sys.executable, "-m", "evidencekb", "import", str(path), "--format",
             "claims-jsonl", "--topic", "sample", "--kb", str(kb_dir)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert (result.returncode, result.stderr) == (
            1,
            f"Error: {path}: is {kind}, not a regular file\n",
        )
