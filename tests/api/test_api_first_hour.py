"""What a newcomer meets on the API and its CLI (issue 13): the form's messages, refusals in the caller's
language and the {detail, reason} shape (documented in the OpenAPI schema), one database whatever the
current folder, and `dlgrade token create` / `dlgrade serve` saying which database they use."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings, data_dir, default_database_url
from api_testing import ROOT, make_settings
from live_server import LiveServer


@pytest.fixture
def svc(tmp_path):
    from api_testing import Service

    app = create_app(make_settings({"database_url": f"sqlite:///{tmp_path / 'dlgrade.db'}"}))
    with TestClient(app) as client:
        yield Service(app, client)


def post_form(svc, fields: list[tuple[str, str]], lang: str = "ja", file: bool = True):
    files = [(name, (None, value)) for name, value in fields]
    if file:
        files.append(("file", ("a.py", b"x = 1\n", "text/x-python")))
    return svc.client.post("/api/v1/submissions", files=files, headers={**svc.auth(), "Accept-Language": lang})


def test_an_empty_exercise_field_is_called_empty(svc):
    r = post_form(svc, [("exercise", "")])
    assert r.status_code == 422 and r.json()["reason"] == "malformed"
    assert "`exercise` が空です" in r.json()["detail"] and "ありません" not in r.json()["detail"]
    r = post_form(svc, [("exercise", "  ")], lang="en")
    assert "field is empty" in r.json()["detail"]
    r = post_form(svc, [], lang="en")  # really missing: said so
    assert r.status_code == 422 and "needs an `exercise` field" in r.json()["detail"]


@pytest.mark.parametrize("lang,words", [("ja", "8 個を超えています"), ("en", "more than 8 fields")])
def test_more_than_8_form_fields_is_a_documented_400(svc, lang, words):
    r = post_form(svc, [("exercise", "layers")] + [(f"extra{i}", "x") for i in range(8)], lang=lang)
    assert r.status_code == 400
    assert r.json() == {"detail": r.json()["detail"], "reason": "too_many_fields"} and words in r.json()["detail"]
    documented = svc.app.openapi()["paths"]["/api/v1/submissions"]["post"]["responses"]["400"]
    assert documented["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert "too_many_fields" in documented["description"]


def test_401_and_404_follow_the_page_or_accept_language(svc):
    ja = svc.client.get("/api/v1/me", headers={"Accept-Language": "ja"})
    assert ja.status_code == 401 and ja.json()["reason"] == "unauthorized" and "トークン" in ja.json()["detail"]
    assert ja.headers["WWW-Authenticate"] == "Bearer"
    en = svc.client.get("/api/v1/me?lang=en", headers={"Accept-Language": "ja"})  # the page's ?lang wins
    assert "token is required" in en.json()["detail"]
    assert "トークン" in svc.client.get("/api/v1/me").json()["detail"]  # default: the course's language
    auth = svc.auth()
    r = svc.client.get("/api/v1/submissions/999", headers={**auth, "Accept-Language": "ja-JP,ja;q=0.9"})
    assert r.status_code == 404 and r.json() == {"detail": "提出 #999 はありません。", "reason": "not_found"}
    r = svc.client.get("/no/such/page", headers={"Accept-Language": "ja"})
    assert r.status_code == 404 and r.json() == {"detail": "見つかりません(このサーバにそのページや API はありません)。",
                                                 "reason": "no_such_path"}
    assert svc.client.get("/no/such/page?lang=en").json()["detail"] == "Not found: the server has no such page or endpoint."
    r = svc.client.get("/api/v1/exercises/nosuch", headers={"Accept-Language": "ja"})
    assert r.status_code == 404 and "課題 'nosuch' はありません" in r.json()["detail"]
    r = svc.client.get("/api/v1/me", headers={"Authorization": "Bearer nope", "Accept-Language": "en"})
    assert r.status_code == 401 and r.json()["reason"] == "unauthorized"


# ------------------------------------------------------------------ one database, wherever you stand
def clean_env(home) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADE_") and k != "XDG_DATA_HOME"}
    return {**env, "HOME": str(home)}


def test_the_default_database_is_in_the_per_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DLGRADE_DATABASE_URL", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / ".local" / "share" / "dlgrade"
    assert Settings().database_url == default_database_url() == f"sqlite:///{tmp_path}/.local/share/dlgrade/dlgrade.db"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert Settings().database_url == f"sqlite:///{tmp_path}/xdg/dlgrade/dlgrade.db"
    monkeypatch.chdir(tmp_path)
    assert Settings().database_location() == f"SQLite {tmp_path}/xdg/dlgrade/dlgrade.db"
    assert Settings(database_url="sqlite:///var/x.db").database_location() == f"SQLite {tmp_path}/var/x.db"
    assert Settings(database_url="postgresql://u:secret@db/dlgrade").database_location() == \
        "postgresql+psycopg://u:***@db/dlgrade"


def test_token_create_from_any_folder_writes_to_the_one_database_and_says_so(tmp_path):
    home = tmp_path / "home"
    db = home / ".local" / "share" / "dlgrade" / "dlgrade.db"
    tokens = []
    for folder in ("a", "b"):
        cwd = tmp_path / folder
        cwd.mkdir()
        p = subprocess.run([sys.executable, "-m", "grader.cli", "token", "create", "--student", f"s-{folder}"],
                           cwd=cwd, env={**clean_env(home), "PYTHONPATH": str(ROOT)}, capture_output=True,
                           text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        assert f"database: SQLite {db}" in p.stderr
        assert not (cwd / "var").exists()  # no database of its own in the current folder
        tokens.append(p.stdout.strip().splitlines()[-1])
    assert db.is_file()
    app = create_app(make_settings({"database_url": f"sqlite:///{db}"}))
    with TestClient(app) as client:  # the server on the default database accepts both
        for token, name in zip(tokens, ("s-a", "s-b")):
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200 and me.json()["name"] == name


def test_serve_logs_which_database_it_uses(tmp_path):
    home = tmp_path / "home"
    env = {**clean_env(home), "DLGRADE_ALLOW_UNSANDBOXED": "1", "DLGRADE_WORKERS": "1"}
    server = LiveServer({}, tmp_path / "serve.log")
    server.env = env
    server.start(timeout=60)
    try:
        log = (tmp_path / "serve.log").read_text()
        assert f"database: SQLite {home}/.local/share/dlgrade/dlgrade.db" in log, log
    finally:
        server.stop()
