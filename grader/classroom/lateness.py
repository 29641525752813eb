"""Deadlines and late penalties: ``dlgrade batch --deadlines FILE`` and ``dlgrade regrade``.

The configuration is a TOML file::

    timezone = "Asia/Tokyo"     # for deadlines written without an offset (this is the default)

    [deadlines]                 # exercise id = deadline
    layers = "2026-12-01T23:59:00+09:00"
    optimizers = 2026-12-15T23:59:00                # a TOML date-time; no offset -> `timezone`
    batchnorm = "2027-01-10"                         # a date alone: the end of that day (23:59:59)
    dropout = { due = "2027-01-20T23:59:00", policy = "flat", factor = 0.5 }   # own policy

    [late]                      # the penalty (for every exercise unless overridden as above)
    policy = "per_day"          # "per_day", "flat" or "none" (flag late work, no penalty)
    rate = 0.1                  # per_day: fraction of the earned score lost per started day late
    max_penalty = 1.0           # per_day: at most this fraction is lost
    factor = 0.5                # flat: a late submission keeps this fraction of its score
    grace_minutes = 0           # submissions up to this long after the deadline are on time

``late_penalty = 0.1`` at the top level is a shorthand for ``[late] policy = "per_day", rate = 0.1``.

A submission is late when it was made after ``deadline + grace``; ``days_late`` counts
started 24-hour periods after the deadline (1 second late = 1 day).  The penalty is a
fraction of the *earned* score: per_day loses ``min(max_penalty, rate * days_late)``,
flat loses ``1 - factor``.  An exercise without a deadline is never late.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Tokyo"
POLICIES = ("per_day", "flat", "none")
POLICY_KEYS = {"policy", "rate", "max_penalty", "factor", "grace_minutes"}


class ConfigError(ValueError):
    """The deadlines file is not valid (a usage error: exit status 2)."""


@dataclass(frozen=True)
class LatePolicy:
    policy: str = "per_day"
    rate: float = 0.0
    max_penalty: float = 1.0
    factor: float = 1.0
    grace_minutes: float = 0.0

    def fraction(self, days_late: int) -> float:
        """The fraction of the earned score lost by a submission ``days_late`` days late."""
        if days_late <= 0 or self.policy == "none":
            return 0.0
        if self.policy == "flat":
            return 1.0 - self.factor
        return min(self.max_penalty, self.rate * days_late)

    def describe(self, lang: str = "en") -> str:
        ja = lang == "ja"
        if self.policy == "none":
            return "遅延は記録のみ(減点なし)" if ja else "late work is flagged, not penalised"
        if self.policy == "flat":
            return (f"遅延提出は得点の {self.factor:.0%} のみ" if ja
                    else f"late work keeps {self.factor:.0%} of its score")
        cap = "" if self.max_penalty >= 1 else (f"(最大 {self.max_penalty:.0%})" if ja
                                                else f" (at most {self.max_penalty:.0%})")
        return (f"1 日(24 時間)遅れるごとに得点の {self.rate:.0%} を減点{cap}" if ja
                else f"{self.rate:.0%} of the score per started day late{cap}")


@dataclass
class LateInfo:
    deadline: datetime
    submitted_at: datetime | None
    late: bool
    seconds_late: float
    days_late: int
    fraction: float      # fraction of the raw score lost
    penalty: float       # points lost
    raw_score: float
    final_score: float
    policy: LatePolicy

    def to_dict(self) -> dict:
        return {"deadline": self.deadline.isoformat(timespec="seconds"),
                "submitted_at": None if self.submitted_at is None else self.submitted_at.isoformat(timespec="seconds"),
                "late": self.late, "days_late": self.days_late, "seconds_late": round(self.seconds_late, 1),
                "fraction": round(self.fraction, 4), "penalty": round(self.penalty, 4),
                "raw_score": self.raw_score, "final_score": self.final_score, "policy": self.policy.policy}


@dataclass
class LatenessConfig:
    deadlines: dict[str, datetime] = field(default_factory=dict)
    policy: LatePolicy = field(default_factory=LatePolicy)
    overrides: dict[str, LatePolicy] = field(default_factory=dict)
    tz: str = DEFAULT_TIMEZONE

    def zone(self):
        return _zone(self.tz)

    def deadline_for(self, exercise_id: str) -> datetime | None:
        return self.deadlines.get(exercise_id)

    def policy_for(self, exercise_id: str) -> LatePolicy:
        return self.overrides.get(exercise_id, self.policy)

    def assess(self, exercise_id: str, submitted_at: datetime | None, raw_score: float,
               max_score: float | None = None) -> LateInfo | None:
        """Lateness of one submission, or None when the exercise has no deadline."""
        deadline = self.deadline_for(exercise_id)
        if deadline is None:
            return None
        return assess(deadline, self.policy_for(exercise_id), submitted_at, raw_score, self.tz)


def assess(deadline: datetime, policy: LatePolicy, submitted_at: datetime | None, raw_score: float,
           tz: str = DEFAULT_TIMEZONE) -> LateInfo:
    raw_score = round(float(raw_score), 4)
    if submitted_at is None:  # unknown time: never penalised
        return LateInfo(deadline, None, False, 0.0, 0, 0.0, 0.0, raw_score, raw_score, policy)
    if submitted_at.tzinfo is None:
        submitted_at = submitted_at.replace(tzinfo=_zone(tz))
    seconds = (submitted_at - deadline).total_seconds()
    late = seconds > policy.grace_minutes * 60
    days = max(1, math.ceil(seconds / 86400)) if late else 0
    fraction = policy.fraction(days) if late else 0.0
    final = round(raw_score * (1.0 - fraction), 4)
    return LateInfo(deadline, submitted_at, late, max(0.0, seconds), days, fraction,
                    round(raw_score - final, 4), raw_score, final, policy)


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown timezone {name!r} (use an IANA name such as Asia/Tokyo)") from None


def parse_time(value, tz: str = DEFAULT_TIMEZONE, what: str = "time") -> datetime:
    """A deadline or submission time: ISO 8601 text, a datetime or a date (end of that day)."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time(23, 59, 59))
    elif isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                dt = datetime.combine(date.fromisoformat(text), time(23, 59, 59))
            else:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"{what}: {value!r} is not an ISO 8601 date-time "
                              "(e.g. 2026-12-01T23:59:00+09:00)") from None
    else:
        raise ConfigError(f"{what}: expected a date-time, got {type(value).__name__}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=_zone(tz))
    return dt


def _number(table: dict, key: str, where: str, lo: float, hi: float | None) -> float:
    v = table[key]
    name = f"{where}.{key}" if where else key
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(f"{name}: expected a number, got {v!r}")
    if v < lo or (hi is not None and v > hi):
        raise ConfigError(f"{name} = {v} is out of range [{lo}, {hi if hi is not None else '∞'}]")
    return float(v)


def _policy(table: dict, where: str, base: LatePolicy) -> LatePolicy:
    unknown = set(table) - POLICY_KEYS - {"due"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(sorted(POLICY_KEYS))}")
    p = base
    if "policy" in table:
        if table["policy"] not in POLICIES:
            raise ConfigError(f"{where}.policy = {table['policy']!r}; use one of {', '.join(POLICIES)}")
        p = replace(p, policy=table["policy"])
    if "rate" in table:
        p = replace(p, rate=_number(table, "rate", where, 0, 1))
    if "max_penalty" in table:
        p = replace(p, max_penalty=_number(table, "max_penalty", where, 0, 1))
    if "factor" in table:
        p = replace(p, factor=_number(table, "factor", where, 0, 1))
        if "policy" not in table:
            p = replace(p, policy="flat")
    if "grace_minutes" in table:
        p = replace(p, grace_minutes=_number(table, "grace_minutes", where, 0, None))
    return p


def parse_config(data: dict, known_exercises=None) -> LatenessConfig:
    top_keys = {"timezone", "deadlines", "late", "late_penalty"}
    unknown = set(data) - top_keys
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(top_keys))}")
    tz = data.get("timezone", DEFAULT_TIMEZONE)
    if not isinstance(tz, str):
        raise ConfigError("timezone: expected a name such as \"Asia/Tokyo\"")
    _zone(tz)
    policy = LatePolicy()
    if "late_penalty" in data:
        policy = LatePolicy(policy="per_day", rate=_number(data, "late_penalty", "", 0, 1))
    late = data.get("late", {})
    if not isinstance(late, dict):
        raise ConfigError("[late] must be a table")
    policy = _policy(late, "late", policy)
    deadlines = data.get("deadlines", {})
    if not isinstance(deadlines, dict):
        raise ConfigError("[deadlines] must be a table of exercise = date-time")
    cfg = LatenessConfig(policy=policy, tz=tz)
    known = list(known_exercises) if known_exercises is not None else None
    for ex_id, value in deadlines.items():
        if known is not None and ex_id not in known:
            raise ConfigError(f"deadlines.{ex_id}: unknown exercise; known: {', '.join(known)}")
        if isinstance(value, dict):
            if "due" not in value:
                raise ConfigError(f"deadlines.{ex_id}: a table needs `due = <date-time>`")
            cfg.deadlines[ex_id] = parse_time(value["due"], tz, f"deadlines.{ex_id}.due")
            cfg.overrides[ex_id] = _policy(value, f"deadlines.{ex_id}", policy)
        else:
            cfg.deadlines[ex_id] = parse_time(value, tz, f"deadlines.{ex_id}")
    return cfg


def load_config(path: Path, known_exercises=None) -> LatenessConfig:
    """Read a deadlines TOML file (raises ConfigError with a readable message)."""
    if known_exercises is None:
        from exercises import registered

        known_exercises = list(registered())
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        return parse_config(data, known_exercises)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def load_times(path: Path, tz: str = DEFAULT_TIMEZONE) -> dict[str, datetime]:
    """Submission times from a CSV with columns ``student,submitted_at`` (ISO 8601)."""
    import csv

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not {"student", "submitted_at"} <= set(reader.fieldnames):
        raise ConfigError(f"{path}: needs a header with the columns student,submitted_at")
    out = {}
    for n, row in enumerate(reader, start=2):
        student = (row.get("student") or "").strip()
        if not student:
            continue
        out[student] = parse_time(row.get("submitted_at") or "", tz, f"{path}, line {n}")
    return out


def utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc) if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def timedelta_text(seconds: float) -> str:
    d = timedelta(seconds=int(seconds))
    return str(d)
