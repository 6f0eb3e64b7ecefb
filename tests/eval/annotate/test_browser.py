"""The reading app in a real headless Chromium (Debian's, driven by Playwright): mouse and
keyboard judgements over 10,000-word answers, a reload mid-way, both layouts, tokens, and the
database afterwards. Screenshots: tmp_path (and $ANNOTATE_SCREENSHOTS when set)."""

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest
from annotate_runs import long_answer, long_request, make_run, write_data
from annotate_server import Server

N_ITEMS = 5
RUN_NAMES = ["writer-sft-v3", "writer-rl-v7"]


def _chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium not found: run `make system-deps` (or apt-get install chromium)")
    return exe


def _save(page, tmp_path, name):
    path = tmp_path / name
    page.screenshot(path=str(path))
    if os.environ.get("ANNOTATE_SCREENSHOTS"):
        os.makedirs(os.environ["ANNOTATE_SCREENSHOTS"], exist_ok=True)
        shutil.copy(path, os.environ["ANNOTATE_SCREENSHOTS"])
    assert path.stat().st_size > 10_000
    return path


def _until(page, expression, timeout=10.0):
    """Poll ``expression`` (the page's CSP forbids the eval that wait_for_function needs)."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"never true: {expression}"
        page.wait_for_timeout(100)


def _box(page, sel):
    return page.locator(sel).bounding_box()


@pytest.mark.slow
def test_judging_in_a_real_browser(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    prompts = {f"q{k}": long_request(k) for k in range(N_ITEMS)}
    assert min(len(p) for p in prompts.values()) > 2500
    data = write_data(tmp_path, prompts)
    runs = [
        make_run(
            tmp_path,
            name,
            data,
            {k: long_answer(seed=10 * r + i, words=10_000 - 2000 * r) for i, k in enumerate(prompts)},
        )
        for r, name in enumerate(RUN_NAMES)
    ]
    db = tmp_path / "h.db"
    server = Server(*runs, "--db", db)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(server.url + "/")
            page.fill("#name", "ann")
            page.click("#login-form button")
            expect(page.locator("#reader")).to_be_visible()
            for name in RUN_NAMES:
                assert name not in page.content()
            # plans and word counts hidden by default; the answer has its 10,000 words (or 8,000)
            expect(page.locator("#pane-a .plan")).to_be_hidden()
            expect(page.locator("#pane-a .words")).to_be_hidden()
            words = sorted(len(page.locator(f"#pane-{s} .answer").inner_text().split()) for s in "ab")
            assert words == [8000, 10_000]
            # wide: side by side, each pane scrolls on its own
            a, b = _box(page, "#pane-a"), _box(page, "#pane-b")
            assert a["x"] < b["x"] and abs(a["y"] - b["y"]) < 2 and a["height"] > 400
            page.mouse.move(a["x"] + 100, a["y"] + 200)
            page.mouse.wheel(0, 3000)
            _until(page, "document.getElementById('pane-a').scrollTop > 1000")
            assert page.evaluate("document.getElementById('pane-b').scrollTop") == 0
            page.mouse.wheel(0, -3000)
            _until(page, "document.getElementById('pane-a').scrollTop === 0")
            _save(page, tmp_path, "annotate-wide.png")

            # 1: the mouse
            page.click("button[data-verdict='A>>B']")
            page.click("#submit")
            expect(page.locator("#progress")).to_have_text("1 of 5 judged")
            # 2: the keyboard, with a reason; plans and word counts toggled by p / w
            page.keyboard.press("p")
            expect(page.locator("#pane-a .plan")).to_be_visible()
            page.keyboard.press("w")
            expect(page.locator("#pane-b .words")).to_contain_text("words")
            page.keyboard.press("4")
            page.keyboard.press("r")
            page.keyboard.type("clearer structure")
            page.keyboard.press("Escape")
            page.keyboard.press("Enter")
            expect(page.locator("#progress")).to_have_text("2 of 5 judged")
            # a reload mid-way shows the same pair again
            before = page.locator("#pane-a .answer").inner_text()[:200]
            page.reload()
            expect(page.locator("#reader")).to_be_visible()
            assert page.locator("#pane-a .answer").inner_text()[:200] == before
            expect(page.locator("#progress")).to_have_text("2 of 5 judged")
            # 3: skip by key
            page.keyboard.press("s")
            expect(page.locator("#progress")).to_have_text("3 of 5 judged (1 skipped)")
            # narrow: stacked, each pane still scrolls on its own
            page.set_viewport_size({"width": 600, "height": 1000})
            a, b = _box(page, "#pane-a"), _box(page, "#pane-b")
            assert b["y"] >= a["y"] + a["height"] - 2 and abs(a["x"] - b["x"]) < 2
            assert page.evaluate(
                "(e => e.scrollHeight > 3 * e.clientHeight)(document.getElementById('pane-b'))"
            )
            _save(page, tmp_path, "annotate-narrow.png")
            # 4: keyboard tie; 5: mouse
            page.keyboard.press("3")
            page.keyboard.press("Enter")
            expect(page.locator("#progress")).to_have_text("4 of 5 judged (1 skipped)")
            page.click("button[data-verdict='B>A']")
            page.click("#submit")
            expect(page.locator("#finished")).to_be_visible()

            # tokens from now on: the running server checks them on every request
            r = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "longwrite.cli",
                    "annotate",
                    "token",
                    "create",
                    "bea",
                    "--db",
                    str(db),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                check=True,
            )
            token = r.stdout.split(": ", 1)[1].split()[0]
            page.reload()
            expect(page.locator("#error")).to_contain_text("needs your token")
            page.goto(server.url + "/login?token=" + token[:-1] + ("x" if token[-1] != "x" else "y"))
            expect(page.locator("#error")).to_have_text("unknown or tampered token: ask for your link again")
            page.goto(server.url + "/login?token=" + token)
            expect(page.locator("#who")).to_have_text("annotator: bea")
            expect(page.locator("#reader")).to_be_visible()
            browser.close()
    finally:
        server.stop()
    rows = (
        sqlite3.connect(db)
        .execute(
            "SELECT annotator, verdict, reason, visible_seconds, reading_seconds FROM judgements ORDER BY id"
        )
        .fetchall()
    )
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("ann", "A>>B", ""),
        ("ann", "B>A", "clearer structure"),
        ("ann", "skip", ""),
        ("ann", "A=B", ""),
        ("ann", "B>A", ""),
    ]
    assert all(r[3] is not None and r[3] > 0 and r[4] > 0 for r in rows)
