#!/usr/bin/env python3
"""A person's path through the hub in a real headless Chromium, driven by Selenium.

Starts `encompass serve` on a free port with a temporary database holding Config/sample-incidents.csv
and one hub account, then: signs in, opens the review queue, opens a child, records a declined MARAC
decision with a reason, and checks it is on the child's page. On the way, axe-core (from the
selenium-axe-python package's axe.min.js, which scripts/test installs into .build/python-axe) checks
each page against WCAG 2.2 A and AA and any violation fails the run, as does anything the
Content-Security-Policy refuses (Chromium's console); a form sent back with problems
must land on its error summary, and the menu must fit a 320 px screen. Screenshots go to --out. Uses
Debian's /usr/bin/chromium and /usr/bin/chromedriver (no driver download).

    python3 Tests/Browser/hub_flow.py --binary .build/debug/encompass --out /tmp/hub-flow
"""
import argparse
import glob
import json
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
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
USER = "browser.tester"
SUPERVISOR = "browser.supervisor"
PASSWORD = "a long demo password 42"
SAMPLE_AS_OF = "2026-11-20T08:00:00Z"
EXPECTED_INCIDENTS = None
REASON = "Strategy discussion held with social care; mother engaging with the IDVA. Review if another incident occurs."


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_source():
    """axe.min.js from selenium-axe-python (or axe-selenium-python), wherever it was installed."""
    candidates = [os.environ.get("ENCOMPASS_AXE_JS", "")]
    candidates += glob.glob(os.path.join(REPO, ".build", "python-axe", "*", "axe-core", "axe.min.js"))
    candidates += glob.glob(os.path.join(REPO, ".build", "python-axe", "*", "node_modules", "axe-core", "axe.min.js"))
    for module in ("selenium_axe_python", "axe_selenium_python"):
        try:
            package = __import__(module)
            here = os.path.dirname(package.__file__)
            candidates += glob.glob(os.path.join(here, "**", "axe.min.js"), recursive=True)
        except ImportError:
            pass
    for path in candidates:
        if path and os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return f.read()
    return None


class Axe:
    """Runs axe-core in the page as it stands and fails on any violation of WCAG 2.2 A or AA."""

    def __init__(self, source):
        self.source = source
        self.pages = 0

    def check(self, driver, name):
        no_policy_refusals(driver, name)
        if self.source is None:
            return
        driver.execute_script(self.source)
        result = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
            ".then(r => done(JSON.stringify(r.violations)), e => done(JSON.stringify([{id: 'axe-error', help: String(e), nodes: []}])));",
            AXE_TAGS)
        violations = json.loads(result)
        if violations:
            lines = [f"{v['id']}: {v['help']} at {[n.get('target') for n in v.get('nodes', [])][:3]}" for v in violations]
            raise AssertionError(f"axe found {len(violations)} violation(s) on {name}: " + "; ".join(lines))
        self.pages += 1


def no_policy_refusals(driver, name):
    """The Content-Security-Policy refuses nothing a page asks for: Chromium logs each refusal to
    the console (the data: icon the pages named was refused on every page). The log is read as it
    grows, so a refusal logged late is caught at the next page, and the flow's end reads the rest."""
    refused = [e.get("message", "") for e in driver.get_log("browser") if "Content Security Policy" in e.get("message", "")]
    check(not refused, f"{name}: the Content-Security-Policy refused something: {refused[:3]}")


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


class PageWait(WebDriverWait):
    """A wait across a page being replaced (a form just sent): Chromium may report a node of the old
    document as an inspector error ("Node with given id does not belong to the document") rather
    than as a stale element, which WebDriverWait does not expect; that reads as "not yet"."""

    def until(self, method, message=""):
        def settled(driver):
            try:
                return method(driver)
            except WebDriverException as e:
                if "does not belong to the document" in str(e):
                    return False
                raise
        return super().until(settled, message)


def browser():
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000",
                "--lang=en-GB"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "en-GB,en"})
    # The console, for the Content-Security-Policy's refusals (`no_policy_refusals`).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
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


def lands_on_errors(driver, what):
    """A form sent back with problems: the address ends #errors, the summary is in view, "Error:" in the title."""
    check(driver.current_url.endswith("#errors"), f"{what}: the page did not land on its errors ({driver.current_url})")
    check(driver.title.startswith("Error:"), f"{what}: the title does not start with Error: ({driver.title!r})")
    top = driver.execute_script("return document.getElementById('errors').getBoundingClientRect().top")
    height = driver.execute_script("return window.innerHeight")
    check(0 <= top < height, f"{what}: the error summary is not in view (top {top}, window {height})")


def flow(driver, base, out, axe):
    wait = PageWait(driver, 20)

    # Not signed in: the queue sends us to the sign-in page.
    driver.get(base)
    wait.until(EC.presence_of_element_located((By.ID, "password")))
    check("/sign-in" in driver.current_url, f"expected the sign-in page, got {driver.current_url}")
    driver.save_screenshot(os.path.join(out, "0-sign-in.png"))
    axe.check(driver, "the sign-in page")
    # A wrong password comes back with the problem, landed on.
    driver.find_element(By.ID, "name").send_keys(USER)
    driver.find_element(By.ID, "password").send_keys("not the password" + Keys.ENTER)
    wait.until(EC.presence_of_element_located((By.ID, "errors")))
    lands_on_errors(driver, "a wrong password")
    axe.check(driver, "the sign-in page with an error")
    driver.find_element(By.ID, "name").clear()
    driver.find_element(By.ID, "name").send_keys(USER)
    driver.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)  # the keyboard alone signs in

    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Review queue"))
    # The sign-in form's #errors is not kept through the redirect: the queue is shown from its top.
    check(driver.current_url.endswith("/#top"), f"signing in landed on another fragment ({driver.current_url})")
    check(driver.execute_script("return window.scrollY") == 0, "signing in did not land on the top of the queue")
    # The sample's own date, so the queue is the same whenever the test runs.
    driver.get(base + "?as_of=" + SAMPLE_AS_OF)
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Review queue"))
    rows = driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")
    check(len(rows) > 0, "the queue is empty")
    full_page_screenshot(driver, os.path.join(out, "1-queue.png"))
    axe.check(driver, "the review queue")

    # A bad school filter keeps what was typed, shows the problem, and lands on it.
    school = driver.find_element(By.ID, "school")
    school.send_keys("12ab")
    driver.find_element(By.XPATH, "//button[normalize-space()='Apply filters']").click()
    wait.until(EC.presence_of_element_located((By.ID, "errors")))
    lands_on_errors(driver, "a bad school filter")
    check(driver.find_element(By.ID, "school").get_attribute("value") == "12ab", "the school filter lost what was typed")
    check(not driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr"), "a bad school filter showed children")
    axe.check(driver, "the review queue with a bad filter")
    driver.get(base + "?as_of=" + SAMPLE_AS_OF)
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Review queue"))
    rows = driver.find_elements(By.CSS_SELECTOR, "table.queue tbody tr")

    link = rows[0].find_element(By.CSS_SELECTOR, "td[data-label='Child'] a")
    child_path = link.get_attribute("href")
    link.click()
    wait.until(EC.presence_of_element_located((By.ID, "decide-heading")))
    check(driver.current_url == child_path, f"expected {child_path}, got {driver.current_url}")
    check(driver.find_elements(By.CSS_SELECTOR, "figure.chart svg"), "no chart on the child's page")
    check(driver.find_elements(By.CSS_SELECTOR, "li.incident"), "no incidents on the child's page")
    axe.check(driver, "a child's page")

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
    axe.check(driver, "a child's page after a decision")

    # Back, and the same press again (audit 20, F1): one press, one decision. A page the browser
    # keeps in its back/forward cache comes back as it was sent, and pressing again is told "already
    # recorded"; a page loaded again comes back with the decision listed and an empty form
    # (autocomplete="off"), so nothing typed is sent twice by accident.
    driver.back()
    wait.until(EC.presence_of_element_located((By.ID, "decide-heading")))
    if driver.find_element(By.ID, "marac-declined").is_selected():
        driver.find_element(By.XPATH, "//button[normalize-space()='Record decision']").click()
        wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.notice"), "This decision was already recorded"))
        print("back: the form came back as sent; pressing again was told it was already recorded")
    else:
        check(driver.find_element(By.ID, "reason").get_attribute("value") == "", "a page loaded again kept the reason typed")
        print("back: the page was loaded again, with an empty form")
    recorded = [a for a in driver.find_elements(By.CSS_SELECTOR, "#decisions article.decision") if REASON in a.text]
    check(len(recorded) == 1, f"the decision is recorded {len(recorded)} times")

    # The MARAC plan: an action of only spaces comes back on its error summary; a good one is listed
    # with a "mark done" form of its own.
    driver.find_element(By.ID, "plan-action").send_keys("   ")
    driver.find_element(By.ID, "plan-agency").send_keys("Children's Social Care")
    driver.find_element(By.XPATH, "//button[normalize-space()='Add the action']").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "plan-errors"), "The plan was not changed"))
    check(driver.title.startswith("Error:"), f"the title does not say Error: {driver.title!r}")
    axe.check(driver, "a child's page with a plan action refused")
    driver.find_element(By.ID, "plan-action").send_keys("Weekly visit by the social worker")
    driver.find_element(By.XPATH, "//button[normalize-space()='Add the action']").click()
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, "p.notice"), "Plan action recorded."))
    plan = driver.find_element(By.CSS_SELECTOR, "table.plan")
    check("Weekly visit by the social worker" in plan.text, f"the action is not shown: {plan.text!r}")
    check(driver.find_elements(By.XPATH, "//button[normalize-space()='Mark done']"), "no mark-done form")
    axe.check(driver, "a child's page with a MARAC plan")
    driver.get(base + "search")
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Find a child"))
    axe.check(driver, "the search box")
    driver.get(base + "alerts")
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Alerts to schools"))
    axe.check(driver, "the alerts board")

    # A narrow, tablet-sized window still reads: the queue becomes cards.
    driver.set_window_size(800, 1100)
    driver.get(base + "?as_of=" + SAMPLE_AS_OF)
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Review queue"))
    driver.save_screenshot(os.path.join(out, "4-queue-tablet.png"))

    # A phone 320 px wide (WCAG 1.4.10): every menu link is on the screen, none cut off.
    driver.set_window_size(320, 800)
    driver.get(base + "?as_of=" + SAMPLE_AS_OF)
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Review queue"))
    width = driver.execute_script("return document.documentElement.clientWidth")
    if width <= 360:
        for link in driver.find_elements(By.CSS_SELECTOR, ".nav-list a"):
            right = driver.execute_script("return arguments[0].getBoundingClientRect().right", link)
            check(right <= width + 0.5, f"the menu link {link.text!r} is cut off at {width} px (right edge {right})")
    driver.save_screenshot(os.path.join(out, "5-queue-phone.png"))
    driver.set_window_size(1280, 1000)
    report(driver, base, out, axe, wait)


def report(driver, base, out, axe, wait):
    """The inspection report, as a supervisor: the figures, the chart by month and its table, the CSV link."""
    driver.get(base)
    driver.find_element(By.CSS_SELECTOR, "form.sign-out button").click()
    wait.until(EC.presence_of_element_located((By.ID, "password")))
    driver.find_element(By.ID, "name").send_keys(SUPERVISOR)
    driver.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Review queue"))
    driver.find_element(By.LINK_TEXT, "Inspection report").click()
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Inspection report"))
    # The sample's year, typed into the form as a person would.
    for field, value in (("from", "2025-12-01"), ("to", "2026-11-30")):
        box = driver.find_element(By.ID, field)
        driver.execute_script("arguments[0].value = arguments[1]", box, value)
    driver.find_element(By.XPATH, "//button[normalize-space()='Show the report']").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "figures"), "1 Dec 2025"))
    incidents = driver.find_element(By.CSS_SELECTOR, '[data-key="incidents.count"]').text
    check(incidents.startswith(EXPECTED_INCIDENTS), f"the report counts {incidents!r} incidents, the CLI {EXPECTED_INCIDENTS}")
    chart = driver.find_element(By.CSS_SELECTOR, "svg.report-chart")
    check(chart.size["width"] > 300, f"the chart is not drawn ({chart.size})")
    check(len(driver.find_elements(By.CSS_SELECTOR, "table.report-months tbody tr")) == 12, "the table by month has not 12 rows")
    check(not driver.find_elements(By.TAG_NAME, "script"), "the report page has a script")
    full_page_screenshot(driver, os.path.join(out, "6-report.png"))
    axe.check(driver, "the inspection report")
    # Changing one's own password: the link beside the name, the form it opens.
    driver.find_element(By.LINK_TEXT, "Change password").click()
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Change your password"))
    axe.check(driver, "the change-password form")


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
        encompass(binary, db, "users", "add", SUPERVISOR, "--role", "supervisor", env={**os.environ, "ENCOMPASS_PASSWORD": PASSWORD})
        # What the command line says of the sample's year: the page must say the same.
        global EXPECTED_INCIDENTS
        EXPECTED_INCIDENTS = str(json.loads(encompass(binary, db, "report", "--from", "2025-12-01", "--to", "2026-11-30", "--json"))
                                 ["incidents"]["count"])
        server, base = start_server(binary, db)
        source = axe_source()
        if source is None and os.environ.get("ENCOMPASS_REQUIRE_BROWSER") == "1":
            raise SystemExit("hub_flow: axe-core is not installed (scripts/test installs selenium-axe-python into .build/python-axe)")
        axe = Axe(source)
        driver = browser()
        flow(driver, base, args.out, axe)
        no_policy_refusals(driver, "the last page")
        driver.quit()
        driver = None
        server.send_signal(signal.SIGTERM)
        status = server.wait(timeout=30)
        server = None
        check(status == 0, f"serve exited {status} after SIGTERM")
        checked = f"axe-core found no violation on {axe.pages} pages" if source else "axe-core not installed: not checked"
        print(f"hub_flow: passed; {checked}; screenshots in {args.out}")
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
