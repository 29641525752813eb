"""/client/: the notebook client's install page and its wheel, built from ``client/`` on first request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from api.client_wheel import client_wheel
from api.routers.web import templates

router = APIRouter(include_in_schema=False)

TEXT = {
    "ja": {
        "title": "ノートブックから採点する — dlgrade_client", "switch": "English", "back": "提出ページへ",
        "intro": "Jupyter・JupyterLab・VS Code・Colab のノートブックの中で、実行したコードをこのサーバで採点できます。"
                 "ファイルを保存する必要はありません。",
        "install": "1. インストール(ノートブックのセルで一度だけ)", "use": "2. 採点(何度でも)",
        "starter": "課題ノートブックの先頭に置くセル(教員向け)",
        "sent": "送られるもの: カーネルが実行したセルから組み立てた import・関数・クラスの定義と、それらが使う代入だけです"
                "(マジック・シェル行・学習ループや表示は送られません)。トークンは表示されません。",
        "check_line": "練習のチェック(成績には入りません)", "submit_line": "採点される提出(1 回分)",
        "wheel": "wheel を直接ダウンロード", "python": "Python 3.9 以上、標準ライブラリのみ",
    },
    "en": {
        "title": "Checking from a notebook — dlgrade_client", "switch": "日本語", "back": "Back to the submission page",
        "intro": "Grade what you ran inside a Jupyter, JupyterLab, VS Code or Colab notebook on this server; "
                 "no saved file needed.",
        "install": "1. Install (once, in a notebook cell)", "use": "2. Check (as often as you like)",
        "starter": "The starter cell for the top of each exercise notebook (instructors)",
        "sent": "What is sent: the imports, function and class definitions from the cells the kernel ran, and the "
                "assignments they use (no magics, shell lines, training loops or prints). The token is never shown.",
        "check_line": "a practice check (never in the gradebook)", "submit_line": "the graded submission (counts once)",
        "wheel": "download the wheel", "python": "Python 3.9 or later, standard library only",
    },
}


@router.get("/client/", response_class=HTMLResponse)
async def client_page(request: Request, lang: Annotated[str | None, Query(max_length=5)] = None) -> HTMLResponse:
    lang = lang if lang in TEXT else "ja"
    wheel = await run_in_threadpool(client_wheel)
    base = str(request.base_url).rstrip("/")
    response = templates.TemplateResponse(request, "client.html", {
        "lang": lang, "other": "en" if lang == "ja" else "ja", "t": TEXT[lang], "base": base,
        "wheel": wheel, "wheel_url": f"{base}/client/{wheel.filename}",
    })
    response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self'; frame-ancestors 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/client/{filename}")
async def client_download(filename: str) -> Response:
    wheel = await run_in_threadpool(client_wheel)
    if filename != wheel.filename:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no such file; the client is {wheel.filename}")
    return Response(wheel.data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{wheel.filename}"', "ETag": f'"{wheel.sha256}"',
        "X-Content-Type-Options": "nosniff"})
