"""Feedback files to hand back to students (``dlgrade batch --feedback DIR``): HTML or Markdown."""

from __future__ import annotations

import re

from jinja2 import Environment

from grader.messages import with_section

STATUS = {
    "en": {"pass": "pass", "fail": "fail", "error": "error", "timeout": "timeout", "missing": "missing"},
    "ja": {"pass": "正解", "fail": "不正解", "error": "エラー", "timeout": "時間切れ", "missing": "未定義"},
}
STATUS_MARK = {"pass": "✅", "fail": "❌", "error": "⚠️", "timeout": "⏱️", "missing": "❔"}

TEXT = {
    "en": {"title": "Feedback", "student": "Student", "score": "Score", "files": "Files", "item": "Item",
           "result": "Result", "points": "Points", "details": "What to fix", "hint": "Hint", "notes": "Notes",
           "mistake": "Typical mistake", "late": "Late", "deadline": "deadline", "submitted": "submitted",
           "days": "day(s) late", "penalty": "penalty", "raw": "before penalty", "not_graded": "Not graded",
           "all_pass": "Every item is correct. Well done!", "section": "§"},
    "ja": {"title": "フィードバック", "student": "学生", "score": "得点", "files": "ファイル", "item": "項目",
           "result": "結果", "points": "点", "details": "直すところ", "hint": "ヒント", "notes": "メモ",
           "mistake": "よくある間違い", "late": "遅延提出", "deadline": "締切", "submitted": "提出",
           "days": "日遅れ", "penalty": "減点", "raw": "減点前", "not_graded": "採点できませんでした",
           "all_pass": "すべての項目が正解です。よくできました!", "section": "§"},
}


def fmt(x) -> str:
    x = round(float(x), 4)
    return "0" if x == 0 else format(x, "g")


def _context(r, exercise_id: str, exercise_title: str, lang: str) -> dict:
    report = r.report_in(lang) if r.report is not None else None
    items = report["items"] if report else []
    late = r.late
    return {
        "t": TEXT[lang], "lang": lang, "student": r.student, "exercise_id": exercise_id,
        "exercise_title": exercise_title, "files": r.files, "status": r.status,
        "reason": r.reason.get(lang) if r.reason is not None else None,
        "score": fmt(r.score), "raw_score": fmt(r.raw_score), "max_score": fmt(r.max_score),
        "items": [dict(it, label=STATUS[lang].get(it["status"], it["status"]),
                       mark=STATUS_MARK.get(it["status"], ""), score_s=fmt(it["score"]),
                       max_s=fmt(it["max_score"])) for it in items],
        "problems": [dict(it, label=STATUS[lang].get(it["status"], it["status"]), score_s=fmt(it["score"]),
                          hint_s=with_section(it["hint"], it["section"], lang),
                          max_s=fmt(it["max_score"])) for it in items if it["score"] < it["max_score"]],
        "notes": report["notes"] if report else [],
        "late": None if late is None or not late.late else {
            "deadline": late.deadline.isoformat(timespec="minutes"),
            "submitted": late.submitted_at.isoformat(timespec="minutes") if late.submitted_at else "",
            "days": late.days_late, "penalty": fmt(late.penalty), "policy": late.policy.describe(lang)},
        "graded": r.report is not None and r.status == "graded",
    }


_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

HTML = _env.from_string("""<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.title }} — {{ exercise_id }} — {{ student }}</title>
<style>
body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans JP",sans-serif;max-width:860px;margin:2em auto;
padding:0 1em;color:#1f2328;line-height:1.55}
h1{font-size:1.4em;margin-bottom:.2em}.sub{color:#57606a;margin-top:0}
.score{font-size:1.8em;font-weight:700}.late{background:#fff8c5;border:1px solid #d4a72c;padding:.5em .8em;border-radius:6px}
.bad{background:#ffebe9;border:1px solid #ff8182;padding:.5em .8em;border-radius:6px}
table{border-collapse:collapse;width:100%;margin:1em 0}th,td{border-bottom:1px solid #d0d7de;padding:.35em .5em;text-align:left}
td.num{text-align:right;white-space:nowrap}.pass{color:#1a7f37}.fail{color:#cf222e}.error{color:#8250df}
.timeout{color:#9a6700}.missing{color:#57606a}
.item{border-left:4px solid #cf222e;padding:.2em .9em;margin:1em 0;background:#f6f8fa}
.item h3{margin:.3em 0;font-size:1.05em}.hint{color:#0969da}.mistake{font-weight:600}
code{font-family:ui-monospace,monospace;font-size:.92em}
</style></head><body>
<h1>{{ t.title }} — {{ exercise_id }}{% if exercise_title %} ({{ exercise_title }}){% endif %}</h1>
<p class="sub">{{ t.student }}: <b>{{ student }}</b>{% if files %} · {{ t.files }}: {{ files|join(", ") }}{% endif %}</p>
<p class="score">{{ t.score }}: {{ score }} / {{ max_score }}</p>
{% if late %}<p class="late">{{ t.late }}: {{ t.submitted }} {{ late.submitted }}, {{ t.deadline }} {{ late.deadline }}
— {{ late.days }} {{ t.days }}; {{ t.penalty }} −{{ late.penalty }} ({{ late.policy }}; {{ t.raw }}: {{ raw_score }})</p>{% endif %}
{% if reason %}<p class="bad"><b>{{ t.not_graded }}:</b> {{ reason }}</p>{% endif %}
{% if items %}
<table><thead><tr><th>{{ t.item }}</th><th>{{ t.result }}</th><th>{{ t.points }}</th></tr></thead><tbody>
{% for it in items %}<tr><td><code>{{ it.id }}</code></td><td class="{{ it.status }}">{{ it.mark }} {{ it.label }}</td>
<td class="num">{{ it.score_s }} / {{ it.max_s }}</td></tr>
{% endfor %}</tbody></table>
{% endif %}
{% if graded and not problems %}<p class="pass">{{ t.all_pass }}</p>{% endif %}
{% if problems and graded %}<h2>{{ t.details }}</h2>
{% for it in problems %}<div class="item"><h3><code>{{ it.id }}</code> — <span class="{{ it.status }}">{{ it.label }}</span>
({{ it.score_s }} / {{ it.max_s }})</h3>
{% if it.mistake %}<p class="mistake">{{ t.mistake }}: {{ it.mistake.title }}</p>
{% if it.mistake.explanation %}<p>{{ it.mistake.explanation }}</p>{% endif %}{% endif %}
<p>{{ it.feedback }}</p>
<p class="hint">{{ t.hint }}: {{ it.hint_s }}</p></div>
{% endfor %}{% endif %}
{% if notes %}<h2>{{ t.notes }}</h2><ul>{% for n in notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
</body></html>
""")


def _md(text) -> str:
    """Escape text for Markdown (students' messages contain `*`, `_`, `|`, `<`...)."""
    text = str(text).replace("\r", "")
    text = re.sub(r"([\\`*_{}\[\]<>|#])", r"\\\1", text)
    return text.replace("\n", "  \n")


def _markdown(c: dict) -> str:
    t = c["t"]
    out = [f"# {t['title']} — {_md(c['exercise_id'])}" + (f" ({_md(c['exercise_title'])})" if c["exercise_title"] else ""),
           "", f"{t['student']}: **{_md(c['student'])}**" + (
               f" · {t['files']}: {_md(', '.join(c['files']))}" if c["files"] else ""),
           "", f"**{t['score']}: {c['score']} / {c['max_score']}**", ""]
    if c["late"]:
        late = c["late"]
        out += [f"> {t['late']}: {t['submitted']} {late['submitted']}, {t['deadline']} {late['deadline']} — "
                f"{late['days']} {t['days']}; {t['penalty']} −{late['penalty']} ({_md(late['policy'])}; "
                f"{t['raw']}: {c['raw_score']})", ""]
    if c["reason"]:
        out += [f"> **{t['not_graded']}:** {_md(c['reason'])}", ""]
    if c["items"]:
        out += [f"| {t['item']} | {t['result']} | {t['points']} |", "|---|---|---:|"]
        out += [f"| `{it['id']}` | {it['mark']} {it['label']} | {it['score_s']} / {it['max_s']} |" for it in c["items"]]
        out.append("")
    if c["graded"] and not c["problems"]:
        out += [t["all_pass"], ""]
    if c["graded"] and c["problems"]:
        out += [f"## {t['details']}", ""]
        for it in c["problems"]:
            out += [f"### `{it['id']}` — {it['label']} ({it['score_s']} / {it['max_s']})", ""]
            if it.get("mistake"):
                out += [f"**{t['mistake']}: {_md(it['mistake']['title'])}**", ""]
                if it["mistake"].get("explanation"):
                    out += [_md(it["mistake"]["explanation"]), ""]
            out += [_md(it["feedback"]), "", f"*{t['hint']}: {_md(it['hint_s'])}*", ""]
    if c["notes"]:
        out += [f"## {t['notes']}", ""] + [f"- {_md(n)}" for n in c["notes"]] + [""]
    return "\n".join(out)


def render_feedback(r, result=None, fmt: str = "html", lang: str = "en", exercise=None) -> str:
    """The feedback file of one :class:`grader.classroom.batch.StudentResult`."""
    ex_id = exercise.id if exercise is not None else (result.exercise_id if result is not None else "")
    title = exercise.title.get(lang) if exercise is not None else ""
    c = _context(r, ex_id, title, lang)
    if fmt == "md":
        return _markdown(c)
    return HTML.render(**c)
