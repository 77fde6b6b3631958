"""Stop in the chat (`assistant.ui.stopping`): a raised flag ends the answer's loop within the poll time,
even while a step is busy, and the steps' generator is closed after the step in hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from assistant.ui.stopping import Stops, until_stopped


def _steps(n: int, delay: float, closed: threading.Event) -> Iterator[int]:
    try:
        for i in range(n):
            time.sleep(delay)
            yield i
    finally:
        closed.set()


def test_all_steps_pass_through_when_nobody_stops() -> None:
    closed = threading.Event()
    assert list(until_stopped(_steps(5, 0.0, closed), threading.Event())) == [0, 1, 2, 3, 4]
    assert closed.wait(2)


def test_a_stop_ends_the_loop_while_a_step_is_busy_and_closes_the_steps_after_it() -> None:
    closed, flag = threading.Event(), threading.Event()
    seen, started = [], time.monotonic()
    threading.Timer(0.3, flag.set).start()
    for step in until_stopped(_steps(3, 1.0, closed), flag, poll=0.05):  # each step takes a second
        seen.append(step)
    assert seen == []
    assert time.monotonic() - started < 0.9  # not after the first step's second
    assert not closed.is_set()  # the step in hand is still running ...
    assert closed.wait(3)  # ... and the generator is closed once it returns, not run to its end (3 s)


def test_a_failing_step_raises_in_the_loop() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise ValueError("the model went away")

    got = []
    with pytest.raises(ValueError, match="went away"):
        for step in until_stopped(failing(), threading.Event()):
            got.append(step)
    assert got == [1]


def test_leaving_the_loop_early_closes_the_steps() -> None:
    closed = threading.Event()
    loop = until_stopped(_steps(100, 0.01, closed), threading.Event())
    assert next(loop) == 0
    loop.close()  # what Gradio does when the page goes away
    assert closed.wait(2)


def test_stop_reaches_only_the_running_answer_of_its_session() -> None:
    stops = Stops()
    assert not stops.stop("a")  # nothing running: nothing to stop, nothing remembered
    first = stops.start("a")
    assert not first.is_set()  # a Stop pressed before the answer started does not count
    other = stops.start("b")
    assert stops.stop("a") and first.is_set() and not other.is_set()
    second = stops.start("a")  # Retry: a new answer, a new flag
    stops.end("a", first)  # the old answer's end keeps the new one's flag
    assert stops.stop("a") and second.is_set()
    stops.end("a", second)
    assert not stops.stop("a")
    assert not stops.stop(None)  # a program's call has no session: never stopped by a browser
