"""Prometheus metrics of the service and of the workers.

One process: the default registry.  Several processes on one machine (the API and ``dlgrade worker``
processes, or several API processes): set ``PROMETHEUS_MULTIPROC_DIR`` to the same empty directory
for all of them (created empty at boot; Prometheus' multiprocess mode) and any one ``/metrics`` on
that machine shows every process's gradings and latencies summed.  Workers on other machines serve
their own ``/metrics`` (``DLGRADE_WORKER_METRICS_PORT``), each scraped as a target (README.md).
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

SUBMISSIONS = Counter("dlgrade_submissions", "Submissions accepted and stored.", ["exercise"])
CHECKS = Counter("dlgrade_checks", "Practice checks accepted and stored.", ["exercise"])
REJECTED = Counter("dlgrade_submissions_rejected", "Submissions refused before storing.", ["reason"])
GRADED = Counter("dlgrade_gradings", "Gradings finished, by outcome (done or error).", ["exercise", "status"])
FAILURES = Counter("dlgrade_grading_failures",
                   "Gradings where the grader failed (status error, or items with grader_error).", ["exercise", "kind"])
GRADING_SECONDS = Histogram("dlgrade_grading_seconds", "Time to grade one submission.", ["exercise"],
                            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120))
TURNAROUND_SECONDS = Histogram("dlgrade_turnaround_seconds", "From upload to finished report.", ["exercise"],
                               buckets=(0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900))
# set by the API from the database at each scrape: in multiprocess mode the most recent value counts
QUEUE_DEPTH = Gauge("dlgrade_queue_depth", "Submissions stored and waiting to be graded.",
                    multiprocess_mode="livemostrecent")
RUNNING = Gauge("dlgrade_grading_running", "Submissions being graded now.", multiprocess_mode="livemostrecent")
DATABASE_UP = Gauge("dlgrade_database_up", "1 when the database answered the last /metrics scrape.",
                    multiprocess_mode="livemostrecent")

# collectors computed at scrape time (the broker and the workers' heartbeats: api.dispatch.celery_queue)
_collectors: list = []


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def add_collector(collector) -> None:
    _collectors.append(collector)
    if not multiprocess():
        REGISTRY.register(collector)


def remove_collector(collector) -> None:
    if collector in _collectors:
        _collectors.remove(collector)
        if not multiprocess():
            REGISTRY.unregister(collector)


def registry():
    """What /metrics shows: this process, or in multiprocess mode every process sharing the directory."""
    if not multiprocess():
        return REGISTRY
    from prometheus_client import multiprocess as mp

    combined = CollectorRegistry()
    mp.MultiProcessCollector(combined)
    for collector in _collectors:
        combined.register(collector)
    return combined


def process_exits() -> None:
    """Drop this process's live gauges (its counters stay: totals do not fall when a worker restarts)."""
    if multiprocess():
        from prometheus_client import multiprocess as mp

        mp.mark_process_dead(os.getpid())
