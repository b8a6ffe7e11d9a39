"""Where an item of an ordered list goes."""

from hypothesis import given
from hypothesis import strategies as st

from casedesk.core.ordering import moved, placed


def test_placed_takes_the_item_out_and_clamps_the_position() -> None:
    assert placed([1, 2, 3], 3, 0) == [3, 1, 2]
    assert placed([1, 2, 3], 1, 99) == [2, 3, 1]
    assert placed([1, 2], 4, -5) == [4, 1, 2]


def test_moved_swaps_one_place_or_says_it_cannot() -> None:
    assert moved([1, 2, 3], 2, "up") == ([2, 1, 3], 0)
    assert moved([1, 2, 3], 2, "down") == ([1, 3, 2], 2)
    assert moved([1, 2, 3], 1, "up") is None
    assert moved([1, 2, 3], 3, "down") is None
    assert moved([1, 2, 3], 2, "sideways") is None


@given(st.lists(st.integers(), min_size=1, unique=True).flatmap(
    lambda order: st.tuples(st.just(order), st.sampled_from(order), st.integers(-3, 30))))
def test_placed_keeps_every_item_once(case: tuple[list[int], int, int]) -> None:
    order, item, position = case
    result = placed(order, item, position)
    assert sorted(result) == sorted(order)
    assert result.index(item) == max(0, min(position, len(order) - 1))
