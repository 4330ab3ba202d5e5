"""kb/ keeps the seed summary as imported; it must be the seed, byte for byte."""

from __future__ import annotations

import os

import pytest

from fixtures import REPO, SEED_COPY

SEED = REPO.parent / "shared" / "seeds" / "000_7edb83ebcba9957e.txt"


def test_the_kb_copy_is_the_seed() -> None:
    if not SEED.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the seed summary is missing beside the clone: {SEED}")
        pytest.skip(f"no shared seed beside this clone ({SEED})")
    assert SEED_COPY.read_bytes() == SEED.read_bytes()
