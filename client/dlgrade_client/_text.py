"""Every sentence the client prints, in English and Japanese (the course's language, the default)."""

from __future__ import annotations

from typing import Any

TEXT = {
    # the network and the server
    "connection_refused": (
        "Cannot reach the dlgrade server at {host}: the connection was refused (is the server running, and is the "
        "URL right?).",
        "dlgrade サーバ {host} に接続できません(接続が拒否されました)。サーバが動いているか、URL が正しいか確かめてください。"),
    "timeout": (
        "The dlgrade server at {host} did not answer within {seconds} s; try again in a moment.",
        "dlgrade サーバ {host} が {seconds} 秒以内に応答しませんでした。少し待ってからもう一度試してください。"),
    "connection_lost": (
        "The connection to {host} broke before the answer arrived; run the cell again (a retry never makes a "
        "second submission).",
        "{host} との接続が応答の前に切れました。セルをもう一度実行してください(再実行しても提出は 1 回分です)。"),
    "unknown_host": (
        "The server name in {host} is unknown: check the URL given to connect() or DLGRADE_URL.",
        "{host} というサーバ名が見つかりません。connect() か DLGRADE_URL の URL を確かめてください。"),
    "network": (
        "Cannot reach the dlgrade server at {host} ({reason}).",
        "dlgrade サーバ {host} に接続できません({reason})。"),
    "not_dlgrade": (
        "{host} answered, but not like a dlgrade server: check the URL.",
        "{host} は dlgrade サーバではないようです。URL を確かめてください。"),
    "unauthorized": (
        "The server did not accept your token (401): use the token your instructor gave you "
        "(connect(url, token=...) or DLGRADE_TOKEN).",
        "トークンが受け付けられませんでした(401)。教員から配られたトークンを使ってください"
        "(connect(url, token=...) か DLGRADE_TOKEN)。"),
    "forbidden": (
        "This token may not do that (403).",
        "このトークンではその操作はできません(403)。"),
    "too_large": (
        "Your code is larger than the server accepts (413): {detail}",
        "コードがサーバの受け付ける大きさを超えています(413): {detail}"),
    "rate_limited": (
        "Too many requests for now (429): {detail} Wait {seconds} s before trying again.",
        "送信が多すぎます(429): {detail} {seconds} 秒待ってからもう一度試してください。"),
    "unavailable": (
        "The server cannot grade right now (503): {detail} Try again in {seconds} s.",
        "サーバは今は採点できません(503): {detail} {seconds} 秒後にもう一度試してください。"),
    "not_found": (
        "Not found on the server (404): {detail}",
        "サーバに見つかりません(404): {detail}"),
    "rejected": (
        "The server refused the request ({code}): {detail}",
        "サーバがリクエストを受け付けませんでした({code}): {detail}"),
    "server_error": (
        "The server failed (HTTP {code}); try again later, and tell your instructor if it keeps happening.",
        "サーバでエラーが起きました(HTTP {code})。後でもう一度試し、続くようなら教員に知らせてください。"),
    "http": (
        "Unexpected answer from {host} (HTTP {code}).",
        "{host} から想定外の応答がありました(HTTP {code})。"),
    # the client's own
    "no_url": (
        "No server given: call dlg.connect(\"http://...\") or set DLGRADE_URL.",
        "サーバが指定されていません。dlg.connect(\"http://...\") を呼ぶか DLGRADE_URL を設定してください。"),
    "no_token": (
        "No token given: call dlg.connect(url, token=...) or set DLGRADE_TOKEN.",
        "トークンが指定されていません。dlg.connect(url, token=...) を呼ぶか DLGRADE_TOKEN を設定してください。"),
    "bad_url": (
        "{url!r} is not a server address: give one like http://127.0.0.1:8000.",
        "{url!r} はサーバのアドレスではありません。http://127.0.0.1:8000 のように指定してください。"),
    "no_code": (
        "No code to send: run your cells in this kernel first (or pass path=...).",
        "送るコードがありません。先にこのカーネルでセルを実行してください(または path=... を指定)。"),
    "unreadable_file": (
        "Cannot read {path}: {reason}.",
        "{path} を読めません: {reason}。"),
    "grading_failed": (
        "The server could not grade this ({error}); tell your instructor.",
        "サーバで採点できませんでした({error})。教員に知らせてください。"),
    "still_grading": (
        "Still being graded after {seconds} s: see #{id} on the web page later.",
        "{seconds} 秒たっても採点が終わっていません。後で Web ページの #{id} を見てください。"),
    "unknown_exercise": (
        "There is no exercise {exercise!r} on this server; its exercises: {known}.",
        "このサーバに課題 {exercise!r} はありません。課題: {known}"),
    "no_variant": (
        "{exercise} has no per-student variant: its numbers are the same for everyone.",
        "{exercise} には学生ごとの問題(バリアント)はありません。全員同じ数値です。"),
    "no_variant_endpoint": (
        "This server does not hand out per-student variants (it predates them): {exercise} is the same for everyone.",
        "このサーバは学生ごとの問題(バリアント)を配っていません(古い版です)。{exercise} は全員同じです。"),
    "saved_differs": (
        "Note: the saved notebook {name} differs from what this kernel ran (save it with Ctrl+S); "
        "submitted what the kernel ran.",
        "注意: 保存されたノートブック {name} はこのカーネルが実行した内容と違います(Ctrl+S で保存してください)。"
        "カーネルが実行した内容を提出しました。"),
    "path_differs": (
        "Note: {name} differs from what this kernel ran; submitted the file, as asked.",
        "注意: {name} はこのカーネルが実行した内容と違います。指定どおりファイルを提出しました。"),
    "connected": (
        "Connected to {url} as {name}.",
        "{url} に {name} として接続しました。"),
    "cells_taken": (
        "Cells sent: {cells}",
        "送ったセル: {cells}"),
    "cells_unparsable": (
        "Cells skipped (not valid Python): {cells}",
        "送らなかったセル(Python として読めない): {cells}"),
    "submitted": (
        "Submitted #{id} ({filename}): this is the graded submission.",
        "#{id}({filename})を提出しました。これが採点対象の提出です。"),
    "checked": (
        "Practice check #{id}: not counted in the gradebook.",
        "練習のチェック #{id}: 成績には入りません。"),
    "replayed": (
        "(the server already had this request: no second submission was made)",
        "(サーバはこのリクエストを受け取り済みでした。提出は増えていません)"),
    # the report
    "item": ("Item", "項目"), "result": ("Result", "結果"), "score": ("Score", "得点"),
    "feedback": ("Feedback", "フィードバック"), "hint": ("Hint", "ヒント"), "mistake": ("Known mistake", "よくある間違い"),
    "section": ("§", "§"), "total": ("Total", "合計"), "notes": ("Notes", "メモ"), "output": ("Output", "出力"),
    "s_pass": ("pass", "正解"), "s_fail": ("fail", "不正解"), "s_error": ("error", "エラー"),
    "s_timeout": ("timeout", "時間切れ"), "s_missing": ("missing", "未定義"),
    "prompt_url": ("dlgrade server URL: ", "dlgrade サーバの URL: "),
    "prompt_token": ("dlgrade token (not shown): ", "dlgrade のトークン(表示されません): "),
}


def say(key: str, lang: str, **values: Any) -> str:
    en, ja = TEXT[key]
    template = ja if lang == "ja" else en
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template
