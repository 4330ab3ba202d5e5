"""`ekb build`: atomic, deterministic, with progress only on a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from evidencekb.build import build
from evidencekb.errors import ValidationError
from evidencekb.paths import DATABASE_NAME, EXPORT_NAME, INDEX_DIRNAME


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_build_writes_database_export_index_and_pages(kb_dir: Path, tmp_path: Path) -> None:
    result = build(kb_dir, tmp_path / "site")
    assert (result.topics, result.claims) == (1, 20)
    for name in (DATABASE_NAME, EXPORT_NAME, INDEX_DIRNAME, "index.html"):
        assert (tmp_path / "site" / name).exists(), name


def test_same_kb_same_bytes(kb_dir: Path, tmp_path: Path) -> None:
    build(kb_dir, tmp_path / "a")
    build(kb_dir, tmp_path / "b")
    first, second = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_a_failed_build_leaves_the_previous_site(kb_dir: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build(kb_dir, site)
    before = tree(site)
    claims = kb_dir / "topics/ketamine-pain/claims.toml"
    claims.write_text(claims.read_text().replace('section = "research"', 'section = "x"', 1))
    with pytest.raises(ValidationError):
        build(kb_dir, site)
    assert tree(site) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def run_on_terminal(*args: str) -> str:
    """Run `ekb` with a pseudo-terminal as its stdout and stderr; return what it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become `python -m evidencekb ...`
        os.execv(sys.executable, [sys.executable, "-m", "evidencekb", *args])
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.waitpid(pid, 0)
    os.close(fd)
    return output.decode("utf-8", errors="replace")


def test_progress_on_a_terminal_and_quiet(kb_dir: Path, tmp_path: Path) -> None:
    shown = run_on_terminal("build", "--kb", str(kb_dir), "--site-dir", str(tmp_path / "a"))
    assert "database: 20/20" in shown
    assert f"Built {tmp_path / 'a'}/ from 1 topic and 20 claims." in shown
    quiet = run_on_terminal(
        "build", "--quiet", "--kb", str(kb_dir), "--site-dir", str(tmp_path / "b")
    )
    assert quiet == ""


def test_no_progress_when_not_a_terminal(kb_dir: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "evidencekb", "build", "--kb", str(kb_dir), "--site-dir",
         str(tmp_path / "site")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stderr == ""
    assert result.stdout == f"Built {tmp_path / 'site'}/ from 1 topic and 20 claims.\n"
