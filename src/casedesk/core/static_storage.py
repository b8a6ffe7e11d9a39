"""`STORAGES["staticfiles"]`: whitenoise's compressed static files, compressed once.

Whitenoise compresses every collected file on every `collectstatic`, changed or not: with
the API docs' bundles and their source maps that is some 16 s of CPU at each `casedesk
serve` start. A file whose `.br`/`.gz` already carry its modification time (whitenoise
stamps them so) was compressed from exactly this content; `collectstatic` gives a changed
file a new time.
"""

import os
from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedStaticFilesStorage

SUFFIXES = (".br", ".gz")


def compressed_up_to_date(path: str) -> list[str]:
    """The compressed versions of `path` made from its current content; [] when there is
    none or one is older or newer than the file."""
    try:
        mtime = os.stat(path).st_mtime
        found = [path + s for s in SUFFIXES if os.path.exists(path + s)]
        if found and all(os.stat(name).st_mtime == mtime for name in found):
            return found
    except OSError:
        pass
    return []


class _OnceCompressor(Compressor):  # type: ignore[misc]  # whitenoise has no type hints
    def compress(self, path: str) -> list[str]:
        return compressed_up_to_date(path) or list(super().compress(path))


class StaticFilesStorage(CompressedStaticFilesStorage):  # type: ignore[misc]  # as above
    def create_compressor(self, **kwargs: Any) -> Compressor:
        return _OnceCompressor(**kwargs)
