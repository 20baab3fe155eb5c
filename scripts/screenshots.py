"""Take the README's screenshots from a running portal (demo data loaded).

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        desk = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        desk.goto(f"{BASE}/login/")
        desk.screenshot(path=OUT / "login.png")
        desk.fill("#id_username", "district")
        desk.fill("#id_password", "demo-renewal-2020")
        desk.click("button[type=submit]")
        desk.wait_for_url(f"{BASE}/")
        desk.screenshot(path=OUT / "home.png", full_page=True)
        desk.goto(f"{BASE}/compounds/")
        desk.screenshot(path=OUT / "compounds.png")
        desk.goto(f"{BASE}/programme/?stage=construction")
        desk.locator("table a[href^='/programme/']").first.click()
        desk.wait_for_load_state()
        desk.screenshot(path=OUT / "project.png", full_page=True)
        project_id = desk.url.rstrip("/").rsplit("/", 1)[-1]
        desk.goto(f"{BASE}/works/projects/{project_id}/")
        desk.screenshot(path=OUT / "works.png")
        phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                                 locale="zh-CN")
        phone.goto(f"{BASE}/r/")
        phone.screenshot(path=OUT / "resident-phone.png")
        desk.goto(f"{BASE}/programme/{project_id}/")
        compound_link = desk.locator("a[href^='/c/']").first.get_attribute("href")
        phone.goto(f"{BASE}{compound_link}")
        phone.screenshot(path=OUT / "public-compound-phone.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
