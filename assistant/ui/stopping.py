"""Stop for the chat: the button raises a flag that the running answer's loop reads, no Gradio `cancels`.

Why not `cancels=`: Gradio 6's client can mark the cancelled event failed after it has marked it
complete (the `.then()` it dispatches on cancel reopens the event stream while the cancel closes it),
which leaves an "Error" overlay over the chat that swallows clicks, Retry included. Here the answer's
own generator ends: it sees the flag within `poll` seconds, even while the model or the checker is
busy, because the answer's steps are pulled in a worker thread; the worker then closes the steps'
generator (which releases the local model) after the step in hand.

What this does not do: stop a question still waiting in Gradio's queue (it runs when its turn comes).
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar, cast

__all__ = ["Stops", "until_stopped"]

T = TypeVar("T")
_END = object()


class Stops:
    """One flag per browser session for the answer it is running; Stop sets it."""

    def __init__(self) -> None:
        self._flags: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def start(self, session: str | None) -> threading.Event:
        """A fresh flag for a new answer in `session` (a Stop pressed before it started does not count)."""
        flag = threading.Event()
        if session:
            with self._lock:
                self._flags[session] = flag
        return flag

    def stop(self, session: str | None) -> bool:
        """Raise the flag of the session's running answer; False when none is running."""
        with self._lock:
            flag = self._flags.get(session or "")
        if flag is None:
            return False
        flag.set()
        return True

    def end(self, session: str | None, flag: threading.Event) -> None:
        """Forget the flag once its answer is done (a newer answer's flag is kept)."""
        with self._lock:
            if session and self._flags.get(session) is flag:
                del self._flags[session]


def until_stopped(steps: Iterator[T], flag: threading.Event, poll: float = 0.1) -> Generator[T, None, None]:
    """Yield `steps` until they end or `flag` is set. The steps are pulled in a worker thread (in a copy of
    the caller's context), so a set flag is seen within `poll` seconds however long a step takes; the
    worker then closes `steps` after the step in hand. Exceptions from `steps` are re-raised here."""
    out: queue.Queue[object] = queue.Queue()
    done = threading.Event()  # the consumer has left: stopped, finished or closed

    def pull() -> None:
        try:
            for step in steps:
                out.put(step)
                if done.is_set():
                    break
        except BaseException as exc:  # handed to the consumer, who re-raises it
            out.put(exc)
        finally:
            close = getattr(steps, "close", None)
            if close is not None:
                close()
            out.put(_END)

    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(pull,), name="answer-steps", daemon=True).start()
    try:
        while not flag.is_set():
            try:
                item = out.get(timeout=poll)
            except queue.Empty:
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield cast(T, item)
    finally:
        done.set()
