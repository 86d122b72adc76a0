"""Does ReplayWeb.page load a WACZ written by ``newsarchive export --to wacz``? A check to run by
hand (it needs the npm registry and Debian's chromium), not a CI test.

    python bench/replayweb_check.py                         # the latest replaywebpage from npm
    python bench/replayweb_check.py --version 2.4.6         # a given release
    python bench/replayweb_check.py --package DIR           # an unpacked replaywebpage package (offline)
    python bench/replayweb_check.py --shot /tmp/rwp.png --keep /tmp/rwp-check
    python bench/replayweb_check.py --control --wait 30    # negative control: must print FAIL

What it does, all on 127.0.0.1:

1. serves a small SAMPLE news page (written here) and captures it twice with
   ``newsarchive add URL`` into a temporary collection, its first sentence changed in between
   (one entry, two versions), then exports it with ``newsarchive export --to wacz`` -- or, with
   ``--via-web``, downloads the entry page's WACZ link from ``newsarchive serve``'s app -- and
   runs ``wacz validate`` on it when py-wacz is installed;
2. stops that server, so the page can only come back from the WACZ;
3. fetches the ``replaywebpage`` package (``npm pack``), and serves, from one origin, a page
   embedding ``<replay-web-page source="archive.wacz" url="THE-CAPTURED-URL">`` (no
   timestamp: the newest capture) with its
   ``ui.js``, the service worker at ``replay/sw.js`` and the WACZ (with HTTP range requests);
4. opens that page in headless chromium (Selenium, ``/usr/bin/chromium`` and
   ``/usr/bin/chromedriver``) and polls, for up to ``--wait`` seconds, the text of every
   document inside the player (its shadow roots and nested iframes) for the second version's
   first sentence.

Prints PASS or FAIL with what the browser showed, saves a screenshot, exits 0 on PASS, 1 on FAIL.
``--files`` archives the two versions as saved files (``add FILE --url URL``) instead, so
the WACZ carries them as ``resource`` records written at export time. ``--control`` asks the player for a URL that was never captured (the captured one with
``?never-captured``): the marker cannot appear, so that run must FAIL; it shows the check can.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

CHROMIUM = os.environ.get("NEWSARCHIVE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("NEWSARCHIVE_CHROMEDRIVER", "/usr/bin/chromedriver")

MARKER_V1 = "The harbour ferry timetable changes on the first of March"
MARKER = "The harbour ferry timetable now changes on the first of April"  # version 2, the newest
SAMPLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>SAMPLE: Harbour ferry gets a winter timetable</title>
<meta property="og:site_name" content="Sample Coast Gazette">
<meta name="author" content="Ines Sample">
<meta property="article:published_time" content="2025-02-10T08:00:00+01:00">
<style>body {{ font-family: serif; max-width: 40em; margin: 2em auto; }} h1 {{ color: #1a4d7a; }}</style>
</head><body>
<article>
<h1>SAMPLE: Harbour ferry gets a winter timetable</h1>
<p>{marker}, the sample port authority said, with fewer crossings after dark.</p>
<p>This is a SAMPLE page written for newsarchive's ReplayWeb.page check; no such ferry exists.</p>
</article>
</body></html>
"""

EMBED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>newsarchive WACZ in ReplayWeb.page</title>
<script src="ui.js"></script>
<style>html, body {{ margin: 0; height: 100%; }} replay-web-page {{ display: block; height: 100vh; }}</style>
</head><body>
<replay-web-page source="archive.wacz" url="{url}"{ts} replayBase="./replay/"></replay-web-page>
</body></html>
"""

#: the text of the page and of every document inside it, through open shadow roots and
#: same-origin iframes (ReplayWeb.page nests both; the replayed page is served by its service
#: worker from this origin)
COLLECT_TEXT = """
const texts = [];
const seen = new Set();
function walk(root, depth) {
  if (!root || seen.has(root) || depth > 12) return;
  seen.add(root);
  const all = root.querySelectorAll ? root.querySelectorAll('*') : [];
  for (const el of all) {
    if (el.shadowRoot) walk(el.shadowRoot, depth + 1);
    if (el.tagName === 'IFRAME') {
      let doc = null;
      try { doc = el.contentDocument; } catch (e) { doc = null; }
      if (doc && doc.body) {
        texts.push({src: (doc.location && doc.location.href) || el.src || '', text: doc.body.innerText || ''});
        walk(doc, depth + 1);
      }
    }
  }
}
walk(document, 0);
return texts;
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sample_site(state: dict) -> tuple[http.server.ThreadingHTTPServer, str]:
    """The sample page on 127.0.0.1; ``state["marker"]`` is its first sentence (changed between captures)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = SAMPLE_PAGE.format(marker=state["marker"]).encode("utf-8")
            if self.path != "/news/harbour-ferry.html":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/news/harbour-ferry.html"


def _download_from_web_app(coll: Path, out: Path) -> None:
    """The entry page's "Download WACZ" link, followed in newsarchive serve's app (in process)."""
    import re

    from starlette.testclient import TestClient

    from newsarchive import api
    from newsarchive.web import create_app

    (entry_id,) = list(api.open_store(coll).ids())
    with TestClient(create_app(coll), base_url="http://127.0.0.1:8765") as client:
        page = client.get(f"/entries/{entry_id}")
        link = re.search(r'href="(/entries/[^"]+/wacz)"', page.text)
        if not link:
            raise SystemExit(f"FAIL: the entry page of {entry_id} has no WACZ link")
        r = client.get(link.group(1))
        print(f"$ GET {link.group(1)} -> {r.status_code} {r.headers.get('content-type')}, "
              f"{len(r.content)} bytes", flush=True)
        if r.status_code != 200:
            raise SystemExit(f"FAIL: the WACZ download answered {r.status_code}")
        out.write_bytes(r.content)


def _newsarchive() -> list[str]:
    script = Path(sys.executable).with_name("newsarchive")
    return [str(script)] if script.exists() else [sys.executable, "-m", "newsarchive"]


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    print("$", " ".join(cmd), flush=True)
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    for line in (done.stdout + done.stderr).strip().splitlines()[:20]:
        print("  ", line)
    if done.returncode:
        raise SystemExit(f"FAIL: {cmd[0]} exited with {done.returncode}")
    return done


def _replaywebpage(work: Path, version: str | None, package: Path | None) -> tuple[Path, str]:
    """The unpacked package folder and its version."""
    if package is None:
        npm = shutil.which("npm")
        if not npm:
            raise SystemExit("FAIL: npm is not installed (apt-get install npm), or pass --package DIR")
        spec = f"replaywebpage@{version}" if version else "replaywebpage"
        done = _run([npm, "pack", spec, "--silent"], cwd=work)
        tgz = work / done.stdout.strip().splitlines()[-1]
        with tarfile.open(tgz) as tf:
            tf.extractall(work, filter="data")
        package = work / "package"
    meta = json.loads((package / "package.json").read_text("utf-8"))
    for name in ("ui.js", "sw.js"):
        if not (package / name).is_file():
            raise SystemExit(f"FAIL: {package} has no {name}")
    return package, meta.get("version", "?")


def _serve_folder(folder: Path):
    """``folder`` over HTTP on 127.0.0.1 with range requests (Starlette's StaticFiles, uvicorn)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    app = Starlette(routes=[Mount("/", app=StaticFiles(directory=folder, html=True))])
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}/"


def _chrome():
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    d.set_page_load_timeout(60)
    return d


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--version", help="replaywebpage release to fetch from npm (default: latest)")
    ap.add_argument("--package", type=Path, help="an unpacked replaywebpage package folder (no npm)")
    ap.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the replay (default 60)")
    ap.add_argument("--shot", type=Path, default=Path("replayweb_check.png"), help="screenshot file")
    ap.add_argument("--keep", type=Path, help="build everything in this folder and keep it")
    ap.add_argument("--via-web", action="store_true",
                    help="take the WACZ from the web app's entry page link instead of `export --to wacz`")
    ap.add_argument("--files", action="store_true",
                    help="archive the two versions as saved files with --url (no fetch, no WARC of our own): "
                         "checks the WACZ's resource records")
    ap.add_argument("--first", action="store_true",
                    help="ask for the first capture (its time from pages.jsonl) and expect version 1's text")
    ap.add_argument("--control", action="store_true",
                    help="negative control: ask for a URL that is not in the WACZ (must FAIL)")
    args = ap.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="newsarchive-rwp-"))
    work.mkdir(parents=True, exist_ok=True)
    site = work / "site"
    (site / "replay").mkdir(parents=True, exist_ok=True)
    coll = work / "collection"
    na = _newsarchive()
    try:
        state = {"marker": MARKER_V1}
        origin, url = _sample_site(state)
        try:
            if (coll / "archive").is_dir():
                shutil.rmtree(coll)
            _run(na + ["init", str(coll)])
            if args.files:  # saved files, not fetches: the WACZ gets `resource` records at the --url
                for marker in (MARKER_V1, MARKER):
                    saved = work / "harbour-ferry.html"
                    saved.write_text(SAMPLE_PAGE.format(marker=marker), "utf-8")
                    _run(na + ["-C", str(coll), "add", str(saved), "--url", url])
            else:
                _run(na + ["-C", str(coll), "add", url])
                state["marker"] = MARKER
                _run(na + ["-C", str(coll), "add", url])
            (site / "archive.wacz").unlink(missing_ok=True)
            if args.via_web:
                _download_from_web_app(coll, site / "archive.wacz")
            else:
                _run(na + ["-C", str(coll), "export", "--to", "wacz", "-o", str(site / "archive.wacz")])
        finally:
            origin.shutdown()  # from here on the page exists only in the WACZ
            origin.server_close()
        wacz = Path(sys.executable).with_name("wacz")
        wacz = str(wacz) if wacz.exists() else shutil.which("wacz")
        if wacz:
            _run([wacz, "validate", "-f", str(site / "archive.wacz")])
        else:
            print("(wacz validate skipped: py-wacz is not installed; pip install wacz)")

        package, version = _replaywebpage(work, args.version, args.package)
        shutil.copyfile(package / "ui.js", site / "ui.js")
        shutil.copyfile(package / "ui.js", site / "replay" / "ui.js")  # the player's own frame asks for it there
        shutil.copyfile(package / "sw.js", site / "replay" / "sw.js")
        asked = url + "?never-captured" if args.control else url
        ts, expected, which = "", MARKER, "the newest capture's"
        if args.first:
            import re
            import zipfile

            with zipfile.ZipFile(site / "archive.wacz") as zf:
                pages = [json.loads(x) for x in zf.read("pages/pages.jsonl").decode("utf-8").splitlines()[1:]]
            first = min(pages, key=lambda p: p["ts"])
            ts, expected, which = f' ts="{re.sub(r"[^0-9]", "", first["ts"])[:14]}"', MARKER_V1, "the first capture's"
        (site / "index.html").write_text(EMBED_PAGE.format(url=asked, ts=ts), "utf-8")
        print(f"ReplayWeb.page {version}; captured URL {url}; the player is asked for {asked}{ts}")

        server, base = _serve_folder(site)
        driver = _chrome()
        seen: list[dict] = []
        ok = reloaded = False
        try:
            driver.get(base + "index.html")
            started = time.monotonic()
            deadline = started + args.wait
            while time.monotonic() < deadline:
                seen = driver.execute_script(COLLECT_TEXT) or []
                if any(expected in (t.get("text") or "") for t in seen):
                    ok = True
                    elapsed = time.monotonic() - started
                    time.sleep(1.0)  # let it paint before the screenshot
                    break
                if not reloaded and any("/replay/?" in (t.get("src") or "") and
                                        (t.get("text") or "").strip() == "Not Found" for t in seen):
                    # the player's frame was fetched before its service worker took control (a
                    # race in a fresh browser profile; our static server answered): load once more
                    print("  (the player's frame loaded before its service worker was active: reloading once)")
                    reloaded = True
                    driver.refresh()
                time.sleep(1.0)
            args.shot.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(args.shot))
            console = []
            try:
                console = [f"{e.get('level')}: {e.get('message')}" for e in driver.get_log("browser")]
            except Exception:  # noqa: BLE001 - a driver without logs
                pass
        finally:
            driver.quit()
            server.should_exit = True

        if ok:
            print(f"PASS: ReplayWeb.page {version} showed {which} text after {elapsed:.1f} s")
        else:
            print(f"FAIL: ReplayWeb.page {version} did not show {which} text within {args.wait:.0f} s")
        for t in seen:
            text = " ".join((t.get("text") or "").split())
            print(f"  frame {t.get('src', '')[:120]}")
            print(f"    text: {text[:300]!r}")
        if not ok:
            for line in console[-20:]:
                print("  console", line[:300])
        print(f"screenshot: {args.shot}")
        return 0 if ok else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
