"""A site folder that is a mount point (a tmpfs, a Docker volume, a bind mount), which
nothing can be renamed over or moved across: `ekb build` stages inside it and updates
it in place, with a full build's bytes, and leaves no debris; a writer that would
replace a folder whole says it cannot, in one line.

These tests mount filesystems, which takes privileges a container may not give: where
`mount` is refused they are skipped, saying so."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from evidencekb.atomic import is_mount_point
from evidencekb.build import build
from evidencekb.paths import BUILD_MANIFEST_NAME, index_dir
from fixtures import folder_bytes, reword
from test_incremental import files, rebuild_and_compare
from test_site_dir import ekb

Mount = Callable[..., Path]


@pytest.fixture
def mount() -> Iterator[Mount]:
    """mount(folder): a 64 MB tmpfs at `folder`; mount(folder, source): `source` bound
    there. Each is unmounted after the test."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command here")
    mounted: list[Path] = []

    def mounting(folder: Path, source: Path | None = None) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        how = ["--bind", str(source)] if source else ["-t", "tmpfs", "-o", "size=64m", "tmpfs"]
        done = subprocess.run(["mount", *how, str(folder)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a filesystem here: {done.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mounting
    for folder in reversed(mounted):
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def test_the_mount_table_knows_a_bind_mount_the_device_numbers_do_not(
    mount: Mount, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    tmpfs = mount(tmp_path / "tmpfs")
    # Bound from the filesystem it sits in: os.path.ismount sees the same device.
    bound = mount(tmp_path / "a site\twith blanks", tmp_path / "plain")
    assert [is_mount_point(folder) for folder in (plain, tmpfs, bound)] == [False, True, True]


def test_a_build_into_a_mount_point_has_a_full_builds_bytes_first_and_after_an_edit(
    mount: Mount, kb_dir: Path, tmp_path: Path
) -> None:
    site = mount(tmp_path / "site")
    result = ekb("build", "-q", "--kb", str(kb_dir), "--site-dir", str(site))
    assert (result.returncode, result.stderr) == (0, "")
    rebuild_and_compare(kb_dir, site, tmp_path / "scratch")  # nothing changed: all kept
    reword(kb_dir, "particularly for patients", "particularly for adults")
    kept, written = rebuild_and_compare(kb_dir, site, tmp_path / "scratch")
    assert kept and written  # updated in place, not written whole
    assert (site / BUILD_MANIFEST_NAME).is_file()
    # Nothing of the writer's is left: inside the mount (files() lists every folder
    # too) or beside it, where a build keeps its index and locks.
    assert not [name for name in files(site) if name.startswith(".site.")]
    index = index_dir(site).name
    beside = {path.name for path in tmp_path.iterdir()}
    assert beside == {"kb", "scratch", "site", ".site.lock", index, f".{index}.lock"}


def test_a_first_build_killed_inside_a_mount_point_leaves_debris_the_next_removes(
    mount: Mount, kb_dir: Path, tmp_path: Path
) -> None:
    site = mount(tmp_path / "site")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evidencekb",
            "build",
            "-q",
            "--kb",
            str(kb_dir),
            "--site-dir",
            str(site),
        ],
        start_new_session=True,  # its workers are killed with it
    )
    while not list(site.glob(".site.tmp-*")):
        assert process.poll() is None, "the build ended before it was seen staging"
        time.sleep(0.001)
    subprocess.run(["pkill", "-KILL", "-s", str(process.pid)], check=False)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    left = [path.name for path in site.iterdir()]
    assert left and all(name.startswith(".site.tmp-") for name in left)
    # The killed build's staging is not content: the mount still counts as empty.
    result = ekb("build", "-q", "--kb", str(kb_dir), "--site-dir", str(site))
    assert (result.returncode, result.stderr) == (0, "")
    build(kb_dir, tmp_path / "ordinary", full=True)
    assert folder_bytes(site) == folder_bytes(tmp_path / "ordinary")
    assert not list(site.glob(".site.*"))


def test_an_update_decided_inside_a_mount_point_is_finished_by_the_next_build(
    mount: Mount, kb_dir: Path, tmp_path: Path
) -> None:
    site = mount(tmp_path / "site")
    build(kb_dir, site)
    pending = site / ".site.commit"  # as a build stopped after its decision leaves it
    pending.mkdir()
    (pending / "index.html").write_text("a page from the stopped build")
    shutil.copyfile(site / BUILD_MANIFEST_NAME, pending / BUILD_MANIFEST_NAME)
    (site / ".site.commit.removed").write_text('["about.html"]')
    rebuild_and_compare(kb_dir, site, tmp_path / "scratch")
    assert not pending.exists() and not (site / ".site.commit.removed").exists()


def test_a_folder_replaced_whole_is_refused_where_it_is_a_mount_point(
    mount: Mount, tmp_path: Path
) -> None:
    kb = mount(tmp_path / "kb")
    result = ekb("init", str(kb))
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: cannot replace {kb} whole: it is a mount point, which cannot be renamed; "
        "choose a folder inside it\n",
    )
    assert list(kb.iterdir()) == []
