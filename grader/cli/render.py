"""Rendering reports and the catalogue for people (terminal) and scripts (JSON)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.messages import place, with_section
from grader.report import VARIANT_MATCH, Report, variant_match_text
from grader.spec import Exercise

STATUS_STYLE = {"pass": "green", "fail": "red", "error": "magenta", "timeout": "yellow", "missing": "bright_black"}
STATUS_JA = {"pass": "正解", "fail": "不正解", "error": "エラー", "timeout": "時間切れ", "missing": "未定義"}


def unavailable(ex: Exercise, lang: str) -> str | None:
    """Why the exercise cannot be graded here (an optional package such as PyTorch is missing), or None."""
    from grader.extras import missing, unavailable_message

    absent = missing(ex.requires)
    return unavailable_message(absent).get(lang) if absent else None


def catalogue_dict(exercises: dict[str, Exercise], lang: str) -> dict:
    out = []
    for ex in exercises.values():
        why = unavailable(ex, lang)
        out.append({
            "id": ex.id,
            "title": ex.title.get(lang),
            "section": ex.section,
            "notebooks": list(ex.notebooks),
            "max_score": ex.max_score,
            "items": [{"id": i.id, "points": float(i.points), "section": i.section} for i in ex.items],
            "requires": list(ex.requires),
            "available": why is None,
            "unavailable_reason": why,
        })
    return {"exercises": out}


def print_catalogue(console: Console, exercises: dict[str, Exercise], lang: str) -> None:
    table = Table(title="dlgrade exercises" if lang == "en" else "dlgrade 課題一覧")
    table.add_column("id")
    table.add_column("title" if lang == "en" else "題目")
    table.add_column("§")
    table.add_column("items" if lang == "en" else "項目数", justify="right")
    table.add_column("points" if lang == "en" else "配点", justify="right")
    notes = []
    for ex in exercises.values():
        why = unavailable(ex, lang)
        title = ex.title.get(lang) + ((" (unavailable here)" if lang == "en" else "(この環境では採点不可)") if why else "")
        table.add_row(ex.id, title, ex.section, str(len(ex.items)), f"{ex.max_score:g}")
        if why:
            notes.append(f"{ex.id}: {why}")
    console.print(table)
    for note in notes:
        console.print(Text(note, style="yellow"))


def syntax_error_line(p: dict, lang: str) -> str:
    """One entry of a report's ``syntax_errors``, as the line that leads the report."""
    where = place(p["file"] if p.get("cell") is None else f"{p['file']}, cell {p['cell']}", p["line"])
    if lang == "ja":
        return f"構文エラー: {where.ja}: {p['message']}(この行から読み込めなかった部分は採点されていません)"
    return f"SyntaxError at {where.en}: {p['message']} (what did not parse from there was not graded)"


def print_report(console: Console, report: Report, lang: str, instructor: bool = False) -> None:
    d = report.to_dict(lang, instructor)
    head = (f"{d['exercise']} — {d['submission']}: {d['score']:g} / {d['max_score']:g}"
            f"  ({d['duration_ms']} ms)")
    console.print(Text(head, style="bold"))
    for p in d.get("syntax_errors") or []:  # the cause of every "not defined" below: said first
        console.print(Text(syntax_error_line(p, lang), style="bold red"))
        if p.get("text"):
            console.print(Text(f"    {p['text']}"))
    table = Table(show_lines=False)
    table.add_column("item" if lang == "en" else "項目")
    table.add_column("status" if lang == "en" else "結果")
    table.add_column("score" if lang == "en" else "得点", justify="right")
    table.add_column("feedback" if lang == "en" else "フィードバック", overflow="fold")
    for it in d["items"]:
        status = it["status"] if lang == "en" else STATUS_JA.get(it["status"], it["status"])
        feedback = it["feedback"]
        if it["status"] != "pass":
            hint = it["hint"]
            feedback += f"\n→ {with_section(hint, it['section'], lang)}"
            if it.get("mistake"):
                feedback = f"[{it['mistake']['title']}] " + feedback
            if it.get(VARIANT_MATCH):
                feedback = f"[{variant_match_text(it[VARIANT_MATCH], lang)}] " + feedback
        # Text(), not a markup string: student-derived text and "[title]" must print literally
        table.add_row(Text(it["id"]), Text(status, style=STATUS_STYLE.get(it["status"], "")),
                      f"{it['score']:g}/{it['max_score']:g}", Text(feedback))
    console.print(table)
    if d["notes"]:
        console.print(Text("notes:" if lang == "en" else "メモ:", style="bold"))
        for n in d["notes"]:
            console.print(Text(f"  • {n}"))
