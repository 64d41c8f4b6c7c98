"""A headless Chromium (Debian `chromium`) driven through the DevTools protocol, for the HTML report's tests
and benchmark: open a local file with the network off, collect console errors, CSP violations and every
request the page makes, evaluate script, take a screenshot. Needs python3-websocket.

    with Browser() as b:
        page = b.open("/tmp/report.html")   # waits for the load event
        page.evaluate("document.title"); page.errors; page.requests; page.load_seconds
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket  # Debian: python3-websocket


def chromium_binary():
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.errors = []     # console errors, uncaught exceptions, CSP violations, failed loads
        self.requests = []   # every URL the page asked for
        self.load_seconds = None

    def call(self, method, **params):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)

    def _event(self, msg):
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.errors.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:300])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append("console: " + json.dumps(params.get("args", []))[:300])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append("log: " + params["entry"].get("text", "")[:300])
        elif method == "Network.requestWillBeSent":
            self.requests.append(params.get("request", {}).get("url", ""))
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            self.errors.append("load failed: " + params.get("errorText", ""))

    def wait_for(self, method, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv())
            self._event(msg)
            if msg.get("method") == method:
                return msg
        raise TimeoutError(method)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"evaluate: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        self.ws.close()


class Browser:
    """Headless Chromium in a private profile; every page opened by `open` is offline."""

    def __enter__(self):
        binary = chromium_binary()
        if not binary:
            raise FileNotFoundError("chromium")
        self.profile = tempfile.mkdtemp(prefix="ww-chromium-")
        args = [binary, "--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--metrics-recording-only", "--mute-audio",
                f"--user-data-dir={self.profile}", "--remote-debugging-port=0", "--window-size=1280,900",
                # No route anywhere: a request that slipped past the CSP would fail, not leave the machine.
                "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")   # Chromium refuses to run as root with its sandbox
        self.proc = subprocess.Popen(args + ["about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.__exit__(None, None, None)
                raise RuntimeError("chromium did not start (no DevToolsActivePort)")
            time.sleep(0.1)
        with open(port_file) as f:
            self.port = int(f.readline().strip())
        return self

    def open(self, path):
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10))
        page = Page(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.call(f"{domain}.enable")
        page.call("Network.emulateNetworkConditions", offline=True, latency=0, downloadThroughput=0,
                  uploadThroughput=0)
        started = time.monotonic()
        page.call("Page.navigate", url="file://" + os.path.abspath(path))
        page.wait_for("Page.loadEventFired")
        page.load_seconds = time.monotonic() - started
        return page

    def __exit__(self, *exc):
        if getattr(self, "proc", None) and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)
