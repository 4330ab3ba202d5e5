"""Folders are replaced all at once: a failure leaves the old one exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidencekb.atomic import staged_dir


def test_success_replaces_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.mkdir()
    (target / "old.html").write_text("old")
    with staged_dir(target) as staged:
        (staged / "new.html").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["site"]
    assert target.stat().st_mode & 0o777 == 0o755


def test_failure_leaves_the_old_folder_and_no_trace(tmp_path: Path) -> None:
    target = tmp_path / "site"
    target.mkdir()
    (target / "old.html").write_text("old")
    with pytest.raises(RuntimeError), staged_dir(target) as staged:
        (staged / "half.html").write_text("half")
        raise RuntimeError("a stage failed")
    assert [p.name for p in target.iterdir()] == ["old.html"]
    assert (target / "old.html").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["site"]


def test_creates_a_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "site"
    with staged_dir(target) as staged:
        (staged / "index.html").write_text("hi")
    assert (target / "index.html").read_text() == "hi"
