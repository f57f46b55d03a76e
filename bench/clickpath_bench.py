#!/usr/bin/env python3
"""ClickPath rows of `make bench` (called by scripts/bench.sh after bench.py). Python 3 standard
library only.

Instructions per request with callgrind, as bench.py measures them: `apache2 -X` under
`valgrind --tool=callgrind` serves a 20 KB HTML page with 100 links; one run sends N1 requests,
another N2 (a new connection each); slope = (Ir(N2) - Ir(N1)) / (N2 - N1), so start-up and
shutdown cancel, averaged over a few server directory lengths (bench.py's "layouts"). Rows:

- no module;
- module loaded, ClickPath off (no ClickPathSessionPrefix: the module's hooks run and return);
- ClickPath, crawler (User-Agent in <ClickPathUAExceptions>: SESSION=name, no filter);
- ClickPath, new session (no session in the URL: one is minted, every link rewritten, relative
  ones resolved against the base);
- ClickPath, existing session (`/-S:<ID>/page.html`: the ID decoded and checked, links rewritten).

Each row's cost is its slope minus the no-module slope, per request and per KB of HTML. The
targets (issue 12): rewriting at most 5,000 instructions per KB, a crawler or a request without a
session under 500 instructions more than no module. Prints a Markdown table and appends it as a
"ClickPath" section to the results file (--out).
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import socket
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import httpd_instance  # noqa: E402
import bench  # noqa: E402
from bench import callgrind_total  # noqa: E402

TARGET_DIR = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
OURS_SO = os.path.abspath(os.environ.get("MODULE_SO", os.path.join(TARGET_DIR, "release/libmod_usertrack.so")))
PREFIX = "-S:"
CRAWLER_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
REWRITE_TARGET_PER_KB = 5000
PASS_TARGET = 500


CLICKPATH = """LoadModule usertrack_module {so}
ClickPathSessionPrefix {prefix}
<ClickPathUAExceptions>
    google Googlebot
</ClickPathUAExceptions>""".format(so=OURS_SO, prefix=PREFIX)

# (key, label, module config, User-Agent, whether the path carries the session, pass-through row)
ROWS = [
    ("none", "no module", "", BROWSER_UA, False, False),
    ("off", "module loaded, ClickPath off", "LoadModule usertrack_module %s" % OURS_SO, BROWSER_UA, False, True),
    ("crawler", "ClickPath, crawler", CLICKPATH, CRAWLER_UA, False, True),
    ("new", "ClickPath, new session", CLICKPATH, BROWSER_UA, False, False),
    ("existing", "ClickPath, existing session", CLICKPATH, BROWSER_UA, True, False),
]


def log(msg):
    print("[clickpath-bench] " + msg, file=sys.stderr, flush=True)


def page():
    """About 20 KB of HTML with 100 links: 50 root-relative, 30 relative, 10 to the own host with
    scheme, 10 to other sites (left alone), in paragraphs of filler text."""
    filler = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
              "incididunt ut labore et dolore magna aliqua. ")
    parts = ["<!DOCTYPE html>\n<html><head><title>ClickPath bench</title>"
             '<meta charset="utf-8"><link rel="stylesheet" href="/style.css"></head>\n<body>\n']
    for i in range(100):
        if i % 10 < 5:
            href = "/section%d/page%d.html" % (i % 7, i)
        elif i % 10 < 8:
            href = "page%d.html?ref=%d" % (i, i)
        elif i % 10 == 8:
            href = "http://127.0.0.1/abs/page%d.html" % i
        else:
            href = "https://other.example/page%d.html" % i
        parts.append('<p class="item">%s<a href="%s" title="link %d">link %d</a></p>\n' % (filler, href, i, i))
    text = "".join(parts)
    text += "<p>" + "x" * max(0, 20480 - len(text) - 22) + "</p>\n</body></html>\n"
    return text.encode()


class Server(bench.Server):
    """bench.py's server (its config template, directory layouts and callgrind command line), also
    serving the HTML page as /d/page.html."""

    def __init__(self, workdir, name, module, callgrind_out, layout, body):
        super().__init__(workdir, name, "prefork", module, callgrind_out=callgrind_out, layout=layout)
        os.makedirs(os.path.join(self.docroot, "d"))
        os.chmod(os.path.join(self.docroot, "d"), 0o755)
        path = os.path.join(self.docroot, "d", "page.html")
        with open(path, "wb") as f:
            f.write(body)
        os.chmod(path, 0o644)
        os.utime(path, (1577836800, 1577836800))


def get(port, path, ua):
    """One GET on a new connection (HTTP/1.0, so the rewritten body ends with the close)."""
    req = "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: %s\r\nAccept: */*\r\n\r\n" % (path, ua)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(req.encode())
        data = b""
        for _ in range(100000):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if status != 200:
        raise RuntimeError("HTTP %d for %s" % (status, path))
    return body


def check(key, body, session_id):
    links = re.findall(rb'<a href="([^"]*)"', body)
    if key in ("none", "off", "crawler"):
        if any(PREFIX.encode() in l for l in links):
            raise RuntimeError("%s: links rewritten: %r" % (key, links[:3]))
        return None
    # With an existing session the browser resolves relative links against the session's URL:
    # only root-relative and own-host ones change.
    own = [l for l in links if not l.startswith(b"https://other") and (key == "new" or l.startswith((b"/", b"http")))]
    sessions = {l.split(b"/")[1 if l.startswith(b"/") else 3] for l in own}
    if len(sessions) != 1 or not next(iter(sessions)).startswith(PREFIX.encode()):
        raise RuntimeError("%s: expected one session in every own link, got %r" % (key, sorted(sessions)[:3]))
    found = next(iter(sessions))[len(PREFIX):].decode()
    if session_id is not None and found != session_id:
        raise RuntimeError("%s: links carry %s, not the request's session %s" % (key, found, session_id))
    return found


def mint_session(workdir, body):
    """A session ID from a server without valgrind (no ClickPathMaxSessionAge: it stays valid)."""
    srv = Server(workdir, "mint", CLICKPATH, None, 0, body)
    try:
        srv.start(ready_timeout=60)
        return check("new", get(srv.port, "/d/page.html", BROWSER_UA), None)
    finally:
        srv.stop()


def run(workdir, row, n, layout, body, session_id):
    key, _label, module, ua, with_session, _ = row
    name = "%s-n%d-l%d" % (key, n, layout)
    out = os.path.join(workdir, name + ".callgrind.out")
    srv = Server(workdir, name, module, out, layout, body)
    path = ("/%s%s/d/page.html" % (PREFIX, session_id)) if with_session else "/d/page.html"
    try:
        srv.start(ready_timeout=120)
        for i in range(n):
            got = get(srv.port, path, ua)
            if i == 0:
                check(key, got, session_id if with_session else None)
    except Exception as e:
        raise RuntimeError("%s: %s\n--- server output and error log:\n%s" % (name, e, srv.tail())) from e
    finally:
        srv.stop(timeout=120)
    srv.check_error_log()
    return callgrind_total(out)


def render(args, body, slopes, spread, command):
    kb = len(body) / 1024.0
    base = slopes["none"]
    lines = ["## ClickPath (callgrind, prefork `-X`)", "",
             "`%s`: a %d-byte HTML page with 100 links (50 root-relative, 30 relative, 10 own host with "
             "scheme, 10 other sites), one connection per request, HTTP/1.0; slope between %d and %d "
             "requests, mean over layouts %s. Module `%s`." % (command, len(body), args.n1, args.n2,
                                                                 ",".join(map(str, args.layouts)), OURS_SO), "",
             "| Row | Ir/request | over no module | per KB of HTML | spread over layouts | target | holds |",
             "|---|---:|---:|---:|---:|---|---|"]
    for key, label, _m, _ua, _s, passes in ROWS:
        if key not in slopes and key not in args.measured:
            continue
        if key not in slopes:
            lines.append("| %s | failed | | | | | |" % label)
            continue
        cost = slopes[key] - base
        if key == "none":
            lines.append("| %s | %s | | | | | |" % (label, "{:,.0f}".format(slopes[key])))
            continue
        if passes:
            target, holds = "< %d over no module" % PASS_TARGET, cost < PASS_TARGET
        else:
            target, holds = "<= %s per KB" % "{:,}".format(REWRITE_TARGET_PER_KB), cost / kb <= REWRITE_TARGET_PER_KB
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, "{:,.0f}".format(slopes[key]), "{:+,.0f}".format(cost), "{:,.0f}".format(cost / kb),
            "{:,.0f}".format(spread.get(key, 0)), target, "yes" if holds else "**no**"))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n1", type=int, default=int(os.environ.get("BENCH_CP_N1", 20)))
    ap.add_argument("--n2", type=int, default=int(os.environ.get("BENCH_CP_N2", 220)))
    ap.add_argument("--layouts", default=os.environ.get("BENCH_CP_LAYOUTS", "0,9"))
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("BENCH_JOBS", os.cpu_count() or 1)))
    ap.add_argument("--rows", default="", help="comma-separated row keys (default: all)")
    ap.add_argument("--out", help="results file to append the ClickPath section to (default: none)")
    ap.add_argument("--command", default=os.environ.get("BENCH_COMMAND", "make bench"))
    ap.add_argument("--keep", default=os.environ.get("BENCH_KEEP_DIR"),
                    help="keep server dirs and callgrind outputs here (default: temporary, removed)")
    args = ap.parse_args()
    args.layouts = [int(l) for l in args.layouts.split(",") if l.strip()]
    if args.n2 <= args.n1 or args.n1 < 1:
        ap.error("need 1 <= n1 < n2")
    if not os.path.exists(OURS_SO):
        log("%s not found: build it first (cargo build --release)" % OURS_SO)
        return 1
    rows = [r for r in ROWS if not args.rows or r[0] in args.rows.split(",") or r[0] == "none"]
    args.measured = [r[0] for r in rows]
    httpd_instance.install_stop_handlers()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="usertrack-cpbench-", dir=args.keep)
    os.chmod(workdir, 0o755)
    body = page()
    t0 = time.monotonic()
    errors = []
    try:
        session_id = mint_session(workdir, body)
        log("session for the existing-session row: %s; %d callgrind runs" % (session_id, len(rows) * 2 * len(args.layouts)))
        jobs = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for layout in args.layouts:
                for row in rows:
                    for n in (args.n1, args.n2):
                        jobs[(row[0], n, layout)] = pool.submit(run, workdir, row, n, layout, body, session_id)
            results = {}
            for k, f in jobs.items():
                try:
                    results[k] = f.result()
                except Exception as e:
                    errors.append(str(e))
    finally:
        httpd_instance.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    slopes, spread = {}, {}
    per_layout = {}
    for key, *_ in rows:
        s = [(results[(key, args.n2, l)] - results[(key, args.n1, l)]) / (args.n2 - args.n1)
             for l in args.layouts if (key, args.n1, l) in results and (key, args.n2, l) in results]
        if len(s) == len(args.layouts):
            slopes[key] = statistics.mean(s)
            per_layout[key] = s
    if "none" in per_layout:
        for key, s in per_layout.items():
            costs = [a - b for a, b in zip(s, per_layout["none"])]
            spread[key] = max(costs) - min(costs)
    report = render(args, body, slopes, spread, args.command) if "none" in slopes else "## ClickPath\n\nFailed.\n"
    if errors:
        report += "\nFailures:\n\n" + "\n".join("- " + e.splitlines()[0] for e in errors) + "\n"
    report += "\nClickPath bench time: %.0f s.\n" % (time.monotonic() - t0)
    print(report)
    if args.out:
        with open(args.out, "a") as f:
            f.write("\n" + report)
        log("appended to " + args.out)
    for e in errors:
        log("FAILED " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
