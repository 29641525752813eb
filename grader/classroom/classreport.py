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
           "failures": "Most frequent failures (by check and named mistake)", "count": "count",
           "message": "message (first example)", "example": "e.g.",
           "mistakes": "Named mistakes by kind", "mistake": "mistake", "slowest": "Slowest submissions",
           "student": "student", "time": "grading time", "score": "score", "status": "status",
           "bad": "Could not grade", "reason": "reason", "gradebook": "Gradebook", "none": "none",
           "generated": "generated", "deadline": "deadline", "policy": "late policy", "ignored": "ignored files",
           "no_failures": "no failures", "of": "of", "files": "files",
           "thread": "thread(s)", "process": "process(es)", "serial": "process",
           "c_hist": "Score distribution — {ex} ({n} students)", "c_score": "score (max {mx})",
           "c_students": "students", "c_mean": "mean {v}", "c_median": "median {v}",
           "c_items": "Pass rate per item (outcome of each of {n} graded submissions)",
           "c_pct": "% of submissions", "c_mistakes": "Named mistakes by kind (item.mistake.id)",
           "c_subs": "submissions", "c_slowest": "Slowest {n} submissions", "c_time": "grading time (s)",
           "c_median_s": "median {v} s", "no_font": "",
           "pass": "pass", "fail": "fail", "error": "error", "timeout": "timeout", "missing": "missing",
           "vm": "Answers that fit someone else's numbers (per-student variants)", "vm_items": "items",
           "vm_most": "most often"},
    "ja": {"title": "クラスレポート", "overview": "概要", "students": "学生数", "graded": "採点済み",
           "not_graded": "採点不能", "conflicts": "重複提出", "mean": "平均点", "median": "中央値",
           "stdev": "標準偏差", "full": "満点", "late": "遅延提出", "wall": "採点所要時間",
           "hist": "得点分布", "items_h": "項目(採点できた提出物)", "pass_rate": "項目ごとの正答率",
           "item": "項目", "points": "配点", "rate": "正答率", "avg": "平均得点",
           "failures": "多かった誤り(確認内容・よくある間違いごと)", "count": "件数", "message": "メッセージ(最初の例)",
           "example": "例:",
           "mistakes": "よくある間違い(種類別)", "mistake": "間違い", "slowest": "採点に時間のかかった提出物",
           "student": "学生", "time": "採点時間", "score": "得点", "status": "状態",
           "bad": "採点できなかった提出物", "reason": "理由", "gradebook": "成績一覧", "none": "なし",
           "generated": "作成", "deadline": "締切", "policy": "遅延の扱い", "ignored": "無視したファイル",
           "no_failures": "不正解なし", "of": "/", "files": "ファイル",
           "thread": "スレッド", "process": "プロセス", "serial": "プロセス",
           "c_hist": "得点分布 — {ex}(学生 {n} 人)", "c_score": "得点(満点 {mx})", "c_students": "学生数",
           "c_mean": "平均 {v}", "c_median": "中央値 {v}",
           "c_items": "項目ごとの正答率(採点できた提出物 {n} 件それぞれの結果)", "c_pct": "提出物の割合(%)",
           "c_mistakes": "よくある間違い(種類別、item.mistake.id)", "c_subs": "提出物数",
           "c_slowest": "採点に時間のかかった提出物 {n} 件", "c_time": "採点時間(秒)", "c_median_s": "中央値 {v} 秒",
           "no_font": "(日本語フォントが見つからないため、グラフは英語で表示しています)",
           "pass": "正解", "fail": "不正解", "error": "エラー", "timeout": "時間切れ", "missing": "未定義",
           "vm": "他の学生(またはテキスト)の数値に対する答え(学生ごとの数値)", "vm_items": "項目",
           "vm_most": "最も多い一致"},
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


_RAISED = re.compile(r"raised (\w+)|で (\w+) が発生")
_POSITION = re.compile(r"\[[^\]]*\]|\([^)]*\d[^)]*\)|(?<=[(])[^)]*\d[^)]*(?=[)])")


def failure_group(item: dict, files: list[str], lang: str) -> tuple[str, str]:
    """``(key, label)`` of one failed item: the same check failing the same way is one group, whatever
    numbers (random inputs, positions, values) its message quotes.

    A named mistake is its own group; an exception groups by its type; a timeout or a missing name by
    status; any other failure by the check's first sentence with every number and position taken out."""
    status = item["status"]
    words = T["ja" if lang == "ja" else "en"]
    if item.get("mistake"):
        m = item["mistake"]
        return f"mistake:{m['id']}", f"{m.get('title') or m['id']} ({m['id']})"
    if status == "error":
        found = _RAISED.search(item["feedback"])
        typ = (found.group(1) or found.group(2)) if found else ""
        return f"error:{typ}", f"{words['error']}: {typ}" if typ else words["error"]
    if status in ("timeout", "missing"):
        return status, words[status]
    text = _strip_files(item["feedback"], files)
    first = re.split(r"(?<=\.)\s+|(?<=。)", text, maxsplit=1)[0]
    shape = re.sub(r"\s+", " ", NUMBER.sub("#", _POSITION.sub("…", first))).strip()
    return f"fail:{shape}", shape


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
                key, label = failure_group(it, r.files, lang)
                agg["messages"][key] += 1
                agg["examples"].setdefault(key, (label, _strip_files(it["feedback"], r.files)))
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
            "failures": [{"count": c, "key": k, "label": agg["examples"][k][0], "example": agg["examples"][k][1]}
                         for k, c in agg["messages"].most_common(top)],
            "mistakes": [{"id": m, "title": agg["mistake_titles"].get(m, ""), "count": c}
                         for m, c in agg["mistakes"].most_common()],
        })
    return {"items": out}


# --------------------------------------------------------------------------- charts (labels follow --lang;
# Japanese needs a font with its glyphs: the first of CJK_FONTS installed, else the charts stay English)

CJK_FONTS = ("IPAexGothic", "IPAGothic", "IPAPGothic", "Noto Sans CJK JP", "Noto Sans JP", "TakaoGothic",
             "VL Gothic", "Hiragino Sans", "Yu Gothic", "Meiryo")
_cjk_font: list[str | None] = []


def cjk_font() -> str | None:
    """The name of an installed font with Japanese glyphs (`make system-deps` installs IPAGothic), or None."""
    if not _cjk_font:
        from matplotlib import font_manager

        def find():
            installed = {f.name for f in font_manager.fontManager.ttflist}
            return next((name for name in CJK_FONTS if name in installed), None)

        found = find()
        if found is None:  # matplotlib's font cache predates the font's installation: add the files
            for path in font_manager.findSystemFonts():
                if re.search(r"ipa|noto.*(cjk|jp)|takao|vl-?gothic", path.rsplit("/", 1)[-1], re.I):
                    try:
                        font_manager.fontManager.addfont(path)
                    except (OSError, RuntimeError, ValueError):
                        continue
            found = find()
        _cjk_font.append(found)
    return _cjk_font[0]


def chart_words(lang: str) -> tuple[dict, dict]:
    """(labels, font properties) for the charts: Japanese when asked for and a Japanese font exists."""
    font = cjk_font() if lang == "ja" else None
    if lang == "ja" and font is not None:
        return T["ja"], {"family": [font, "DejaVu Sans"]}
    return T["en"], {}


def workers_text(result: BatchResult, lang: str) -> str:
    """「2 スレッド」/ "2 thread(s)": what graded the class, as it ran."""
    t = T["ja" if lang == "ja" else "en"]
    kind = "serial" if result.jobs <= 1 else ("thread" if result.executor == "thread" else "process")
    return f"{result.jobs} {t[kind]}"


def _figure(size, font: dict) -> Figure:
    return Figure(figsize=size)


def _apply_font(ax, font: dict) -> None:
    if not font:
        return
    for text in [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels(),
                 *ax.texts, *(ax.get_legend().get_texts() if ax.get_legend() else [])]:
        text.set_fontfamily(font["family"])


def figure_histogram(result: BatchResult, lang: str = "en") -> Figure:
    w, font = chart_words(lang)
    scores = np.array([r.score for r in result.results], dtype=float)
    mx = result.max_score or 1.0
    width = 0.5 if mx <= 10 else 1.0 if mx <= 40 else mx / 20
    edges = np.arange(0, mx + width / 2, width)
    if edges[-1] < mx:
        edges = np.append(edges, mx)
    fig = _figure((8, 3.4), font)
    ax = fig.add_subplot()
    if len(scores):
        ax.hist(scores, bins=edges, color="#0969da", edgecolor="white")
        mean, median = float(scores.mean()), float(np.median(scores))
        ax.axvline(mean, color="#cf222e", linestyle="--", linewidth=1.5, label=w["c_mean"].format(v=f"{mean:.2f}"))
        ax.axvline(median, color="#1a7f37", linestyle=":", linewidth=2, label=w["c_median"].format(v=f"{median:g}"))
        ax.legend(loc="upper left", frameon=False)
    ax.set_xlim(0, mx + width * 0.5)
    ax.set_xlabel(w["c_score"].format(mx=f"{mx:g}"))
    ax.set_ylabel(w["c_students"])
    ax.set_title(w["c_hist"].format(ex=result.exercise_id, n=len(scores)))
    ax.spines[["top", "right"]].set_visible(False)
    _apply_font(ax, font)
    return fig


def chart_histogram(result: BatchResult, lang: str = "en") -> str:
    return png_data_uri(figure_histogram(result, lang))


def figure_items(agg: dict, lang: str = "en") -> Figure:
    w, font = chart_words(lang)
    items = agg["items"]
    fig = _figure((8, 0.32 * len(items) + 1.2), font)
    ax = fig.add_subplot()
    y = np.arange(len(items))[::-1]
    left = np.zeros(len(items))
    for s in STATUSES:
        frac = np.array([it["status"][s] / it["n"] if it["n"] else 0.0 for it in items])
        if frac.any():
            ax.barh(y, frac * 100, left=left * 100, color=COLORS[s], label=w[s], height=0.75)
        left += frac
    for yi, it in zip(y, items):
        ax.text(101, yi, f"{it['pass_rate']:.0%}", va="center", fontsize=8)
    ax.set_yticks(y, [it["id"] for it in items], fontsize=8)
    ax.set_xlim(0, 110)
    ax.set_xlabel(w["c_pct"])
    n = max((it["n"] for it in items), default=0)
    ax.set_title(w["c_items"].format(n=n), pad=22)
    ax.legend(ncols=5, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    _apply_font(ax, font)
    return fig


def chart_items(agg: dict, lang: str = "en") -> str:
    return png_data_uri(figure_items(agg, lang))


def figure_mistakes(agg: dict, lang: str = "en") -> Figure | None:
    w, font = chart_words(lang)
    counts = Counter()
    for it in agg["items"]:
        for m in it["mistakes"]:
            counts[m["id"]] += m["count"]
    if not counts:
        return None
    common = counts.most_common(15)
    fig = _figure((8, 0.35 * len(common) + 1.2), font)
    ax = fig.add_subplot()
    y = np.arange(len(common))[::-1]
    ax.barh(y, [c for _, c in common], color="#bf3989")
    ax.set_yticks(y, [m for m, _ in common], fontsize=8)
    ax.set_xlabel(w["c_subs"])
    ax.set_title(w["c_mistakes"])
    ax.spines[["top", "right"]].set_visible(False)
    _apply_font(ax, font)
    return fig


def chart_mistakes(agg: dict, lang: str = "en") -> str | None:
    fig = figure_mistakes(agg, lang)
    return None if fig is None else png_data_uri(fig)


def figure_slowest(result: BatchResult, n: int = 15, lang: str = "en") -> Figure | None:
    w, font = chart_words(lang)
    slow = result.slowest(n)
    if not slow:
        return None
    fig = _figure((8, 0.3 * len(slow) + 1.4), font)
    ax = fig.add_subplot()
    y = np.arange(len(slow))[::-1]
    ax.barh(y, [r.duration_ms / 1000 for r in slow], color="#9a6700")
    ax.set_yticks(y, [r.student for r in slow], fontsize=8)
    durations = [r.duration_ms / 1000 for r in result.results if r.report is not None]
    if durations:
        med = statistics.median(durations)
        ax.axvline(med, color="#57606a", linestyle="--", linewidth=1, label=w["c_median_s"].format(v=f"{med:.2f}"))
        ax.legend(frameon=False, loc="lower right")
    ax.set_xlabel(w["c_time"])
    ax.set_title(w["c_slowest"].format(n=len(slow)))
    ax.spines[["top", "right"]].set_visible(False)
    _apply_font(ax, font)
    return fig


def chart_slowest(result: BatchResult, n: int = 15, lang: str = "en") -> str | None:
    fig = figure_slowest(result, n, lang)
    return None if fig is None else png_data_uri(fig)


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
<p class="sub">{{ t.generated }} {{ generated }} · {{ workers }} · {{ t.wall }} {{ wall }}
{% if deadline %} · {{ t.deadline }} {{ deadline }} ({{ policy }}){% endif %}</p>

<h2>{{ t.overview }}</h2>
<div class="cards">
{% for k, v in cards %}<div class="card"><div class="v">{{ v }}</div><div class="k">{{ k }}</div></div>{% endfor %}
</div>
{% if t.no_font and not cjk_font %}<p class="muted">{{ t.no_font }}</p>{% endif %}
<img alt="{{ t.hist }}" src="{{ hist }}">

<h2>{{ t.items_h }}</h2>
<img alt="{{ t.pass_rate }}" src="{{ items_png }}">
<table><thead><tr><th>{{ t.item }}</th><th class="num">{{ t.points }}</th><th>{{ t.rate }}</th><th class="num">{{ t.avg }}</th>
<th>{{ t.failures }}</th></tr></thead><tbody>
{% for it in items %}<tr><td><code>{{ it.id }}</code></td><td class="num">{{ it.points_s }}</td>
<td><span class="bar"><span style="width:{{ (it.pass_rate * 100)|round(1) }}%"></span></span> {{ "%.0f"|format(it.pass_rate * 100) }}%</td>
<td class="num">{{ "%.2f"|format(it.mean) }}</td><td>
{% if it.failures %}<ul class="msg">{% for f in it.failures %}<li><span class="cnt">×{{ f.count }}</span> <b>{{ f.label }}</b><br><span class="muted">{{ t.example }} {{ f.example }}</span></li>{% endfor %}</ul>
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

{% if vmatches %}<h2>{{ t.vm }}</h2>
<table><thead><tr><th>{{ t.student }}</th><th>{{ t.vm_most }}</th><th>{{ t.vm_items }}</th></tr></thead><tbody>
{% for v in vmatches %}<tr><td>{{ v.student }}</td><td>{{ v.most }}</td><td class="msg"><ul>{% for i in v.entries %}<li><code>{{ i.id }}</code> {{ i.text }}</li>{% endfor %}</ul></td></tr>{% endfor %}
</tbody></table>{% endif %}

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


def variant_matches(result: BatchResult, lang: str = "en") -> list[dict]:
    """Per student: the items whose wrong answer fits someone else's numbers, and whose (most often first)."""
    from grader.report import VARIANT_MATCH, variant_match_text

    rows = []
    n_items = len(result.item_ids)
    for r in result.results:
        report = r.report_in(lang, instructor=True) if r.report is not None else None
        items = [it for it in (report or {}).get("items", []) if it.get(VARIANT_MATCH)]
        if not items:
            continue
        whose = Counter()
        for it in items:
            whose.update(it[VARIANT_MATCH].get("students") or [])
            if it[VARIANT_MATCH].get("practice"):
                whose["(text)" if lang == "en" else "(テキスト)"] += 1
        most = ", ".join(f"{w} ({c}/{n_items})" for w, c in whose.most_common(3))
        rows.append({"student": r.student, "most": most, "count": len(items),
                     "entries": [{"id": it["id"], "text": variant_match_text(it[VARIANT_MATCH], lang)} for it in items]})
    rows.sort(key=lambda v: (-v["count"], v["student"]))
    return rows


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
        workers=workers_text(result, lang), cjk_font=cjk_font() is not None, wall=f"{result.wall_seconds:.1f} s",
        deadline=result.deadline.isoformat(timespec="minutes") if result.deadline else "", policy=policy,
        cards=cards, hist=chart_histogram(result, lang), items=agg["items"], items_png=chart_items(agg, lang),
        mistakes_png=chart_mistakes(agg, lang), mistakes=mistakes, vmatches=variant_matches(result, lang),
        slow_png=chart_slowest(result, lang=lang),
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


__all__ = ["aggregate", "render_class_report", "write_class_report", "message_key", "variant_matches"]
