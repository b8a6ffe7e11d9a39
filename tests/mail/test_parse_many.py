"""mail.parsing.many: a large batch is parsed half here, half in a helper process, with the
same readings in the same order as parsing one by one."""

from pathlib import Path

from casedesk.mail.parsing import many
from casedesk.mail.parsing.many import PARALLEL_FROM, parse_each, parse_many

CORPUS = Path(__file__).parent / "corpus" / "messages"


def _batch() -> list[bytes]:
    raws = sorted((p.read_bytes() for p in CORPUS.rglob("*.eml")), key=len)
    assert raws
    batch = [raws[i % len(raws)] for i in range(PARALLEL_FROM + 31)]
    # A message the parser refuses keeps its place as None (the size check is the caller's).
    batch[PARALLEL_FROM + 3] = b""
    return batch


def _reading(parsed) -> tuple | None:
    if parsed is None:
        return None
    return (parsed.message_id, parsed.subject, parsed.from_address, parsed.text,
            [(a.filename, a.content) for a in parsed.attachments])


def test_a_large_batch_reads_as_one_by_one_in_order() -> None:
    batch = _batch()
    expected = [_reading(p) for p in parse_each(batch)]
    assert [_reading(p) for p in parse_many(batch)] == expected
    assert expected[PARALLEL_FROM + 3] is None
    assert sum(r is None for r in expected) == 1
    # The helper was used and is kept for the next batch.
    assert many._pool is not None
    assert [_reading(p) for p in parse_many(batch)] == expected


def test_a_helper_that_cannot_take_work_leaves_the_batch_to_this_process() -> None:
    batch = _batch()
    expected = [_reading(p) for p in parse_each(batch)]
    many._helper().shutdown(wait=True)  # a helper that refuses work from now on
    assert [_reading(p) for p in parse_many(batch)] == expected
    assert many._pool is None  # forgotten: the next large batch starts a new one
    assert [_reading(p) for p in parse_many(batch)] == expected
    assert many._pool is not None


def test_a_small_batch_is_parsed_here() -> None:
    batch = _batch()[:PARALLEL_FROM - 1]
    many._forget_helper()
    assert [_reading(p) for p in parse_many(batch)] == [_reading(p) for p in parse_each(batch)]
    assert many._pool is None
