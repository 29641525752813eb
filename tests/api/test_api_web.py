"""The students' page in a real browser (Playwright driving Debian's Chromium) against a real server."""

from __future__ import annotations

import shutil

import httpx
import pytest

from api.accounts import create_token
from api.db import open_database
from api_testing import ARTIFACTS, corpus_source, make_settings
from corpus_tools import py_to_notebook
from live_server import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    database = {"database_url": f"sqlite:///{folder / 'dlgrade.db'}"}
    config = make_settings(database)
    engine, sessions = open_database(config)
    with sessions.begin() as db:
        token = create_token(db, "student", "s001")
    engine.dispose()
    env = {"DLGRADE_DATABASE_URL": database["database_url"], "DLGRADE_WORKERS": "2",
           "DLGRADE_ALLOW_UNSANDBOXED": "1" if config.allow_unsandboxed else "0"}
    with LiveServer(env, folder / "server.log") as server:
        yield server, token, folder


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.timeout(120)
def test_sign_in_upload_a_notebook_and_read_the_report(live, browser):
    from playwright.sync_api import expect

    server, token, folder = live
    notebook = folder / "s001_layers.ipynb"
    notebook.write_bytes(py_to_notebook(corpus_source("layers", "bug_affine_dw_transpose.py")))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    keys = []  # the Idempotency-Key of every upload
    page.on("request", lambda r: keys.append(r.headers.get("idempotency-key")) if r.method == "POST" else None)

    page.goto(server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")  # Japanese first, whatever the browser says
    page.fill("#token", "dlg_not-a-real-token")
    page.click("#signin-button")
    expect(page.locator("#signin-error")).to_have_text("トークンが正しくありません。")

    page.fill("#token", token)
    page.click("#signin-button")
    expect(page.locator("#who")).to_have_text("s001")
    expect(page.locator("#history-empty")).to_be_visible()

    page.select_option("#exercise", "layers")
    page.set_input_files("#file", str(notebook))
    page.click("#submit-button")
    expect(page.locator("#status")).to_have_text("採点が終わりました。", timeout=60_000)

    rows = page.locator("#report-items tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 10
    failing = page.locator("#report-items tr.status-fail", has_text="Affine.backward")
    expect(failing).to_have_count(1)
    expect(failing.locator("td.verdict")).to_have_text("不正解")
    expect(failing.locator(".hint")).to_contain_text("§")
    expect(page.locator("#report-items tr.status-pass").first).to_contain_text("正解です。")
    # pass and fail are coloured differently
    pass_colour = page.locator("#report-items tr.status-pass td.verdict").first.evaluate(
        "e => getComputedStyle(e).backgroundColor")
    fail_colour = failing.locator("td.verdict").evaluate("e => getComputedStyle(e).backgroundColor")
    assert pass_colour != fail_colour
    expect(page.locator("#report-summary")).to_contain_text("合計")
    expect(page.locator("#history-items tbody tr")).to_have_count(1)
    expect(page.locator("#history-items tbody tr")).to_contain_text("s001_layers.ipynb")
    page.screenshot(path=str(ARTIFACTS / "web-page.png"), full_page=True)

    # English: the switch keeps the student signed in; the stored report is shown in English
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#who")).to_have_text("s001")
    page.locator("#history-items tbody tr button").first.click()
    expect(page.locator("#report-items tr.status-pass").first).to_contain_text("Correct.")
    expect(page.locator("#report-items tr.status-fail", has_text="Affine.backward").locator("td.verdict")) \
        .to_have_text("fail")

    # pasted code instead of a file
    page.check("#source-paste")
    page.fill("#paste", corpus_source("layers", "correct_book.py"))
    page.click("#submit-button")
    expect(page.locator("#status")).to_have_text("Graded.", timeout=60_000)
    expect(page.locator("#report-items tr.status-fail")).to_have_count(0)
    expect(page.locator("#history-items tbody tr")).to_have_count(2)
    assert len(keys) == 2 and all(keys) and keys[0] != keys[1]  # one key per upload
    expect(page.locator("#checks-empty")).to_be_visible()

    # a practice check from a notebook is listed apart from the submissions
    checked = httpx.post(f"{server.url}/api/v1/checks?wait=20", headers={"Authorization": f"Bearer {token}"},
                         json={"exercise": "layers", "filename": "layers-kernel.py",
                               "source": corpus_source("layers", "correct_book.py")}, timeout=30)
    assert checked.status_code == 201, checked.text
    page.reload()
    expect(page.locator("#checks-items tbody tr")).to_have_count(1)
    expect(page.locator("#checks-items tbody tr")).to_contain_text("layers-kernel.py")
    expect(page.locator("#history-items tbody tr")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "web-page-en.png"), full_page=True)

    page.click("#signout")
    expect(page.locator("#signin")).to_be_visible()
    context.close()
