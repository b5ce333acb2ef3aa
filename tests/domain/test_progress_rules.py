"""The progress rules: examples a reader would recognise, then properties over arbitrary sequences of syncs."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.progress_rules import AudibleState, BookState, LinkChange, leading_change, next_book_state
from domain.tracker_profile import DNF, FINISHED, READING, TO_READ

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc)
TWO_YEARS_AGO = NOW - timedelta(days=730)


def audible(percent, finished=False) -> AudibleState:
    return AudibleState(Decimal(str(percent)), finished)


def first_sight(state: AudibleState, mapping_id: int = 1) -> LinkChange:
    return LinkChange(mapping_id, None, state)


def change(before: AudibleState, after: AudibleState, mapping_id: int = 1) -> LinkChange:
    return LinkChange(mapping_id, before, after)


# --- examples ---------------------------------------------------------------------------------


def test_a_book_at_10_percent_stays_at_10_when_first_linked_to_a_title_not_started():
    book = BookState(READING, Decimal(10), started_at=TWO_YEARS_AGO)
    assert next_book_state(book, [first_sight(audible(0))], NOW) == book


def test_a_book_at_55_percent_is_not_lowered_to_20_by_a_new_link():
    book = BookState(READING, Decimal(55))
    after = next_book_state(book, [first_sight(audible(20))], NOW)
    assert after.progress == 55 and after.status == READING


def test_a_book_at_55_percent_is_not_lowered_while_audible_moves_forward_behind_it():
    book = BookState(READING, Decimal(55))
    assert next_book_state(book, [change(audible(20), audible(25))], NOW).progress == 55


def test_a_restart_on_audible_lowers_the_book():
    book = BookState(READING, Decimal(80))
    assert next_book_state(book, [change(audible(80), audible(5))], NOW).progress == 5


def test_a_title_first_seen_finished_keeps_the_finish_date_and_invents_no_start():
    book = BookState(TO_READ, None, started_at=None, finished_at=TWO_YEARS_AGO)
    after = next_book_state(book, [first_sight(audible(100, True))], NOW)
    assert after == BookState(FINISHED, Decimal(100), None, TWO_YEARS_AGO)


def test_finishing_sets_the_finish_date_once_and_after_the_start():
    started = NOW - timedelta(days=3)
    book = BookState(READING, Decimal(90), started_at=started)
    after = next_book_state(book, [change(audible(90), audible(100, True))], NOW)
    assert after == BookState(FINISHED, Decimal(100), started, NOW)


def test_an_abandoned_book_stays_abandoned_on_first_sight_and_resumes_when_listened_again():
    book = BookState(DNF, Decimal(9))
    assert next_book_state(book, [first_sight(audible(9))], NOW) == book
    assert next_book_state(book, [first_sight(audible(100, True))], NOW) == book
    resumed = next_book_state(book, [change(audible(9), audible(15))], NOW)
    assert resumed.status == READING and resumed.progress == 15


def test_a_finished_book_stays_finished_while_audible_catches_up_and_reopens_on_a_restart():
    book = BookState(FINISHED, Decimal(100), finished_at=TWO_YEARS_AGO)
    assert next_book_state(book, [change(audible(50), audible(60))], NOW) == book
    restarted = next_book_state(book, [change(audible(100, True), audible(3))], NOW)
    assert restarted.status == READING and restarted.progress == 3
    # A reread keeps the old dates: a later start would come after the old finish.
    assert restarted.finished_at == TWO_YEARS_AGO and restarted.started_at is None


def test_several_links_the_most_advanced_change_of_the_sync_leads_and_order_does_not_matter():
    book = BookState(TO_READ, None)
    changes = [
        change(audible(10), audible(30), 1),
        change(audible(40), audible(45), 2),
        first_sight(audible(0), 3),
    ]
    for order in itertools.permutations(changes):
        assert next_book_state(book, list(order), NOW).progress == 45
    assert leading_change(changes).mapping_id == 2
    finished = change(audible(99), audible(100, True), 4)
    assert leading_change([*changes, finished]) is finished


# --- properties over sequences of syncs --------------------------------------------------------

percents = st.decimals(min_value=0, max_value=100, places=2)
audible_states = st.builds(AudibleState, percents, st.booleans()).map(
    lambda s: AudibleState(Decimal(100), True) if s.is_finished and s.percent > 99 else s
)
statuses = st.sampled_from([TO_READ, READING, FINISHED, DNF, None])
optional_percents = st.none() | percents
moments = st.none() | st.integers(min_value=-2000, max_value=-1).map(lambda d: NOW + timedelta(days=d))


@st.composite
def books(draw):
    started, finished = draw(moments), draw(moments)
    if started and finished and started > finished:
        started, finished = finished, started
    return BookState(draw(statuses), draw(optional_percents), started, finished)


# Each sync: for every one of up to three links, a new Audible state or none (unchanged).
syncs = st.lists(st.lists(st.none() | audible_states, min_size=3, max_size=3), min_size=1, max_size=8)


def _not_later(a, b) -> bool:
    return a is None or b is None or a <= b


def _check_step(before: BookState, after: BookState, changes: list[LinkChange], now: datetime) -> None:
    lead = leading_change(changes)
    # First sight of a not-started title (and no change at all) leaves the book alone.
    if lead is None:
        assert after == before
        return
    # The book depends only on the leading change, and on no order.
    assert after == next_book_state(before, [lead], now)
    assert after == next_book_state(before, list(reversed(changes)), now)
    # Progress never lowered except when Audible's own value went down: then it is Audible's.
    if before.progress is not None:
        assert after.progress is not None
        if after.progress < before.progress:
            assert lead.went_down and after.progress == lead.current.percent
    assert after.progress is None or 0 <= after.progress <= 100
    # Only the sync's own words are written, and only when the state moved.
    assert after.status in {before.status, READING, FINISHED}
    # A verdict stays unless Audible shows listening after it.
    if before.status in (FINISHED, DNF) and after.status != before.status:
        previous = lead.previous
        assert previous is not None
        evidence = lead.current.is_finished or lead.went_down or previous.is_finished
        if before.status == DNF:
            evidence = evidence or lead.current.percent != previous.percent
        assert evidence
    # Dates: never moved once set, never in the wrong order, never a start for a title first seen finished.
    if before.started_at is not None:
        assert after.started_at == before.started_at
    if before.finished_at is not None:
        assert after.finished_at == before.finished_at
    if _not_later(before.started_at, before.finished_at):
        assert _not_later(after.started_at, after.finished_at)
    if lead.first_sight and lead.current.is_finished:
        assert after.started_at == before.started_at


@settings(max_examples=300, deadline=None)
@given(book=books(), history=syncs)
def test_rules_hold_over_arbitrary_sequences_of_syncs(book, history):
    recorded: dict[int, AudibleState | None] = {1: None, 2: None, 3: None}
    now = NOW
    for step in history:
        now += timedelta(hours=1)
        changes = [
            LinkChange(mapping_id, recorded[mapping_id], state)
            for mapping_id, state in zip((1, 2, 3), step, strict=True)
            if state is not None and state != recorded[mapping_id]
        ]
        after = next_book_state(book, changes, now)
        _check_step(book, after, changes, now)
        for c in changes:
            recorded[c.mapping_id] = c.current
        book = after


@settings(max_examples=200, deadline=None)
@given(book=books(), states=st.lists(audible_states, min_size=1, max_size=6))
def test_a_single_link_follows_audible_once_it_moves(book, states):
    """After a link has been seen, a book that is not a kept verdict ends at or above Audible's value."""
    previous = None
    now = NOW
    for state in states:
        now += timedelta(hours=1)
        if state == previous:
            continue
        book = next_book_state(book, [LinkChange(1, previous, state)], now)
        previous = state
        if book.status == READING and not state.is_finished and state.percent > 0:
            assert book.progress is not None and book.progress >= state.percent
        if state.is_finished and book.status not in (FINISHED, DNF):
            raise AssertionError("a finished title leaves the book finished unless a dnf verdict is kept")
