"""Dispatching stored submissions to graders.

The database is the record of what must be graded; a queue only carries submission ids to
``api.grading.grade_submission``.  ``make_queue`` picks the backend from the settings
(``DLGRADE_QUEUE``); the in-process :class:`ThreadPoolQueue` is the default.
"""

from __future__ import annotations

import logging
import queue as stdlib_queue
import threading
import time
from typing import Protocol

from api.db import SessionFactory
from api.grading import grade_submission
from api.settings import Settings

log = logging.getLogger("dlgrade.api.queue")


class QueueFull(Exception):
    """The queue is at capacity: the submission was not accepted."""


class GradingQueue(Protocol):
    def start(self) -> None: ...

    def enqueue(self, submission_id: int) -> None:
        """Hand one stored submission to a grader at once; raise :class:`QueueFull` when at capacity."""

    def enqueue_backlog(self, submission_ids: list[int]) -> None:
        """Hand over submissions recovered at start-up, however many (may wait for room in the background)."""

    def has_room(self) -> bool: ...

    def healthy(self) -> bool: ...

    def describe(self) -> dict: ...

    def stop(self, timeout: float = 10.0) -> None: ...


class ThreadPoolQueue:
    """A bounded in-process queue served by ``workers`` threads (the engine's zygote is thread-safe)."""

    def __init__(self, session_factory: SessionFactory, workers: int, maxsize: int):
        self.session_factory = session_factory
        self.workers = workers
        self.ids: stdlib_queue.Queue[int] = stdlib_queue.Queue(maxsize=maxsize)
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for n in range(self.workers):
            t = threading.Thread(target=self._serve, name=f"dlgrade-grader-{n}", daemon=True)
            t.start()
            self.threads.append(t)

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                submission_id = self.ids.get(timeout=0.2)
            except stdlib_queue.Empty:
                continue
            try:
                grade_submission(self.session_factory, submission_id)
            except Exception:  # noqa: BLE001 - e.g. the database went away; the row stays pending for recovery
                log.exception("grading job %s failed", submission_id)
            finally:
                self.ids.task_done()

    def enqueue(self, submission_id: int) -> None:
        try:
            self.ids.put_nowait(submission_id)
        except stdlib_queue.Full:
            raise QueueFull() from None

    def enqueue_backlog(self, submission_ids: list[int]) -> None:
        if not submission_ids:
            return

        def feed() -> None:
            for sid in submission_ids:
                while not self.stopping.is_set():
                    try:
                        self.ids.put(sid, timeout=0.5)
                        break
                    except stdlib_queue.Full:
                        continue

        threading.Thread(target=feed, name="dlgrade-backlog", daemon=True).start()

    def has_room(self) -> bool:
        return not self.ids.full()

    def healthy(self) -> bool:
        return not self.stopping.is_set() and all(t.is_alive() for t in self.threads) and bool(self.threads)

    def problems(self) -> list[str]:
        return [] if self.healthy() else ["the grading threads of this process are not running"]

    def describe(self) -> dict:
        return {"backend": "thread", "workers": sum(t.is_alive() for t in self.threads),
                "in_queue": self.ids.qsize(), "capacity": self.ids.maxsize}

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs; a grading still running after ``timeout`` is left for recovery at the next start."""
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))


def make_queue(settings: Settings, session_factory: SessionFactory) -> GradingQueue:
    if settings.queue == "thread":
        return ThreadPoolQueue(session_factory, settings.workers, settings.queue_size)
    if settings.queue == "celery":  # distributed mode: `dlgrade worker` processes grade (api/dispatch/worker.py)
        from api.dispatch.celery_queue import CeleryQueue

        return CeleryQueue(settings, session_factory)
    raise ValueError(f"unknown DLGRADE_QUEUE {settings.queue!r} (available: thread, celery)")
