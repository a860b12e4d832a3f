#!/usr/bin/env python3
"""A person's path through the hub in a real headless Chromium, driven by Selenium.

Starts `encompass serve` on a free port with a temporary database holding Config/sample-incidents.csv
and one hub account, then: signs in, opens the review queue, opens a child, records a declined MARAC
decision with a reason, and checks it is on the child's page. Screenshots go to --out. Uses Debian's
/usr/bin/chromium and /usr/bin/chromedriver (no driver download).

    python3 Tests/Browser/hub_flow.py --binary .build/debug/encompass --out /tmp/hub-flow
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
USER = "browser.tester"
PASSWORD = "a long demo password 42"
SAMPLE_AS_OF = "2026-11-20T08:00:00Z"
REASON = "Strategy discussion held with social care; mother engaging with the IDVA. Review if another incident occurs."


def encompass(binary, db, *args, env=None):
    cmd = [binary, *args, "--config", os.path.join(REPO, "Config"), "--database", "sqlite:" + db]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"hub_flow: {' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def start_server(binary, db):
    cmd = [binary, "serve", "--port", "0", "--templates", os.path.join(REPO, "Templates", "web"),
           "--config", os.path.join(REPO, "Config"), "--database", "sqlite:" + db]
    server = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    match = re.search(r"http://[0-9.]+:[0-9]+/", line)
    if not match:
        server.kill()
        raise SystemExit(f"hub_flow: serve did not report its address: {line!r}")
    return server, match.group(0)


def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000",
                "--lang=en-GB"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-GB,en"})
    # The date field follows the browser's locale: British, as the hub reads dates.
    service = Service("/usr/bin/chromedriver", env={**os.environ, "LANG": "en_GB.UTF-8", "LANGUAGE": "en_GB"})
    return webdriver.Chrome(service=service, options=options)


def full_page_screenshot(driver, path):
    driver.execute_script("window.scrollTo(0, 0)")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 800), 6000))
    driver.save_screenshot(path)
    driver.set_window_size(1280, 1000)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def flow(driver, base, out):
    wait = WebDriverWait(driver, 20)

    # Not signed in: the queue sends us to the sign-in page.
    driver.get(base)
    wait.until(EC.presence_of_element_located((By.ID, "password")))
    check("/sign-in" in driver.current_url, f"expected the sign-in page, got {driver.current_url}")
    driver.save_screenshot(os.path.join(out, "0-sign-in.png"))
    driver.find_element(By.ID, "name").send_keys(USER)
    driver.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)  # the keyboard alone signs in

    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Review queue"))
    # The sample's own date, so the queue is the same whenever the test runs.
    driver.get(base + "?as_of=" + SAMPLE_AS_OF)
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Review queue"))
    rows = driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
    check(len(rows) > 0, "the queue is empty")
    full_page_screenshot(driver, os.path.join(out, "1-queue.png"))

    link = rows[0].find_element(By.CSS_SELECTOR, "td[data-label='Child'] a")
    child_path = link.get_attribute("href")
    link.click()
    wait.until(EC.presence_of_element_located((By.ID, "decide-heading")))
    check(driver.current_url == child_path, f"expected {child_path}, got {driver.current_url}")
    check(driver.find_elements(By.CSS_SELECTOR, "figure.chart svg"), "no chart on the child's page")
    check(driver.find_elements(By.CSS_SELECTOR, "li.incident"), "no incidents on the child's page")

    driver.find_element(By.CSS_SELECTOR, "label[for='marac-declined']").click()
    driver.find_element(By.ID, "reason").send_keys(REASON)
    driver.find_element(By.CSS_SELECTOR, "label[for='strategy']").click()
    driver.find_element(By.XPATH, "//button[normalize-space()='Record decision']").click()

    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.notice"), "Decision recorded."))
    current = driver.find_element(By.CSS_SELECTOR, "#decisions article.decision.current")
    check("MARAC referral declined" in current.text, f"the decision is not shown: {current.text!r}")
    check(REASON in current.text, "the reason is not shown")
    check("Strategy discussion requested" in current.text, "the strategy discussion is not shown")
    full_page_screenshot(driver, os.path.join(out, "2-child-after-decision.png"))
    driver.execute_script("document.getElementById('decisions').scrollIntoView()")
    driver.save_screenshot(os.path.join(out, "3-decisions.png"))

    # A narrow, tablet-sized window still reads: the queue becomes cards.
    driver.set_window_size(800, 1100)
    driver.get(base + "?as_of=" + SAMPLE_AS_OF)
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Review queue"))
    driver.save_screenshot(os.path.join(out, "4-queue-tablet.png"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(REPO, ".build", "debug", "encompass"))
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    binary = os.path.abspath(args.binary)

    work = tempfile.mkdtemp(prefix="hub-flow-")
    db = os.path.join(work, "hub.sqlite")
    server = None
    driver = None
    try:
        encompass(binary, db, "ingest", os.path.join(REPO, "Config", "sample-incidents.csv"))
        encompass(binary, db, "users", "add", USER, "--role", "hub", env={**os.environ, "ENCOMPASS_PASSWORD": PASSWORD})
        server, base = start_server(binary, db)
        driver = browser()
        flow(driver, base, args.out)
        driver.quit()
        driver = None
        server.send_signal(signal.SIGTERM)
        status = server.wait(timeout=30)
        server = None
        check(status == 0, f"serve exited {status} after SIGTERM")
        print(f"hub_flow: passed; screenshots in {args.out}")
        return 0
    except Exception as error:  # one clear line, and the page as it was
        if driver is not None:
            try:
                driver.save_screenshot(os.path.join(args.out, "failure.png"))
            except Exception:
                pass
        print(f"hub_flow: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        if driver is not None:
            driver.quit()
        if server is not None:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
