"""`ekb init`: a new, empty knowledge base that `ekb check` passes and `ekb build` builds.

It holds the schemes every knowledge base shares (strength.toml, strength.md,
stance.toml: the package's copies of the repository's, which a test keeps equal),
empty vocabularies, a README and an empty topics/ folder: what an editor starts
from without copying another knowledge base.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from evidencekb.atomic import staged_dir
from evidencekb.errors import KBError
from evidencekb.paths import TOPICS_DIR

STARTER = resources.files("evidencekb.kb") / "starter"


def init_kb(target: Path) -> tuple[str, ...]:
    """Write the starter knowledge base into `target` (new, or an empty folder), all
    at once; the files written, relative to it."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise KBError(f"{target} is not a folder; give a new folder for the knowledge base")
    if target.is_dir() and any(target.iterdir()):
        raise KBError(
            f"{target} is not empty; ekb init starts a knowledge base in a new or empty folder"
        )
    written: list[str] = []
    try:
        with staged_dir(target) as staged:
            _copy(STARTER, staged, "", written)
            (staged / TOPICS_DIR).mkdir()
    except OSError as error:
        raise KBError(f"cannot write {target}: {error.strerror or error}") from None
    return tuple(written)


def _copy(source: Traversable, folder: Path, prefix: str, written: list[str]) -> None:
    for item in sorted(source.iterdir(), key=lambda entry: entry.name):
        if item.name.startswith((".", "__")):
            continue
        if item.is_dir():
            (folder / item.name).mkdir()
            _copy(item, folder / item.name, f"{prefix}{item.name}/", written)
        else:
            (folder / item.name).write_bytes(item.read_bytes())
            written.append(f"{prefix}{item.name}")
