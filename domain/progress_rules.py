"""What a sync does to a tracker book: one pure function from the book's state, the Audible
state of its changed links and the time, to the book's new state.

The write phase (``resources.queries.progress.apply_progress``) reads the books whose links
changed, calls ``next_book_state`` for each and writes back only what differs. The rules:

- A link seen for the first time while Audible says not started (0 % and not finished) changes
  nothing. No new link ever lowers the tracker's progress.
- Later, progress follows Audible; it goes down only when Audible's own value went down since
  the value last recorded for that link (a restart).
- Audible finished: the book becomes finished at 100 %; an existing ``finished_at`` is kept, and
  ``started_at`` is never invented for it. ``started_at ≤ finished_at`` always.
- A finished or abandoned (dnf) verdict in the tracker stays unless Audible shows the title
  listened to again after it: for dnf, any further listening; for finished, a restart (Audible's
  value went down, or its finished mark went away).
- Several enabled links on one book: the book follows the link whose Audible state changed most
  recently. Within one sync they all changed at once; the most advanced state wins (finished,
  then the highest percent), then the lowest mapping id.

Statuses are roles here (``domain.tracker_profile``'s to_read, reading, finished, dnf, or None for
a word outside the configured set); progress is a percent; times are aware datetimes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from domain.tracker_profile import DNF, FINISHED, READING

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class BookState:
    status: str | None  # a role, or None for NULL / a word outside the configured set
    progress: Decimal | None  # percent 0–100
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class AudibleState:
    percent: Decimal
    is_finished: bool

    @property
    def not_started(self) -> bool:
        return self.percent <= 0 and not self.is_finished


@dataclass(frozen=True)
class LinkChange:
    """One enabled link whose Audible state changed since the value recorded for it."""

    mapping_id: int
    previous: AudibleState | None  # recorded by the last sync that saw it; None: first sight
    current: AudibleState

    @property
    def first_sight(self) -> bool:
        return self.previous is None

    @property
    def went_down(self) -> bool:
        return self.previous is not None and self.current.percent < self.previous.percent


def leading_change(changes: Sequence[LinkChange]) -> LinkChange | None:
    """The change the book follows: a first sight of a not-started title is no change at all."""
    moved = [c for c in changes if not (c.first_sight and c.current.not_started)]
    if not moved:
        return None
    return min(moved, key=lambda c: (not c.current.is_finished, -c.current.percent, c.mapping_id))


def next_book_state(book: BookState, changes: Sequence[LinkChange], now: datetime) -> BookState:
    """The book's state after a sync in which ``changes`` were seen (unchanged links left out)."""
    change = leading_change(changes)
    if change is None:
        return book
    if change.current.is_finished:
        return _finished(book, change, now)
    return _listening(book, change, now)


def _finished(book: BookState, change: LinkChange, now: datetime) -> BookState:
    if book.status == FINISHED:
        return replace(book, progress=HUNDRED)
    if book.status == DNF and (change.first_sight or change.previous.is_finished):
        # Nothing shows listening after the verdict: it may have come after the listening.
        return book
    finished_at = book.finished_at
    if finished_at is None:
        finished_at = now if book.started_at is None or book.started_at <= now else book.started_at
    return replace(book, status=FINISHED, progress=HUNDRED, finished_at=finished_at)


def _listened_again(book: BookState, change: LinkChange) -> bool:
    previous, current = change.previous, change.current
    if previous is None or current.percent <= 0:
        return False
    if book.status == DNF:
        return current.percent != previous.percent or previous.is_finished
    return change.went_down or previous.is_finished


def _listening(book: BookState, change: LinkChange, now: datetime) -> BookState:
    current = change.current
    if change.first_sight and current.not_started:
        return book
    if book.status in (FINISHED, DNF) and not _listened_again(book, change):
        return book
    if change.went_down:
        progress = current.percent
    else:
        progress = max(book.progress if book.progress is not None else current.percent, current.percent)
    status = READING if current.percent > 0 else book.status
    started_at = book.started_at
    if status == READING and started_at is None and (book.finished_at is None or now <= book.finished_at):
        started_at = now
    return replace(book, status=status, progress=progress, started_at=started_at)
