"""Gradescope autograder mode: ``dlgrade gradescope EXERCISE``.

Gradescope runs ``/autograder/run_autograder`` in a container with the student's
upload in ``/autograder/submission`` and reads ``/autograder/results/results.json``
(https://gradescope-autograders.readthedocs.io/en/latest/specs/).  Each graded item
becomes one Gradescope test (name, score, max_score, status, output, visibility).
All paths are options so the mode can be tested and run anywhere.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from grader.classroom.batch import folder_files, grade_files, unreadable_report
from grader.messages import Msg, with_section
from grader.options import MAX_FILE_BYTES

DEFAULT_SUBMISSION = Path("/autograder/submission")
DEFAULT_RESULTS = Path("/autograder/results/results.json")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")

STATUS_TEXT = {"en": {"pass": "correct", "fail": "wrong result", "error": "error", "timeout": "timed out",
                      "missing": "not defined"},
               "ja": {"pass": "正解", "fail": "不正解", "error": "エラー", "timeout": "時間切れ", "missing": "未定義"}}


class GradescopeError(Exception):
    """The autograder was set up wrongly (usage error)."""


def test_output(item: dict, lang: str) -> str:
    """The text a student reads under one Gradescope test."""
    ja = lang == "ja"
    lines = [item["feedback"]]
    if item["status"] != "pass":
        if item.get("mistake"):
            m = item["mistake"]
            lines.append(("よくある間違い: " if ja else "Typical mistake: ") + (m.get("title") or m["id"]))
            if m.get("explanation"):
                lines.append(m["explanation"])
        lines.append(("ヒント: " if ja else "Hint: ") + with_section(item["hint"], item["section"], lang))
    return "\n".join(line for line in lines if line)


def results_json(exercise, report: dict, lang: str, files: list[str], seconds: float,
                 visibility: str = "visible", hidden_visibility: str = "after_published") -> dict:
    ja = lang == "ja"
    hidden = {i.id for i in exercise.items if getattr(i, "hidden", False)}
    tests = []
    for n, it in enumerate(report["items"], start=1):
        tests.append({
            "name": f"{it['id']} — {STATUS_TEXT[lang].get(it['status'], it['status'])}",
            "number": str(n),
            "score": float(it["score"]),
            "max_score": float(it["max_score"]),
            "status": "passed" if it["status"] == "pass" else "failed",
            "output": test_output(it, lang),
            "output_format": "text",
            "visibility": hidden_visibility if it["id"] in hidden else visibility,
            "tags": [it["status"], f"§{it['section']}"],
            "extra_data": {"id": it["id"], "status": it["status"],
                           "mistake": it["mistake"]["id"] if it.get("mistake") else None},
        })
    head = (f"{exercise.id}({exercise.title.get(lang)}): {report['score']:g} / {report['max_score']:g} 点"
            if ja else f"{exercise.id} ({exercise.title.get(lang)}): {report['score']:g} / {report['max_score']:g}")
    out = [head, ("採点したファイル: " if ja else "Graded files: ") + (", ".join(files) or "-")]
    if report.get("notes"):
        out.append("")
        out.append("メモ:" if ja else "Notes:")
        out += [f"- {n}" for n in report["notes"]]
    return {
        "score": float(report["score"]),
        "execution_time": int(round(seconds)),
        "output": "\n".join(out),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"exercise": exercise.id, "files": files, "max_score": float(report["max_score"]),
                       "duration_ms": report.get("duration_ms")},
    }


def run_gradescope(exercise, submission_dir: Path = DEFAULT_SUBMISSION, results_path: Path = DEFAULT_RESULTS,
                   lang: str = "en", options=None, visibility: str = "visible",
                   hidden_visibility: str = "after_published", starter=None) -> dict:
    """Grade the upload in ``submission_dir`` and write Gradescope's ``results.json``."""
    from grader.runner.pool import default_starter
    from grader.report import select_lang

    if visibility not in VISIBILITIES or hidden_visibility not in VISIBILITIES:
        raise GradescopeError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    submission_dir = Path(submission_dir)
    if not submission_dir.is_dir():
        raise GradescopeError(f"{submission_dir}: no such directory (the student's upload)")
    t0 = time.perf_counter()
    paths = folder_files(submission_dir, exercise.notebooks)
    names = [p.relative_to(submission_dir).as_posix() for p in paths]
    files: list[tuple[str, bytes]] = []
    problem: Msg | None = None
    for name, p in zip(names, paths):
        try:
            if p.stat().st_size > MAX_FILE_BYTES:
                problem = Msg(en=f"{name} is larger than {MAX_FILE_BYTES >> 20} MiB.",
                              ja=f"{name} は {MAX_FILE_BYTES >> 20} MiB を超えています。")
                break
            files.append((name, p.read_bytes()))
        except OSError as exc:
            problem = Msg(en=f"{name} could not be read ({exc.strerror or exc}).",
                          ja=f"{name} を読み込めませんでした({exc.strerror or exc})。")
            break
    if not paths:
        problem = Msg(en="No .py or .ipynb file was found in your submission. Upload your notebook "
                         f"(e.g. {exercise.notebooks[0] if exercise.notebooks else 'answer.ipynb'}) or a .py file.",
                      ja="提出物に .py / .ipynb ファイルが見つかりません。ノートブック"
                         f"({exercise.notebooks[0] if exercise.notebooks else 'answer.ipynb'} など)か .py ファイルを提出してください。")
    if problem is not None:
        report = unreadable_report(exercise, names[0] if names else "(none)", problem)
    else:
        report = grade_files(exercise, files, names[0] if len(names) == 1 else "submission/", options,
                             starter or default_starter())
    data = results_json(exercise, select_lang(report.to_bilingual(), lang), lang, names,
                        time.perf_counter() - t0, visibility, hidden_visibility)
    results_path = Path(results_path)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = results_path.with_name(f".{results_path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, results_path)
    return data
