#!/usr/bin/env python3
"""A school's key adult opens the acknowledgement link from an alert e-mail in a real headless
Chromium, driven by Selenium: the page shows the alert and one button, is readable on a phone
(no sideways scrolling at 360 px) and passes axe-core's WCAG 2.2 A and AA checks (when axe is
installed, as scripts/test does); pressing the button thanks them. Screenshots go to --out.

    python3 Tests/Browser/ack_flow.py --url http://127.0.0.1:PORT/ack/TOKEN --out /tmp/ack-flow
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hub_flow import Axe, PageWait, axe_source, browser, check, full_page_screenshot  # noqa: E402

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    source = axe_source()
    if source is None and os.environ.get("ENCOMPASS_REQUIRE_BROWSER") == "1":
        raise SystemExit("ack_flow: axe-core is not installed (scripts/test installs selenium-axe-python into .build/python-axe)")
    axe = Axe(source)
    driver = browser()
    try:
        driver.get(args.url)
        check(driver.title.startswith("Operation Encompass notification"), f"unexpected title {driver.title!r}")
        check(not driver.find_elements(By.TAG_NAME, "script"), "the page has a script")
        buttons = driver.find_elements(By.CSS_SELECTOR, "form.ack-form button")
        check(len(buttons) == 1, f"expected one button, found {len(buttons)}")
        axe.check(driver, "the acknowledgement page")
        full_page_screenshot(driver, os.path.join(args.out, "1-ack-page.png"))
        # A phone: nothing wider than the screen.
        driver.set_window_size(360, 740)
        wide = driver.execute_script("return document.documentElement.scrollWidth > window.innerWidth")
        check(not wide, "the page scrolls sideways at 360 px")
        driver.save_screenshot(os.path.join(args.out, "2-ack-page-phone.png"))
        driver.set_window_size(1280, 1000)
        driver.find_element(By.CSS_SELECTOR, "form.ack-form button").click()
        PageWait(driver, 30).until(EC.text_to_be_present_in_element((By.TAG_NAME, "main"), "Thank you"))
        check(not driver.find_elements(By.CSS_SELECTOR, "form.ack-form"), "the button is still there after pressing it")
        axe.check(driver, "the page after pressing the button")
        full_page_screenshot(driver, os.path.join(args.out, "3-acknowledged.png"))
    finally:
        driver.quit()
    print(f"ack_flow: acknowledged; axe checked {axe.pages} page(s)")


if __name__ == "__main__":
    main()
