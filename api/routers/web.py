"""The students' page at /: sign in with a token, submit, read reports (a small static-JS page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

import exercises
from api.db import API_DIR
from api.deps import SettingsDep
from grader.cli.render import catalogue_dict

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(API_DIR / "templates"))

TEXT = {
    "ja": {
        "title": "dlgrade — 深層学習 課題の自動採点", "switch": "English", "signin": "サインイン",
        "token": "トークン", "token_help": "教員から配られたトークンを入力してください。", "signout": "サインアウト",
        "signed_in_as": "サインイン中:", "submit_title": "提出", "exercise": "課題",
        "file": "ファイル (.py / .ipynb)", "or_paste": "またはコードを貼り付け", "submit": "提出する",
        "source": "提出するもの", "use_file": "ファイルを選ぶ", "use_paste": "コードを貼り付ける",
        "paste": "コード(.py の内容)", "need_file": "ファイルを選んでください。", "need_paste": "コードを貼り付けてください。",
        "syntax": "構文エラー", "syntax_line": "{file} の {line} 行目", "syntax_cell": "{file} のセル {cell} の {line} 行目",
        "syntax_help": "この行から読み込めなかった部分は採点されていません。まずここを直してください。",
        "report": "採点結果", "history": "これまでの提出", "item": "項目", "result": "結果", "score": "得点",
        "feedback": "フィードバック", "hint": "ヒント", "section": "節", "mistake": "よくある間違い", "notes": "メモ",
        "output": "出力", "filename": "ファイル", "no_history": "まだ提出はありません。", "when": "日時", "status": "状態",
        "view": "表示", "bad_token": "トークンが正しくありません。", "need_source": "ファイルを選ぶか、コードを貼り付けてください。",
        "sending": "送信中…", "waiting": "採点中…", "graded": "採点が終わりました。", "failed": "採点できませんでした",
        "s_queued": "待機中", "s_running": "採点中", "s_done": "完了", "s_error": "エラー",
        "i_pass": "正解", "i_fail": "不正解", "i_error": "エラー", "i_timeout": "時間切れ", "i_missing": "未定義",
        "total": "合計",
        "checks_title": "ノートブックからのチェック(練習・成績には入りません)",
        "no_checks": "まだチェックはありません。ノートブックから dlgrade_client.check(…) で採点できます。",
        "client_link": "ノートブックから採点する",
    },
    "en": {
        "title": "dlgrade — deep-learning exercise grader", "switch": "日本語", "signin": "Sign in",
        "token": "Token", "token_help": "Enter the token your instructor gave you.", "signout": "Sign out",
        "signed_in_as": "Signed in as", "submit_title": "Submit", "exercise": "Exercise",
        "file": "File (.py / .ipynb)", "or_paste": "or paste your code", "submit": "Submit",
        "source": "What to submit", "use_file": "a file", "use_paste": "pasted code",
        "paste": "Code (the contents of a .py)", "need_file": "Choose a file.", "need_paste": "Paste your code.",
        "syntax": "SyntaxError", "syntax_line": "{file}, line {line}", "syntax_cell": "{file}, cell {cell}, line {line}",
        "syntax_help": "What did not parse from there was not graded: fix this first.",
        "report": "Report", "history": "Your submissions", "item": "Item", "result": "Result", "score": "Score",
        "feedback": "Feedback", "hint": "Hint", "section": "§", "mistake": "Known mistake", "notes": "Notes",
        "output": "Output", "filename": "File", "no_history": "No submissions yet.", "when": "Submitted", "status": "Status",
        "view": "View", "bad_token": "That token is not valid.", "need_source": "Choose a file or paste your code.",
        "sending": "Uploading…", "waiting": "Grading…", "graded": "Graded.", "failed": "Could not be graded",
        "s_queued": "queued", "s_running": "running", "s_done": "done", "s_error": "error",
        "i_pass": "pass", "i_fail": "fail", "i_error": "error", "i_timeout": "timeout", "i_missing": "missing",
        "total": "Total",
        "checks_title": "Checks from a notebook (practice: never in the gradebook)",
        "no_checks": "No checks yet. From a notebook, dlgrade_client.check(…) grades what you ran.",
        "client_link": "Checking from a notebook",
    },
}


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    return FileResponse(API_DIR / "static" / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/", response_class=HTMLResponse)
def page(request: Request, settings: SettingsDep,
         lang: Annotated[str | None, Query(max_length=5)] = None) -> HTMLResponse:
    lang = lang if lang in TEXT else "ja"  # the page starts in Japanese, whatever the browser says
    response = templates.TemplateResponse(request, "index.html", {
        "lang": lang, "other": "en" if lang == "ja" else "ja", "t": TEXT[lang],
        "catalogue": catalogue_dict(exercises.catalogue(), lang)["exercises"],
        "max_kib": settings.max_upload_bytes // 1024, "wait": settings.max_wait_seconds,
    })
    response.headers["Content-Security-Policy"] = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                                   "img-src 'self' data:; frame-ancestors 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
