"""A report as an HTML table (notebooks: pass/fail colours like the web page) or a text table (a shell)."""

from __future__ import annotations

import html
import shutil
import textwrap
from typing import Sequence

from dlgrade_client._text import say

# the web page's colours (api/static/app.css)
COLOURS = {"pass": ("#1a7f37", "#dafbe1"), "fail": ("#cf222e", "#ffebe9"), "error": ("#8250df", "#fbefff"),
           "timeout": ("#9a6700", "#fbefff"), "missing": ("#6e7781", "#fbefff")}
CELL = "border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top"


def _verdict(status: str, lang: str) -> str:
    return say("s_" + status, lang) if status in COLOURS else status


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def _score(report: dict) -> str:
    return f"{_fmt(report.get('score', 0))} / {_fmt(report.get('max_score', 0))}"


def report_html(report: dict, lang: str, lines: Sequence[str] = ()) -> str:
    e = html.escape
    rows = []
    for item in report.get("items", []):
        status = item.get("status", "error")
        fg, bg = COLOURS.get(status, COLOURS["error"])
        feedback = f"<div>{e(str(item.get('feedback', '')))}</div>"
        if status != "pass":
            if item.get("mistake"):
                feedback += (f"<div style='font-weight:600;margin-top:.2rem'>{e(say('mistake', lang))}: "
                             f"{e(str(item['mistake'].get('title', '')))}</div>")
            if item.get("hint"):
                feedback += (f"<div style='color:#57606a;margin-top:.2rem'>{e(say('hint', lang))}: "
                             f"{e(str(item['hint']))} (§{e(str(item.get('section', '')))})</div>")
        rows.append(
            f"<tr class='dlgrade-{e(status)}' style='background:{bg}'>"
            f"<td style='{CELL}'><code>{e(str(item.get('id', '')))}</code></td>"
            f"<td style='{CELL};text-align:center;color:#fff;background:{fg};white-space:nowrap'>"
            f"{e(_verdict(status, lang))}</td>"
            f"<td style='{CELL};text-align:right;white-space:nowrap'>{_fmt(item.get('score', 0))} / "
            f"{_fmt(item.get('max_score', 0))}</td>"
            f"<td style='{CELL}'>{feedback}</td></tr>")
    head = "".join(f"<th style='{CELL};background:#f6f8fa'>{e(say(k, lang))}</th>"
                   for k in ("item", "result", "score", "feedback"))
    parts = [f"<div class='dlgrade-report' lang='{e(lang)}'>",
             f"<p style='font-size:1.1rem;font-weight:700'>{e(str(report.get('exercise', '')))} — "
             f"{e(say('total', lang))}: <span class='dlgrade-score'>{_score(report)}</span></p>",
             f"<table style='border-collapse:collapse;width:100%'><thead><tr>{head}</tr></thead>"
             f"<tbody>{''.join(rows)}</tbody></table>"]
    notes = report.get("notes") or []
    if notes:
        parts.append(f"<p><b>{e(say('notes', lang))}</b></p><ul>"
                     + "".join(f"<li>{e(str(n))}</li>" for n in notes) + "</ul>")
    if report.get("output"):
        parts.append(f"<details><summary>{e(say('output', lang))}</summary>"
                     f"<pre>{e(str(report['output']))}</pre></details>")
    if lines:
        parts.append("".join(f"<p style='color:#57606a'>{e(line)}</p>" for line in lines))
    parts.append("</div>")
    return "".join(parts)


def report_text(report: dict, lang: str, lines: Sequence[str] = (), width: int = 0) -> str:
    """A plain-text table: one block per item (id, verdict, score), feedback wrapped under it."""
    width = width or min(110, shutil.get_terminal_size((100, 24)).columns)
    items = report.get("items", [])
    id_w = max([len(say("item", lang))] + [len(str(i.get("id", ""))) for i in items])
    out = [f"{report.get('exercise', '')} — {say('total', lang)}: {_score(report)}", ""]
    out.append(f"{say('item', lang):<{id_w}}  {say('result', lang):<10}  {say('score', lang)}")
    out.append("-" * min(width, id_w + 30))
    for item in items:
        status = item.get("status", "error")
        verdict = _verdict(status, lang)
        mark = "✓" if status == "pass" else "✗"
        out.append(f"{str(item.get('id', '')):<{id_w}}  {mark} {verdict:<8}  "
                   f"{_fmt(item.get('score', 0))} / {_fmt(item.get('max_score', 0))}")
        if status != "pass":
            text = [str(item.get("feedback", ""))]
            if item.get("mistake"):
                text.append(f"{say('mistake', lang)}: {item['mistake'].get('title', '')}")
            if item.get("hint"):
                text.append(f"{say('hint', lang)}: {item['hint']} (§{item.get('section', '')})")
            for t in text:
                out.extend(textwrap.wrap(t, width=max(40, width - 4), initial_indent="    ",
                                         subsequent_indent="    ") or [""])
    for note in report.get("notes") or []:
        out.append(f"{say('notes', lang)}: {note}")
    out.extend(lines)
    return "\n".join(out)
