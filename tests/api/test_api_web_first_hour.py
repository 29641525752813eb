"""The students' page on a phone and after failures (issue 13), in a real browser (Playwright, Debian's
Chromium) against a real server.

Element ids other features rely on (keep them stable; add blocks around them, not inside):
  #submit-form, #exercise            the form and the exercise <select>
  #source-file, #source-paste        the explicit choice (radio buttons, name="source") of what is sent
  #file-block > #file                the file input (shown when #source-file is checked)
  #paste-block > #paste              the textarea (shown when #source-paste is checked)
  #submit-button, #status            submitting, and the status line (class "error" / "ok")
  #report, #report-title, #report-summary, #report-syntax, #report-items, #report-notes, #report-output
  #history, #history-items, #history-empty, #lang-switch, #who, #signin, #token, #signin-button
"""

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
MAX_UPLOAD = 40_000
CORRECT = corpus_source("layers", "correct_book.py")
BROKEN = CORRECT.replace("class Relu:", "class Relu(:", 1)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web1")
    database = {"database_url": f"sqlite:///{folder / 'dlgrade.db'}"}
    config = make_settings(database)
    engine, sessions = open_database(config)
    with sessions.begin() as db:
        tokens = {name: create_token(db, "student", name) for name in ("s101", "s102", "s103", "s104")}
    engine.dispose()
    env = {"DLGRADE_DATABASE_URL": database["database_url"], "DLGRADE_WORKERS": "2",
           "DLGRADE_MAX_UPLOAD_BYTES": str(MAX_UPLOAD), "DLGRADE_RATE_LIMIT": "1000",
           "DLGRADE_MAX_CONCURRENT": "100", "DLGRADE_ALLOW_UNSANDBOXED": "1" if config.allow_unsandboxed else "0"}
    with LiveServer(env, folder / "server.log") as server:
        yield server, tokens, folder


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def signed_in(browser, server, token, width=1200, lang="ja"):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    bad = []
    page.on("response", lambda r: bad.append((r.status, r.url)) if r.status >= 400 and "/api/" not in r.url else None)
    page.goto(f"{server.url}/?lang={lang}")
    page.fill("#token", token)
    page.click("#signin-button")
    expect(page.locator("#app")).to_be_visible()
    return context, page, bad


def paste_and_submit(page, text: str) -> None:
    page.check("#source-paste")
    page.fill("#paste", text)
    page.click("#submit-button")


@pytest.mark.timeout(180)
def test_after_an_error_the_old_report_is_gone_and_the_file_is_not_resent(live, browser, tmp_path):
    from playwright.sync_api import expect

    server, tokens, _ = live
    context, page, _ = signed_in(browser, server, tokens["s101"])
    paste_and_submit(page, CORRECT)
    expect(page.locator("#status")).to_have_text("採点が終わりました。", timeout=60_000)
    expect(page.locator("#report")).to_be_visible()

    big = tmp_path / "big.py"
    big.write_text(CORRECT + "#" * (MAX_UPLOAD + 10), encoding="utf-8")
    page.set_input_files("#file", str(big))
    expect(page.locator("#source-file")).to_be_checked()  # choosing a file chooses "a file"
    expect(page.locator("#paste-block")).to_be_hidden()
    page.click("#submit-button")
    expect(page.locator("#status")).to_have_class("error")
    expect(page.locator("#status")).to_contain_text("KiB")  # the 413's message
    expect(page.locator("#report")).to_be_hidden()  # not the previous report under the red error
    assert page.eval_on_selector("#file", "e => e.files.length") == 0  # the failed file is not kept

    page.click("#submit-button")  # nothing chosen: said so, nothing sent
    expect(page.locator("#status")).to_have_text("ファイルを選んでください。")

    # paste chosen explicitly: the pasted text is what is sent, even with a file chosen before
    page.set_input_files("#file", str(big))
    page.check("#source-paste")
    expect(page.locator("#file-block")).to_be_hidden()
    page.fill("#paste", BROKEN)
    with page.expect_request(lambda r: r.url.split("?")[0].endswith("/api/v1/submissions") and r.method == "POST") \
            as request:
        page.click("#submit-button")
    assert request.value.headers["content-type"].startswith("application/json")
    expect(page.locator("#status")).to_have_text("採点が終わりました。", timeout=60_000)
    expect(page.locator("#report-title")).to_contain_text("pasted.py")
    context.close()


@pytest.mark.timeout(180)
def test_the_report_leads_with_the_syntax_error_and_cites_each_section_once(live, browser):
    from playwright.sync_api import expect

    server, tokens, _ = live
    context, page, _ = signed_in(browser, server, tokens["s102"])
    paste_and_submit(page, BROKEN.replace("self.dW = np.dot(self.x.T, dout)", "self.dW = np.dot(dout.T, self.x)"))
    expect(page.locator("#status")).to_have_text("採点が終わりました。", timeout=60_000)
    box = page.locator("#report-syntax")
    expect(box).to_be_visible()
    expect(box).to_contain_text("構文エラー: pasted.py の")
    expect(box.locator("pre")).to_have_text("class Relu(:")
    assert box.bounding_box()["y"] < page.locator("#report-items").bounding_box()["y"]
    relu = page.locator("#report-items tr", has_text="Relu.forward")
    expect(relu).to_contain_text("構文エラーで読み込めなかった行")
    hints = page.locator("#report-items .hint").all_text_contents()
    assert hints and all(h.count("§") == 1 or "§5.1、§5.2" in h for h in hints), hints
    context.close()


@pytest.mark.timeout(180)
def test_usable_at_390_px(live, browser, tmp_path):
    from playwright.sync_api import expect

    server, tokens, _ = live
    context, page, bad = signed_in(browser, server, tokens["s103"], width=390)
    notebook = tmp_path / "a_rather_long_notebook_name_from_the_lms_s103_layers.ipynb"
    notebook.write_bytes(py_to_notebook(corpus_source("layers", "bug_affine_dw_transpose.py")))
    page.set_input_files("#file", str(notebook))
    page.click("#submit-button")
    expect(page.locator("#status")).to_have_text("採点が終わりました。", timeout=60_000)
    expect(page.locator("#history-items td.state").first).to_have_text("完了")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-page-390.png"), full_page=True)
    overflow = page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) {
            const o = getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll") return true; } return false; };
        const out = [...document.querySelectorAll("body *")].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.right > width + 1 && !scrolls(e); }).map((e) => e.id || e.tagName + "." + e.className);
        return {width, scrollWidth: document.documentElement.scrollWidth, out};
    }""")
    assert overflow["width"] == 390 and overflow["scrollWidth"] <= 390 and overflow["out"] == [], overflow
    title, switch = page.locator("header h1").bounding_box(), page.locator("#lang-switch").bounding_box()
    apart = (title["x"] + title["width"] <= switch["x"]) or (title["y"] + title["height"] <= switch["y"]) or \
        (switch["y"] + switch["height"] <= title["y"])
    assert apart, (title, switch)
    lines = page.evaluate("""() => [...document.querySelectorAll("#history-items td.state, #report-items td.verdict")]
        .map((e) => { const r = document.createRange(); r.selectNodeContents(e);
                      return [e.textContent, new Set([...r.getClientRects()].map((c) => Math.round(c.top))).size]; })""")
    assert lines and all(n == 1 for _, n in lines), lines  # 「完了」「不正解」 on one line each
    assert bad == [], bad  # no 404 for the favicon or anything else the page loads
    context.close()


def test_favicon(live):
    server, _, _ = live
    ico = httpx.get(server.url + "/favicon.ico", timeout=10)
    assert ico.status_code == 200 and ico.headers["content-type"] == "image/x-icon" and ico.content[:4] == b"\0\0\1\0"
    page = httpx.get(server.url + "/", timeout=10).text
    assert 'rel="icon" href="/static/favicon.svg"' in page
    svg = httpx.get(server.url + "/static/favicon.svg", timeout=10)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")


@pytest.mark.timeout(120)
def test_401_and_404_in_the_page_s_language(live, browser):
    server, tokens, _ = live
    for lang, not_found, unauthorized in (("ja", "提出 #999 はありません。", "有効なトークンが必要です"),
                                          ("en", "No submission #999.", "A valid token is required")):
        context, page, _ = signed_in(browser, server, tokens["s104"], lang=lang)
        assert page.evaluate("api('/api/v1/submissions/999').then(() => 'ok', (e) => e.message)") == not_found
        page.evaluate("localStorage.setItem('dlgrade.token', 'dlg_revoked')")
        assert unauthorized in page.evaluate("api('/api/v1/me').then(() => 'ok', (e) => e.message)")
        context.close()
