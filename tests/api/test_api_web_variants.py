"""The page's "your problem" block (issue 15) in a real browser (Playwright, Debian's Chromium), against a
real server: a student sees their own numbers as NumPy code, pastes them with a solution, gets full marks."""

from __future__ import annotations

import shutil

import httpx
import pytest

from api.accounts import create_token
from api.db import open_database
from api_testing import ARTIFACTS, make_settings
from live_server import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
SOLUTION = """
def softmax(a):
    e = np.exp(a - a.max())
    return e / e.sum()

Y = X @ W
ex1_1_dX = (Y - t_reg) @ W.T
ex1_1_dW = np.outer(X, Y - t_reg)
ex1_2_dX = (softmax(Y) - t_cls) @ W.T
ex1_2_dW = np.outer(X, softmax(Y) - t_cls)
ex2_dX = dY
ex2_db = dY.sum(axis=0)
"""


@pytest.mark.timeout(150)
def test_a_student_reads_their_numbers_above_the_upload_and_solves_them(tmp_path):
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)")
    from playwright.sync_api import expect, sync_playwright

    database = {"database_url": f"sqlite:///{tmp_path / 'dlgrade.db'}"}
    config = make_settings(database)
    engine, sessions = open_database(config)
    with sessions.begin() as db:
        tokens = {s: create_token(db, "student", s) for s in ("s001", "s002")}
    engine.dispose()
    env = {"DLGRADE_DATABASE_URL": database["database_url"], "DLGRADE_WORKERS": "1",
           "DLGRADE_ALLOW_UNSANDBOXED": "1" if config.allow_unsandboxed else "0"}
    with LiveServer(env, tmp_path / "server.log") as server, sync_playwright() as p:
        expected = httpx.get(server.url + "/api/v1/exercises/backprop-examples/variant?format=py&lang=ja",
                             headers={"Authorization": "Bearer " + tokens["s001"]}).text
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000})
        page.set_default_timeout(30_000)
        page.goto(server.url + "/")
        page.fill("#token", tokens["s001"])
        page.click("#signin-button")
        expect(page.locator("#who")).to_have_text("s001")
        page.select_option("#exercise", "layers")
        expect(page.locator("#variant")).to_be_hidden()  # the same numbers for everyone: no block

        page.select_option("#exercise", "backprop-examples")
        block = page.locator("#variant")
        expect(block).to_be_visible()
        expect(block.locator("h3")).to_have_text("あなたの問題")
        code = page.locator("#variant-code")
        expect(code).to_contain_text("学生 s001")
        assert code.text_content() == expected
        # the block sits above the upload
        assert block.bounding_box()["y"] < page.locator("#file").bounding_box()["y"]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-variant.png"), full_page=True)

        page.check("#source-paste")  # the page's explicit choice of what is sent
        page.fill("#paste", code.text_content() + SOLUTION)
        page.click("#submit-button")
        expect(page.locator("#status")).to_have_text("採点が終わりました。", timeout=60_000)
        expect(page.locator("#report-items tr.status-pass")).to_have_count(6)

        # another student signs in on the same page: their own numbers
        page.click("#signout")
        page.fill("#token", tokens["s002"])
        page.click("#signin-button")
        expect(page.locator("#who")).to_have_text("s002")
        page.select_option("#exercise", "backprop-examples")
        expect(code).to_contain_text("学生 s002")
        assert code.text_content() != expected
        browser.close()
