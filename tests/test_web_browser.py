"""newsarchive serve in a real browser: Debian's chromium driven through chromium-driver
(Selenium). CI installs both (.ci/run); there a missing browser fails these tests instead of
skipping them. NEWSARCHIVE_WEB_SHOTS=DIR saves screenshots of the pages at 1280 and 390 px."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import webfixtures

CHROMIUM = os.environ.get("NEWSARCHIVE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NEWSARCHIVE_CHROMEDRIVER", "/usr/bin/chromedriver")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(p) and os.access(p, os.X_OK))]
    if not missing:
        return
    why = f"{', '.join(missing)} not installed (apt-get install chromium chromium-driver)"
    if IN_CI:
        pytest.fail(why)
    pytest.skip(why)


def _chrome(*, javascript: bool = True):
    _need_browser()
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium look for a driver online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--disable-gpu", "--window-size=1280,900", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        options.add_argument(arg)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # chromium refuses to run as root with its sandbox
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    d.set_page_load_timeout(30)
    return d


@pytest.fixture(scope="module")
def driver():
    d = _chrome()
    yield d
    d.quit()


def _wait_for_port(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture
def site(root, serve):
    """The sample collection served by uvicorn on 127.0.0.1 (a thread): (base URL, sample)."""
    import uvicorn

    from newsarchive.web import create_app
    from newsarchive.web.server import bind

    sample = webfixtures.build(root, serve)
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(root), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    port = sock.getsockname()[1]
    _wait_for_port(port)
    yield f"http://127.0.0.1:{port}", sample
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _shot(driver, name: str) -> None:
    """Screenshots of the page at 1280 and 390 px, one per screenful (NAME-WIDTH-N.png)."""
    folder = os.environ.get("NEWSARCHIVE_WEB_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        driver.set_window_size(width, 900)
        time.sleep(0.2)
        height = int(driver.execute_script("return document.documentElement.scrollHeight"))
        view = int(driver.execute_script("return window.innerHeight"))
        for n, top in enumerate(range(0, min(height, 8 * view), view), 1):
            driver.execute_script("window.scrollTo(0, arguments[0])", top)
            time.sleep(0.1)
            driver.save_screenshot(str(Path(folder) / f"{name}-{width}-{n}.png"))
        driver.execute_script("window.scrollTo(0, 0)")
    driver.set_window_size(1280, 900)


def _no_alert(driver) -> None:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        WebDriverWait(driver, 1).until(EC.alert_is_present())
    except TimeoutException:
        return
    text = driver.switch_to.alert.text
    driver.switch_to.alert.dismiss()
    raise AssertionError(f"an alert fired: {text!r}")


def _wait_url(driver, fragment: str) -> None:
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 10).until(EC.url_contains(fragment))


def _fits(driver, width: int) -> None:
    """At this window width the page needs no sideways scrolling."""
    driver.set_window_size(width, 900)
    time.sleep(0.2)
    scroll, inner = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= inner, f"{driver.current_url}: {scroll}px wide in a {inner}px window"


def test_search_form_hits_and_facets(driver, site):
    from selenium.webdriver.common.by import By

    base, sample = site
    driver.get(base + "/")
    box = driver.find_element(By.ID, "q")
    box.send_keys("bridge")
    box.submit()  # a plain form: works without JavaScript
    _wait_url(driver, "/search?q=bridge")
    titles = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "li.hit a.title")]
    assert "SAMPLE: Belgrade council approves bridge budget" in titles
    assert driver.find_elements(By.CSS_SELECTOR, "li.hit .snippet mark")
    assert re.match(r"\d+ match", driver.find_element(By.ID, "total").text)
    _shot(driver, "search")
    for width in (1280, 390):
        _fits(driver, width)
    driver.set_window_size(1280, 900)
    driver.find_element(By.CSS_SELECTOR, "#facet-outlet").find_element(By.LINK_TEXT, "Sample Courier").click()
    _wait_url(driver, 'outlet%3A%22Sample+Courier%22')
    hits = driver.find_elements(By.CSS_SELECTOR, "li.hit a.title")
    # "bridge" in Sample Courier: the hostile-title entry and the river festival, nothing else
    assert sorted(h.get_attribute("href").rsplit("/", 1)[1] for h in hits) == sorted([sample.hostile,
                                                                                      sample.courier[1]])


def test_query_error_caret(driver, site):
    from selenium.webdriver.common.by import By

    base, _ = site
    driver.get(base + "/search?q=" + "title%3A%22unclosed")
    caret = driver.find_element(By.CSS_SELECTOR, "#query-error pre.caret").text
    assert caret.splitlines()[0] == 'title:"unclosed' and caret.splitlines()[1].strip() == "^"


def test_entry_page_citations_hashes_and_copy(driver, site):
    from selenium.webdriver.common.by import By

    from newsarchive import api

    base, sample = site
    entry = api.get(sample.root, sample.bridge)
    driver.get(f"{base}/entries/{entry.citekey}")  # a citekey resolves like the CLI
    assert driver.find_element(By.ID, "entry-title").text == entry.title
    for style in ("apa", "mla", "chicago", "bibtex", "biblatex", "csl-json", "ris"):
        text = driver.find_element(By.ID, f"citation-{style}").text
        assert text.strip() == api.cite(sample.root, [entry.id], style=style).strip(), style
    assert driver.find_element(By.ID, "sha256-1").text == entry.snapshots[0].sha256
    assert driver.find_element(By.ID, "sha256-2").text == entry.snapshots[1].sha256
    button = driver.find_element(By.CSS_SELECTOR, 'button.copy[data-copy="citation-apa"]')
    button.click()  # the script runs under the page's CSP (script-src 'self')
    time.sleep(0.3)
    assert button.text in ("Copied", "Press Ctrl+C")
    driver.find_element(By.ID, "verify-link").click()
    _wait_url(driver, "verify=1")
    assert driver.find_element(By.ID, "verify-result").text.startswith("Verified")
    driver.get(f"{base}/entries/{entry.id}")
    _shot(driver, "entry")
    for width in (1280, 390):
        _fits(driver, width)


def test_diff_view(driver, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, sample = site
    driver.get(f"{base}/entries/{sample.bridge}")
    form = driver.find_element(By.CSS_SELECTOR, "#versions form.diff-form")
    Select(form.find_element(By.NAME, "old")).select_by_visible_text("1")
    Select(form.find_element(By.NAME, "new")).select_by_visible_text("2")
    form.find_element(By.TAG_NAME, "button").click()
    _wait_url(driver, "/diff?old=1&new=2")
    inserted = " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, "#diff ins"))
    deleted = " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, "#diff del"))
    assert "larger" in inserted and "2027" in inserted and "2026" in deleted
    assert re.fullmatch(r"\d+ words deleted, \d+ inserted", driver.find_element(By.ID, "diff-summary").text)
    _shot(driver, "diff")
    _fits(driver, 390)


def test_archived_page_is_sandboxed(driver, site):
    from selenium.webdriver.common.by import By

    base, sample = site
    driver.get(f"{base}/entries/{sample.bridge}")
    driver.find_element(By.PARTIAL_LINK_TEXT, "Archived page").click()
    _wait_url(driver, f"/entries/{sample.bridge}/versions/1/archived")
    assert "approved the budget" in driver.find_element(By.TAG_NAME, "body").text
    # the page's own script would have marked the document and renamed it: the sandbox stopped it
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("data-replay-script") is None
    assert driver.title == "SAMPLE: Belgrade council approves bridge budget"
    # a sandbox without allow-same-origin puts the document in an opaque origin
    assert driver.execute_script("return window.origin") == "null"


def test_hostile_title_is_shown_as_text(driver, site):
    from selenium.webdriver.common.by import By

    base, sample = site
    driver.get(f"{base}/entries/{sample.hostile}")
    _no_alert(driver)
    assert driver.find_element(By.ID, "entry-title").text == webfixtures.HOSTILE_TITLE
    assert driver.find_elements(By.CSS_SELECTOR, "img") == []
    driver.get(f"{base}/search?q=tender")
    _no_alert(driver)
    assert webfixtures.HOSTILE_TITLE in [a.text for a in driver.find_elements(By.CSS_SELECTOR, "a.title")]
    assert driver.find_elements(By.CSS_SELECTOR, "img") == []


@pytest.mark.parametrize("path", ["/entries/..%2f..%2fentry.json", "/entries/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                                  "/static/..%2f..%2fapp.py", "/static/%2e%2e/%2e%2e/store.py",
                                  "/entries/{bridge}/versions/1%2f..%2f..%2fentry.json/archived"])
def test_path_tricks_are_refused(driver, site, path):
    from selenium.webdriver.common.by import By

    base, sample = site
    driver.get(base + path.format(bridge=sample.bridge))
    text = driver.find_element(By.TAG_NAME, "body").text
    assert '"citekey"' not in text and "import " not in text and "root:" not in text
    heading = driver.find_elements(By.TAG_NAME, "h1")
    # the browser may normalise an encoded "..": then it lands on an ordinary page of the app
    assert heading and heading[0].text in ("Not found", "Cannot do that") or driver.find_elements(By.ID, "q")


def _outward_address() -> str | None:
    """This machine's address on its network (no packet is sent), or None."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the interface
        address = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if address.startswith("127.") else address


def test_serve_command_listens_on_loopback_only(driver, root, tmp_path):
    """The real command in its own process: it prints a 127.0.0.1 URL, the browser opens it,
    and the machine's other address does not answer on that port."""
    from selenium.webdriver.common.by import By

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "newsarchive", "--root", str(root), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        m = re.search(r"http://([^/:]+):(\d+)/", line)
        assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
        host, port = m.group(1), int(m.group(2))
        assert host == "127.0.0.1"
        _wait_for_port(port)
        driver.get(f"http://127.0.0.1:{port}/")
        assert driver.find_element(By.ID, "total").text.startswith("0 matches")
        other = _outward_address()
        if other is not None:
            with pytest.raises(OSError):
                socket.create_connection((other, port), timeout=2).close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_everything_works_without_javascript(site):
    """Search, facets, the entry page, its citations and the version comparison are plain HTML."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, sample = site
    d = _chrome(javascript=False)
    try:
        d.get(base + "/")
        assert d.execute_script("return 1") == 1  # WebDriver's own scripts still run; the page's do not
        box = d.find_element(By.ID, "q")
        box.send_keys("council")
        box.submit()
        _wait_url(d, "/search?q=council")
        d.find_element(By.CSS_SELECTOR, "#facet-outlet").find_element(By.LINK_TEXT, "Sample Herald").click()
        _wait_url(d, "Sample+Herald")
        d.find_element(By.CSS_SELECTOR, "li.hit a.title").click()
        _wait_url(d, f"/entries/{sample.bridge}")
        assert "@online{" in d.find_element(By.ID, "citation-biblatex").text
        button = d.find_element(By.CSS_SELECTOR, 'button.copy[data-copy="citation-apa"]')
        button.click()
        time.sleep(0.5)
        assert button.text == "Copy"  # the copy script did not run: JavaScript is off
        form = d.find_element(By.CSS_SELECTOR, "#versions form.diff-form")
        Select(form.find_element(By.NAME, "old")).select_by_visible_text("1")
        form.find_element(By.TAG_NAME, "button").click()
        _wait_url(d, "/diff?old=1&new=2")
        assert d.find_elements(By.CSS_SELECTOR, "#diff ins")
    finally:
        d.quit()
