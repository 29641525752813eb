"""The class report (``dlgrade batch --report report.html``): one self-contained HTML file.

Charts are drawn with matplotlib's Agg canvas (no pyplot state, no display) and
embedded as base64 PNG ``data:`` URIs; the styles are inline; the page loads
nothing from anywhere, so it can be mailed or opened offline.
"""

from __future__ import annotations

import base64
import io
import re
import statistics
from collections import Counter
from datetime import datetime, timezone

import numpy as np
from jinja2 import Environment
from markupsafe import Markup
from matplotlib.figure import Figure

from grader.classroom.batch import GRADED, BatchResult, fmt_score
from grader.report import STATUSES

COLORS = {"pass": "#2da44e", "fail": "#cf222e", "error": "#8250df", "timeout": "#d4a72c", "missing": "#8c959f"}

T = {
    "en": {"title": "Class report", "overview": "Overview", "students": "students", "graded": "graded",
           "not_graded": "could not grade", "conflicts": "conflicts", "mean": "mean", "median": "median",
           "stdev": "std. dev.", "full": "full marks", "late": "late", "wall": "grading wall time",
           "hist": "Score distribution", "items_h": "Items (graded submissions)", "pass_rate": "Pass rate per item",
           "item": "item", "points": "points", "rate": "pass rate", "avg": "mean score",
           "failures": "Most frequent failure messages", "count": "count", "message": "message (first example)",
           "mistakes": "Named mistakes by kind", "mistake": "mistake", "slowest": "Slowest submissions",
           "student": "student", "time": "grading time", "score": "score", "status": "status",
           "bad": "Could not grade", "reason": "reason", "gradebook": "Gradebook", "none": "none",
           "generated": "generated", "deadline": "deadline", "policy": "late policy", "ignored": "ignored files",
           "jobs": "jobs", "no_failures": "no failures", "of": "of", "files": "files"},
    "ja": {"title": "クラスレポート", "overview": "概要", "students": "学生数", "graded": "採点済み",
           "not_graded": "採点不能", "conflicts": "重複提出", "mean": "平均点", "median": "中央値",
           "stdev": "標準偏差", "full": "満点", "late": "遅延提出", "wall": "採点所要時間",
           "hist": "得点分布", "items_h": "項目(採点できた提出物)", "pass_rate": "項目ごとの正答率",
           "item": "項目", "points": "配点", "rate": "正答率", "avg": "平均得点",
           "failures": "多かった不正解メッセージ", "count": "件数", "message": "メッセージ(最初の例)",
           "mistakes": "よくある間違い(種類別)", "mistake": "間違い", "slowest": "採点に時間のかかった提出物",
           "student": "学生", "time": "採点時間", "score": "得点", "status": "状態",
           "bad": "採点できなかった提出物", "reason": "理由", "gradebook": "成績一覧", "none": "なし",
           "generated": "作成", "deadline": "締切", "policy": "遅延の扱い", "ignored": "無視したファイル",
           "jobs": "プロセス", "no_failures": "不正解なし", "of": "/", "files": "ファイル"},
}

T["en"]["similar"], T["ja"]["similar"] = "Similar submissions", "類似した提出物"

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def png_data_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def message_key(message: str, files: list[str]) -> str:
    """Group messages that differ only by numbers or the student's file name."""
    text = message
    for f in sorted(files, key=len, reverse=True):
        text = text.replace(f, "‹file›")
        base = f.rsplit("/", 1)[-1]
        text = text.replace(base, "‹file›")
    text = NUMBER.sub("#", text)
    return re.sub(r"\s+", " ", text).strip()


def _strip_files(message: str, files: list[str]) -> str:
    for f in sorted(files, key=len, reverse=True):
        message = message.replace(f, "‹file›").replace(f.rsplit("/", 1)[-1], "‹file›")
    return message


def aggregate(result: BatchResult, lang: str = "en", top: int = 3) -> dict:
    """Per-item statistics: status counts, pass rate, mean score, frequent failures, mistakes."""
    # over the submissions that were graded: an unreadable file says nothing about an item
    reports = [(r, r.report_in(lang)) for r in result.results if r.report is not None and r.status == GRADED]
    items: dict[str, dict] = {}
    for item_id in result.item_ids:
        items[item_id] = {"id": item_id, "status": Counter(), "scores": [], "points": 0.0,
                          "messages": Counter(), "examples": {}, "mistakes": Counter(), "mistake_titles": {}}
    for r, rep in reports:
        for it in rep["items"]:
            agg = items.get(it["id"])
            if agg is None:
                continue
            agg["status"][it["status"]] += 1
            agg["scores"].append(float(it["score"]))
            agg["points"] = float(it["max_score"])
            if it["status"] != "pass":
                key = message_key(it["feedback"], r.files)
                agg["messages"][key] += 1
                agg["examples"].setdefault(key, _strip_files(it["feedback"], r.files))
            if it.get("mistake"):
                agg["mistakes"][it["mistake"]["id"]] += 1
                agg["mistake_titles"].setdefault(it["mistake"]["id"], it["mistake"].get("title") or "")
    out = []
    for item_id, agg in items.items():
        n = sum(agg["status"].values())
        out.append({
            "id": item_id, "n": n, "points": agg["points"],
            "status": {s: agg["status"].get(s, 0) for s in STATUSES},
            "pass_rate": agg["status"].get("pass", 0) / n if n else 0.0,
            "mean": statistics.fmean(agg["scores"]) if agg["scores"] else 0.0,
            "failures": [{"count": c, "key": k, "example": agg["examples"][k]}
                         for k, c in agg["messages"].most_common(top)],
            "mistakes": [{"id": m, "title": agg["mistake_titles"].get(m, ""), "count": c}
                         for m, c in agg["mistakes"].most_common()],
        })
    return {"items": out}


# --------------------------------------------------------------------------- charts (English labels: the
# Agg canvas has no Japanese font everywhere; the page's own text follows --lang)


def chart_histogram(result: BatchResult) -> str:
    scores = np.array([r.score for r in result.results], dtype=float)
    mx = result.max_score or 1.0
    width = 0.5 if mx <= 10 else 1.0 if mx <= 40 else mx / 20
    edges = np.arange(0, mx + width / 2, width)
    if edges[-1] < mx:
        edges = np.append(edges, mx)
    fig = Figure(figsize=(8, 3.4))
    ax = fig.add_subplot()
    if len(scores):
        ax.hist(scores, bins=edges, color="#0969da", edgecolor="white")
        mean, median = float(scores.mean()), float(np.median(scores))
        ax.axvline(mean, color="#cf222e", linestyle="--", linewidth=1.5, label=f"mean {mean:.2f}")
        ax.axvline(median, color="#1a7f37", linestyle=":", linewidth=2, label=f"median {median:g}")
        ax.legend(loc="upper left", frameon=False)
    ax.set_xlim(0, mx + width * 0.5)
    ax.set_xlabel(f"score (max {mx:g})")
    ax.set_ylabel("students")
    ax.set_title(f"Score distribution — {result.exercise_id} ({len(scores)} students)")
    ax.spines[["top", "right"]].set_visible(False)
    return png_data_uri(fig)


def chart_items(agg: dict) -> str:
    items = agg["items"]
    fig = Figure(figsize=(8, 0.32 * len(items) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(items))[::-1]
    left = np.zeros(len(items))
    for s in STATUSES:
        frac = np.array([it["status"][s] / it["n"] if it["n"] else 0.0 for it in items])
        if frac.any():
            ax.barh(y, frac * 100, left=left * 100, color=COLORS[s], label=s, height=0.75)
        left += frac
    for yi, it in zip(y, items):
        ax.text(101, yi, f"{it['pass_rate']:.0%}", va="center", fontsize=8)
    ax.set_yticks(y, [it["id"] for it in items], fontsize=8)
    ax.set_xlim(0, 110)
    ax.set_xlabel("% of submissions")
    n = max((it["n"] for it in items), default=0)
    ax.set_title(f"Pass rate per item (outcome of each of {n} graded submissions)", pad=22)
    ax.legend(ncols=5, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return png_data_uri(fig)


def chart_mistakes(agg: dict) -> str | None:
    counts = Counter()
    for it in agg["items"]:
        for m in it["mistakes"]:
            counts[m["id"]] += m["count"]
    if not counts:
        return None
    common = counts.most_common(15)
    fig = Figure(figsize=(8, 0.35 * len(common) + 1.2))
    ax = fig.add_subplot()
    y = np.arange(len(common))[::-1]
    ax.barh(y, [c for _, c in common], color="#bf3989")
    ax.set_yticks(y, [m for m, _ in common], fontsize=8)
    ax.set_xlabel("submissions")
    ax.set_title("Named mistakes by kind (item.mistake.id)")
    ax.spines[["top", "right"]].set_visible(False)
    return png_data_uri(fig)


def chart_slowest(result: BatchResult, n: int = 15) -> str | None:
    slow = result.slowest(n)
    if not slow:
        return None
    fig = Figure(figsize=(8, 0.3 * len(slow) + 1.4))
    ax = fig.add_subplot()
    y = np.arange(len(slow))[::-1]
    ax.barh(y, [r.duration_ms / 1000 for r in slow], color="#9a6700")
    ax.set_yticks(y, [r.student for r in slow], fontsize=8)
    durations = [r.duration_ms / 1000 for r in result.results if r.report is not None]
    if durations:
        med = statistics.median(durations)
        ax.axvline(med, color="#57606a", linestyle="--", linewidth=1, label=f"median {med:.2f} s")
        ax.legend(frameon=False, loc="lower right")
    ax.set_xlabel("grading time (s)")
    ax.set_title(f"Slowest {len(slow)} submissions")
    ax.spines[["top", "right"]].set_visible(False)
    return png_data_uri(fig)


# --------------------------------------------------------------------------- page

_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
PAGE = _env.from_string("""<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.title }} — {{ exercise_id }}</title>
<style>
body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;max-width:1100px;margin:1.5em auto;
padding:0 1em;color:#1f2328;line-height:1.5}
h1{margin-bottom:.1em}.sub{color:#57606a;margin-top:0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
.cards{display:flex;flex-wrap:wrap;gap:.6em;margin:1em 0}.card{border:1px solid #d0d7de;border-radius:8px;padding:.5em .9em;min-width:7.5em}
.card .v{font-size:1.5em;font-weight:700}.card .k{color:#57606a;font-size:.85em}
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.92em}th,td{border-bottom:1px solid #d0d7de;padding:.3em .45em;
text-align:left;vertical-align:top}th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}
img{max-width:100%;display:block;margin:.6em 0}.bar{background:#eaeef2;border-radius:3px;height:.7em;width:6em;display:inline-block}
.bar span{display:block;height:100%;background:#2da44e;border-radius:3px}.msg{font-size:.88em}
.cnt{font-weight:700;color:#cf222e;white-space:nowrap}.muted{color:#57606a}code{font-family:ui-monospace,monospace;font-size:.9em}
.s-graded{color:#1a7f37}.s-ungradable,.s-failed{color:#8250df}.s-conflict{color:#cf222e}
</style></head><body>
<h1>{{ t.title }} — {{ exercise_id }}{% if exercise_title %} ({{ exercise_title }}){% endif %}</h1>
<p class="sub">{{ t.generated }} {{ generated }} · {{ jobs }} {{ t.jobs }} · {{ t.wall }} {{ wall }}
{% if deadline %} · {{ t.deadline }} {{ deadline }} ({{ policy }}){% endif %}</p>

<h2>{{ t.overview }}</h2>
<div class="cards">
{% for k, v in cards %}<div class="card"><div class="v">{{ v }}</div><div class="k">{{ k }}</div></div>{% endfor %}
</div>
<img alt="{{ t.hist }}" src="{{ hist }}">

<h2>{{ t.items_h }}</h2>
<img alt="{{ t.pass_rate }}" src="{{ items_png }}">
<table><thead><tr><th>{{ t.item }}</th><th class="num">{{ t.points }}</th><th>{{ t.rate }}</th><th class="num">{{ t.avg }}</th>
<th>{{ t.failures }}</th></tr></thead><tbody>
{% for it in items %}<tr><td><code>{{ it.id }}</code></td><td class="num">{{ it.points_s }}</td>
<td><span class="bar"><span style="width:{{ (it.pass_rate * 100)|round(1) }}%"></span></span> {{ "%.0f"|format(it.pass_rate * 100) }}%</td>
<td class="num">{{ "%.2f"|format(it.mean) }}</td><td>
{% if it.failures %}<ul class="msg">{% for f in it.failures %}<li><span class="cnt">×{{ f.count }}</span> {{ f.example }}</li>{% endfor %}</ul>
{% else %}<span class="muted">{{ t.no_failures }}</span>{% endif %}
{% if it.mistakes %}<div class="msg">{{ t.mistakes }}: {% for m in it.mistakes %}<code>{{ m.id }}</code> ×{{ m.count }}{% if m.title %} ({{ m.title }}){% endif %}{% if not loop.last %}, {% endif %}{% endfor %}</div>{% endif %}
</td></tr>
{% endfor %}</tbody></table>

<h2>{{ t.mistakes }}</h2>
{% if mistakes_png %}<img alt="{{ t.mistakes }}" src="{{ mistakes_png }}">
<table><thead><tr><th>{{ t.mistake }}</th><th>{{ t.item }}</th><th class="num">{{ t.count }}</th></tr></thead><tbody>
{% for m in mistakes %}<tr><td><code>{{ m.id }}</code> {{ m.title }}</td><td><code>{{ m.item }}</code></td><td class="num">{{ m.count }}</td></tr>{% endfor %}
</tbody></table>
{% else %}<p class="muted">{{ t.none }}</p>{% endif %}

<h2>{{ t.slowest }}</h2>
{% if slow_png %}<img alt="{{ t.slowest }}" src="{{ slow_png }}">{% endif %}
<table><thead><tr><th>{{ t.student }}</th><th>{{ t.files }}</th><th class="num">{{ t.time }}</th><th class="num">{{ t.score }}</th></tr></thead><tbody>
{% for r in slowest %}<tr><td>{{ r.student }}</td><td>{{ r.files }}</td><td class="num">{{ r.time }}</td><td class="num">{{ r.score }}</td></tr>{% endfor %}
</tbody></table>

<h2>{{ t.bad }} ({{ bad|length }})</h2>
{% if bad %}<table><thead><tr><th>{{ t.student }}</th><th>{{ t.status }}</th><th>{{ t.reason }}</th></tr></thead><tbody>
{% for r in bad %}<tr><td>{{ r.student }}</td><td class="s-{{ r.status }}">{{ r.status }}</td><td class="msg">{{ r.reason }}</td></tr>{% endfor %}
</tbody></table>{% else %}<p class="muted">{{ t.none }}</p>{% endif %}
{% if ignored %}<p class="muted">{{ t.ignored }}: {{ ignored|join(", ") }}</p>{% endif %}

{% if similarity %}
<h2>{{ t.similar }}</h2>
{{ similarity_style }}
{{ similarity }}
{% endif %}

<h2>{{ t.gradebook }}</h2>
<details><summary>{{ rows|length }} {{ t.students }}</summary>
<table><thead><tr><th>{{ t.student }}</th><th>{{ t.status }}</th><th class="num">{{ t.score }}</th>{% if deadline %}<th>{{ t.late }}</th>{% endif %}
<th class="num">{{ t.time }}</th></tr></thead><tbody>
{% for r in rows %}<tr><td>{{ r.student }}</td><td class="s-{{ r.status }}">{{ r.status }}</td><td class="num">{{ r.score }}</td>
{% if deadline %}<td>{{ r.late }}</td>{% endif %}<td class="num">{{ r.time }}</td></tr>{% endfor %}
</tbody></table></details>
</body></html>
""")


def render_class_report(result: BatchResult, lang: str = "en", exercise=None, now: datetime | None = None,
                        similarity=None) -> str:
    """The whole HTML page (a string)."""
    t = T["ja" if lang == "ja" else "en"]
    s = result.stats()
    agg = aggregate(result, lang)
    for it in agg["items"]:
        it["points_s"] = fmt_score(it["points"])
    mx = fmt_score(result.max_score)
    cards = [(t["students"], s["students"]), (t["graded"], s["graded"]), (t["not_graded"], s["not_graded"])]
    if s["students"]:
        cards += [(t["mean"], f"{s['mean']:.2f} / {mx}"), (t["median"], f"{s['median']:g} / {mx}"),
                  (t["stdev"], f"{s['stdev']:.2f}"), (t["full"], s["full_marks"])]
    if s["conflicts"]:
        cards.append((t["conflicts"], s["conflicts"]))
    if result.has_deadline:
        cards.append((t["late"], s["late"]))
    mistakes = []
    for it in agg["items"]:
        for m in it["mistakes"]:
            mistakes.append({"id": m["id"], "title": m["title"], "item": it["id"], "count": m["count"]})
    mistakes.sort(key=lambda m: -m["count"])
    policy = ""
    if result.has_deadline:
        late = next((r.late for r in result.results if r.late is not None), None)
        policy = late.policy.describe(lang) if late is not None else ""
    section = style = ""
    if similarity is not None:
        from grader.classroom.simreport import STYLE, render_section

        section, style = render_section(similarity, lang, top=10, side_by_side=3), Markup(STYLE)
    return PAGE.render(
        similarity=section, similarity_style=style,
        t=t, lang=lang, exercise_id=result.exercise_id,
        exercise_title=exercise.title.get(lang) if exercise is not None else "",
        generated=(now or datetime.now(timezone.utc)).astimezone().isoformat(timespec="seconds"),
        jobs=result.jobs, wall=f"{result.wall_seconds:.1f} s",
        deadline=result.deadline.isoformat(timespec="minutes") if result.deadline else "", policy=policy,
        cards=cards, hist=chart_histogram(result), items=agg["items"], items_png=chart_items(agg),
        mistakes_png=chart_mistakes(agg), mistakes=mistakes,
        slow_png=chart_slowest(result),
        slowest=[{"student": r.student, "files": ", ".join(r.files), "time": f"{r.duration_ms / 1000:.2f} s",
                  "score": f"{fmt_score(r.score)} / {mx}"} for r in result.slowest(10)],
        bad=[{"student": r.student, "status": r.status, "reason": r.reason.get(lang) if r.reason else ""}
             for r in result.not_graded],
        ignored=result.ignored,
        rows=[{"student": r.student, "status": r.status, "score": fmt_score(r.score),
               "late": ("✔ " + str(r.late.days_late) if r.late is not None and r.late.late else ""),
               "time": f"{r.duration_ms / 1000:.2f} s" if r.report is not None else ""} for r in result.results],
    )


def write_class_report(result: BatchResult, path, lang: str = "en", exercise=None, similarity=None) -> None:
    from grader.classroom.batch import _write_text

    _write_text(path, render_class_report(result, lang, exercise, similarity=similarity))


__all__ = ["aggregate", "render_class_report", "write_class_report", "message_key"]
