"""The one hash every content key and fingerprint is made with: BLAKE2b, short.

Stdlib only, and nothing else here: `ekb search` checks kb/'s fingerprint with it
(kb/fingerprint.py) and never loads the build's modules (reuse.py, which offers
these to the stages).
"""

from __future__ import annotations

import hashlib

KEY_BYTES = 10  # 80 bits: a key names a part's content among a site's ~10^5 parts


def content_hash(digest_size: int = KEY_BYTES) -> hashlib.blake2b:
    """A new hash of the kind every content key is made with, `digest_size` bytes long:
    for a key made as a stream of parts, where `content_key` would need them all at once."""
    return hashlib.blake2b(digest_size=digest_size)


def content_key(*parts: str | bytes) -> str:
    """A short hash of `parts`, each length-prefixed so that no two lists collide: the
    key of a site's part, a cache entry or a content's version, wherever one is made."""
    digest = content_hash()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(f"{len(data)}:".encode("ascii"))
        digest.update(data)
    return digest.hexdigest()
