"""Static files are compressed once: a restart reuses what the last `collectstatic` made
from the same content, and a changed file is compressed again."""

import gzip
import os
from pathlib import Path

from casedesk.core.static_storage import _OnceCompressor, compressed_up_to_date


def test_a_file_is_compressed_once_and_again_when_it_changes(tmp_path: Path) -> None:
    source = tmp_path / "app.js"
    source.write_text("console.log('first');\n" * 200)
    compressor = _OnceCompressor(quiet=True)
    made = compressor.compress(str(source))
    assert sorted(Path(p).suffix for p in made) == [".br", ".gz"]
    assert compressed_up_to_date(str(source)) == [str(source) + ".br", str(source) + ".gz"]

    stamp = os.stat(str(source) + ".gz").st_mtime_ns
    assert compressor.compress(str(source)) == made
    assert os.stat(str(source) + ".gz").st_mtime_ns == stamp  # not written again

    source.write_text("console.log('second');\n" * 200)  # collectstatic copies a change
    os.utime(source, (1_900_000_000, 1_900_000_000))
    assert compressed_up_to_date(str(source)) == []
    compressor.compress(str(source))
    assert b"second" in gzip.decompress((tmp_path / "app.js.gz").read_bytes())


def test_a_file_without_compressed_versions_is_not_up_to_date(tmp_path: Path) -> None:
    (tmp_path / "tiny.css").write_text("a{}")
    assert compressed_up_to_date(str(tmp_path / "tiny.css")) == []
    assert compressed_up_to_date(str(tmp_path / "missing.css")) == []
