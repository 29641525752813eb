"""Prometheus metrics of the service (process-wide, on the default registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
QUEUE_DEPTH = Gauge("dlgrade_queue_depth", "Submissions stored and waiting to be graded.")
RUNNING = Gauge("dlgrade_grading_running", "Submissions being graded now.")
DATABASE_UP = Gauge("dlgrade_database_up", "1 when the database answered the last /metrics scrape.")
