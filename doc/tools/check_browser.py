"""Open built pages in headless Chromium: figures render, the console is clean.

Usage: ``python doc/tools/check_browser.py doc/_build/html PAGE [PAGE ...]
[--screenshots DIR]``, PAGE relative to the build (``index.html``).

Chromium is driven over the DevTools protocol on a pipe
(``--remote-debugging-pipe``), with the standard library only. For each page:
the load event fires; every ``<img>`` decodes (lazy images are made eager
first); at least one gallery figure (an image sphinx-gallery wrote) is
drawn (``--min-figures``); and no console error,
uncaught exception or failed resource load is reported while the page loads
and settles. A PNG screenshot of each page is written to ``--screenshots``.
Exits with status 1 if any page fails.
"""

import argparse
import base64
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,1600",
]

CONSOLE_ERRORS = ("error", "assert")

# Every image, made eager and decoded: [src, naturalWidth, classes].
IMAGES = """
Promise.all(Array.from(document.images).map(img => {
  img.loading = "eager";
  const info = () => [img.currentSrc || img.src, img.naturalWidth, img.className];
  return img.decode().then(info, () => [img.currentSrc || img.src, 0, img.className]);
}))
"""


class Browser:
    def __init__(self, executable):
        self._profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def plumb():  # the DevTools pipe is fds 3 (commands) and 4 (replies)
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self._process = subprocess.Popen(
            [
                executable,
                *FLAGS,
                f"--user-data-dir={self._profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            preexec_fn=plumb,
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._from_child], [], [], remaining)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None, timeout=60):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method, timeout=60):
        deadline = time.monotonic() + timeout
        for i, event in enumerate(self.events):
            if event.get("method") == method:
                return self.events.pop(i)
        while True:
            event = self._read_message(deadline)
            if event.get("method") == method:
                return event
            self.events.append(event)

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)


def _errors(events):
    """Console errors, uncaught exceptions and failed loads among ``events``."""
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details["text"]
            found.append(f"uncaught exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params["type"] in CONSOLE_ERRORS:
            args = [
                str(a.get("value", a.get("description", ""))) for a in params["args"]
            ]
            found.append(f"console.{params['type']}: {' '.join(args)}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            found.append(
                f"{entry['source']} error: {entry['text']} {entry.get('url', '')}"
            )
    return found


def check_page(browser, url, screenshot, min_figures, height):
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send(
        "Target.attachToTarget", {"targetId": target, "flatten": True}
    )["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        browser.send(f"{domain}.enable", session=session)
    # A tall viewport: the theme scrolls inside the page, so a screenshot
    # shows the viewport only; the figures of a gallery page are in it.
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    browser.events.clear()
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired")
    images = browser.send(
        "Runtime.evaluate",
        {"expression": IMAGES, "awaitPromise": True, "returnByValue": True},
        session=session,
    )["result"]["value"]
    browser.drain(1.5)  # late errors (scripts run after load)
    errors = _errors(browser.events)
    title = browser.send(
        "Runtime.evaluate",
        {"expression": "document.title", "returnByValue": True},
        session=session,
    )["result"]["value"]
    shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)[
        "data"
    ]
    screenshot.write_bytes(base64.b64decode(shot))
    browser.send("Target.closeTarget", {"targetId": target})
    broken = [src for src, width, _ in images if width == 0]
    figures = [
        src
        for src, width, classes in images
        if width > 0 and ("sphx-glr" in classes or "sphx_glr_" in src)
    ]
    problems = [f"image did not render: {src}" for src in broken] + errors
    if len(figures) < min_figures:
        problems.append(f"{len(figures)} figures rendered, expected {min_figures}+")
    return title, images, figures, errors, problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("pages", nargs="+")
    parser.add_argument(
        "--screenshots", type=Path, default=Path("doc/_build/screenshots")
    )
    parser.add_argument("--min-figures", type=int, default=1)
    parser.add_argument("--height", type=int, default=6000, help="viewport, px")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args(argv)
    args.screenshots.mkdir(parents=True, exist_ok=True)
    browser = Browser(args.chromium)
    failed = False
    try:
        version = browser.send("Browser.getVersion")["product"]
        print(f"check_browser: {version}")
        for page in args.pages:
            path = (args.root / page).resolve()
            name = page.replace("/", "_").removesuffix(".html")
            screenshot = args.screenshots / f"{name}.png"
            title, images, figures, errors, problems = check_page(
                browser, path.as_uri(), screenshot, args.min_figures, args.height
            )
            rendered = sum(1 for _, width, _ in images if width > 0)
            print(
                f"check_browser: {page}: {'FAILED' if problems else 'ok'}: "
                f"title {title!r}, {rendered} of {len(images)} images rendered, "
                f"{len(figures)} figures, {len(errors)} console errors; "
                f"screenshot {screenshot}"
            )
            for problem in problems:
                print(f"check_browser:   {problem}")
            failed |= bool(problems)
    finally:
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
