#!/usr/bin/env python3
"""Benchmark driver behind `make bench` (called by scripts/bench.sh). Python 3 standard library only.

Three parts, printed as one Markdown report on stdout and written to bench/RESULTS.md:

1. Instructions per request with callgrind: `apache2 -X` (prefork, one process) under
   `valgrind --tool=callgrind` serves a 6-byte static file; one run sends N1 requests, another N2;
   slope = (Ir(N2) - Ir(N1)) / (N2 - N1), so start-up and shutdown cancel. A module's cost is its
   slope minus the no-module slope. Every run uses the same client, request bytes and connection
   pattern (a new connection per request by default), so only the module configuration differs.
2. Throughput with wrk against the event MPM (no valgrind): one server per configuration, all
   started up front, wrk rounds interleaved A/B/C with a rotating order; medians and ratios.
3. Criterion microbenchmarks of the pure core (`cargo bench --bench core`), read back from
   target/criterion/**/new/{benchmark,estimates}.json.

Every server started here is stopped (SIGTERM, bounded wait, SIGKILL) on exit, on error and on
SIGINT/SIGTERM. Servers bind 127.0.0.1 only; every loop is bounded in count and time.
"""

import argparse
import base64
import concurrent.futures
import datetime
import hashlib
import hmac
import json
import os
import platform
import re
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpd_instance  # noqa: E402
from httpd_instance import HTTPD, MODULES_DIR  # noqa: E402
STOCK_SO = os.environ.get("STOCK_SO", os.path.join(MODULES_DIR, "mod_usertrack.so"))
TARGET_DIR = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
OURS_SO = os.path.abspath(os.environ.get("MODULE_SO", os.path.join(TARGET_DIR, "release/libmod_usertrack.so")))
TEMPLATE = os.path.join(REPO, "bench/conf/httpd.conf.in")

# Every directive that changes the per-request path. Keep this the single list: the "all options"
# columns use exactly these lines (add new options here as the module grows).
ALL_OPTIONS = [
    "CookieExpires 3600",
    "CookieStyle Netscape",
    "CookieDomain .example.com",
    "CookieSameSite Lax",
    "CookieSecure on",
    "CookieHTTPOnly on",
]
# Substrings the Set-Cookie header must contain with ALL_OPTIONS (sanity check, case-insensitive).
ALL_OPTIONS_EXPECT = ["expires=", "domain=.example.com", "samesite=lax", "secure", "httponly"]

# The module's own per-request options (not in stock), on top of ALL_OPTIONS for the "every
# option" column. @KEYFILE@ becomes a key file (mode 0600) in the server's directory.
NEW_OPTIONS = [
    "CookieInject on",
    "CookieValidate on",
    "CookiePath /",
    "CookieSignKeyFile @KEYFILE@",
]
NEW_OPTIONS_EXPECT = ALL_OPTIONS_EXPECT + ["~"]

# What each of the module's own options costs alone: ours with the default config plus one line.
# (key, directive, Set-Cookie parts expected for a new visitor)
SINGLE_OPTIONS = [
    ("opt_legacy", "CookieIDFormat legacy", ["=127.0.0.1."]),
    ("opt_uuid", "CookieIDFormat uuid", []),
    ("opt_uuid7", "CookieIDFormat uuid7", []),
    ("opt_inject", "CookieInject on", []),
    ("opt_validate", "CookieValidate on", []),
    ("opt_sign", "CookieSignKeyFile @KEYFILE@", ["~"]),
    ("opt_renew", "CookieRenew on", []),
]
# A fixed key, so that the returning visitor's signed cookie is the same in every run.
SIGN_KEY = bytes(range(32))

COOKIE_NAME = "Apache"
TRACKING_ID = "7f3a91c2.6601c0ffee123"
TRACKING_COOKIE = COOKIE_NAME + "=" + TRACKING_ID


def signed_value(cookie_id):
    """`id~tag` as the module signs it: HMAC-SHA256(key, name "=" id), 128 bits, base64url."""
    tag = hmac.new(SIGN_KEY, (COOKIE_NAME + "=" + cookie_id).encode(), hashlib.sha256).digest()[:16]
    return cookie_id + "~" + base64.urlsafe_b64encode(tag).decode().rstrip("=")


def cookie_for(conf, cookie):
    """The workload's Cookie header for a column: signed where the column signs."""
    if cookie is None or "CookieSignKeyFile" not in conf:
        return cookie
    return cookie.replace(TRACKING_COOKIE, COOKIE_NAME + "=" + signed_value(TRACKING_ID))


def _returning_300():
    """A realistic ~300-byte Cookie header value: 8 cookies, the tracking cookie last."""
    cookies = [
        "_ga=GA1.2.1183742391.1732233719",
        "_gid=GA1.2.2081451232.1732233719",
        "sessionid=k2j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8",
        "csrftoken=Zx8PqL3mN7vB2cR5tY9wK4hJ6gF1dS0aQeUiOp",
        "lang=en-US",
        "cookie_consent=necessary%2Cpreferences%2Cstatistics",
        "_fbp=fb.1.1732233719815.1234567890",
        TRACKING_COOKIE,
    ]
    return "; ".join(cookies)


def _returning_4k():
    """A ~4 KB Cookie header value, the tracking cookie last (70 filler cookies of 56 bytes)."""
    cookies = []
    for i in range(70):
        cookies.append("pref_%02d=%s" % (i, ("v%02dx" % i) * 12))
    cookies.append(TRACKING_COOKIE)
    return "; ".join(cookies)


# Rows. cookie=None sends no Cookie header (new visitor).
WORKLOADS = [
    ("new visitor (no Cookie)", None),
    ("returning, %d B Cookie (8 cookies)" % len(_returning_300()), _returning_300()),
    ("returning, %d B Cookie (65 cookies)" % len(_returning_4k()), _returning_4k()),
]


def load_module_conf(so_path, extra):
    lines = ["LoadModule usertrack_module %s" % so_path, "CookieTracking on"] + list(extra)
    return "\n".join(lines)


def configs(include_ours):
    """Columns: (key, label, module conf text or '', expects Set-Cookie, extra expectations)."""
    cols = [
        ("none", "no module", "", False, []),
        ("stock", "stock", load_module_conf(STOCK_SO, []), True, []),
    ]
    if include_ours:
        cols.append(("ours", "ours", load_module_conf(OURS_SO, []), True, []))
    cols.append(("stock_all", "stock all-opts", load_module_conf(STOCK_SO, ALL_OPTIONS), True, ALL_OPTIONS_EXPECT))
    if include_ours:
        cols.append(("ours_all", "ours all-opts", load_module_conf(OURS_SO, ALL_OPTIONS), True, ALL_OPTIONS_EXPECT))
        cols.append(("ours_every", "ours every option", load_module_conf(OURS_SO, ALL_OPTIONS + NEW_OPTIONS), True,
                     NEW_OPTIONS_EXPECT))
        for key, directive, expect in SINGLE_OPTIONS:
            cols.append((key, directive.replace("@KEYFILE@", "<key file>"), load_module_conf(OURS_SO, [directive]),
                         True, expect))
    return cols


# ----------------------------------------------------------------------------------------------
# Server management (bench/httpd_instance.py starts, registers and stops the servers)

def log(msg):
    print("[bench] " + msg, file=sys.stderr, flush=True)


class Server(httpd_instance.Httpd):
    """One httpd (optionally under callgrind) in its own directory, on its own 127.0.0.1 port."""

    _ids = iter(range(1000000))
    _ids_lock = threading.Lock()

    def __init__(self, workdir, name, mpm, module_conf, callgrind_out=None, layout=0):
        # httpd's per-request work grows with the length of the file's path (directory walk), so
        # every server's directory name has the same length: s000001, s000002, ... `layout` pads
        # it by that many bytes, which moves where httpd's strings fall relative to 8- and 32-byte
        # boundaries (see part_callgrind).
        with Server._ids_lock:
            self.dir = os.path.join(workdir, "s%06d%s" % (next(Server._ids), "_" * layout))
        self.run_dir = os.path.join(self.dir, "run")
        self.docroot = os.path.join(self.dir, "htdocs")
        os.makedirs(self.run_dir)
        os.makedirs(self.docroot)
        # httpd children may run as another uid (root without User): make the tree readable.
        for d in (self.dir, self.run_dir, self.docroot):
            os.chmod(d, 0o755)
        path = os.path.join(self.docroot, "f.txt")
        with open(path, "w") as f:
            f.write("hello\n")  # 6 bytes
        os.chmod(path, 0o644)
        os.utime(path, (1577836800, 1577836800))  # old mtime: strong ETag, same headers every run
        self.mpm = mpm
        self.module_conf = module_conf
        self.callgrind_out = callgrind_out
        super().__init__(name, self._write_conf, self._argv, os.path.join(self.run_dir, "error.log"),
                         os.path.join(self.dir, "stderr.log"))

    def _write_conf(self, port):
        mpm_conf = {
            "prefork": "",
            "event": "\n".join([
                "StartServers 2", "ServerLimit 2", "ThreadsPerChild 32", "ThreadLimit 32",
                "MaxRequestWorkers 64", "MinSpareThreads 1", "MaxSpareThreads 64",
                "MaxConnectionsPerChild 0",
            ]),
        }[self.mpm]
        with open(TEMPLATE) as f:
            text = f.read()
        key_file = os.path.join(self.dir, "sign.keys")
        if "@KEYFILE@" in self.module_conf:
            with open(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                f.write(base64.b64encode(SIGN_KEY).decode() + "\n")
        subst = {
            "@SERVER_ROOT@": self.dir, "@PORT@": str(port), "@RUN_DIR@": self.run_dir,
            "@MPM@": self.mpm, "@DOCROOT@": self.docroot, "@MPM_CONF@": mpm_conf,
            "@MODULE_CONF@": self.module_conf.replace("@KEYFILE@", key_file),
        }
        for k, v in subst.items():
            text = text.replace(k, v)
        conf = os.path.join(self.dir, "httpd.conf")
        with open(conf, "w") as f:
            f.write(text)
        return conf

    def _argv(self, conf):
        if self.mpm == "prefork":
            cmd = [HTTPD, "-X", "-f", conf]
        else:
            cmd = [HTTPD, "-DFOREGROUND", "-f", conf]
        if self.callgrind_out:
            cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + self.callgrind_out] + cmd
        return cmd

    def _tail(self):
        return self.tail()


stop_all = httpd_instance.stop_all


# ----------------------------------------------------------------------------------------------
# HTTP client (raw sockets, so every request is byte-for-byte identical across configurations)

def build_request(cookie, keepalive=True):
    lines = ["GET /f.txt HTTP/1.1", "Host: 127.0.0.1", "User-Agent: usertrack-bench/1",
             "Accept: */*"]
    if cookie is not None:
        lines.append("Cookie: " + cookie)
    if not keepalive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock, buf):
    """Read one response; returns (status, headers list, remaining buffer)."""
    for _ in range(10000):
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            break
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the response headers")
        buf += chunk
    else:
        raise RuntimeError("response headers too long")
    head = buf[:end].decode("latin-1").split("\r\n")
    buf = buf[end + 4:]
    status = int(head[0].split()[1])
    headers = []
    length = 0
    for h in head[1:]:
        k, _, v = h.partition(":")
        headers.append((k.strip(), v.strip()))
        if k.strip().lower() == "content-length":
            length = int(v)
    for _ in range(10000):
        if len(buf) >= length:
            break
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed in the body")
        buf += chunk
    return status, headers, buf[length:]


def send_requests(port, n, cookie, keepalive=True):
    """Send n identical GETs; returns the headers of the first response."""
    req = build_request(cookie, keepalive)
    first = None
    sock = None
    buf = b""
    try:
        for i in range(n):
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=60)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                buf = b""
            sock.sendall(req)
            status, headers, buf = read_response(sock, buf)
            if status != 200:
                raise RuntimeError("HTTP %d from port %d" % (status, port))
            if first is None:
                first = headers
            if not keepalive:
                # Wait for the server's close first: closing at once races the server's lingering
                # close, which then does a varying amount of polling and reading per request.
                for _ in range(10000):
                    if not sock.recv(65536):
                        break
                sock.close()
                sock = None
    finally:
        if sock is not None:
            sock.close()
    return first


def check_headers(label, headers, cookie, expects_cookie, expect_parts, renews=False):
    sc = [v for k, v in headers if k.lower() in ("set-cookie", "set-cookie2")]
    if cookie is not None and renews:
        if len(sc) != 1 or COOKIE_NAME + "=" + TRACKING_ID not in cookie or not sc[0].startswith(COOKIE_NAME + "="):
            raise RuntimeError("%s: expected the returning visitor's cookie renewed, got %r" % (label, sc))
    elif cookie is None and expects_cookie:
        if len(sc) != 1 or not sc[0].startswith(COOKIE_NAME + "="):
            raise RuntimeError("%s: expected one Set-Cookie for a new visitor, got %r" % (label, sc))
        low = sc[0].lower()
        for part in expect_parts:
            if part not in low:
                raise RuntimeError("%s: Set-Cookie %r lacks %r" % (label, sc[0], part))
    elif sc:
        raise RuntimeError("%s: unexpected Set-Cookie %r" % (label, sc))


# ----------------------------------------------------------------------------------------------
# Part 1: callgrind

def callgrind_total(path):
    with open(path, errors="replace") as f:
        summary = totals = None
        for line in f:
            if line.startswith("summary:"):
                summary = int(line.split()[1])
            elif line.startswith("totals:"):
                totals = int(line.split()[1])
    v = totals if totals is not None else summary
    if v is None:
        raise RuntimeError("no summary/totals line in " + path)
    return v


def callgrind_run(workdir, key, module_conf, wl_index, cookie, n, keepalive, expects_cookie, expect_parts,
                  layout):
    name = "cg-%s-w%d-n%d-l%d" % (key, wl_index, n, layout)
    out = os.path.join(workdir, name + ".callgrind.out")  # written after the request loop: any length
    srv = Server(workdir, name, "prefork", module_conf, callgrind_out=out, layout=layout)
    cookie = cookie_for(module_conf, cookie)
    try:
        srv.start(ready_timeout=120)
        headers = send_requests(srv.port, n, cookie, keepalive)
        check_headers(name, headers, cookie, expects_cookie, expect_parts, renews="CookieRenew on" in module_conf)
    except Exception as e:
        srv.stop(timeout=120)
        raise RuntimeError("%s: %s\n--- server output and error log:\n%s" % (name, e, srv._tail())) from e
    finally:
        srv.stop(timeout=120)
    srv.check_error_log()
    return callgrind_total(out)


def part_callgrind(args, workdir, cols):
    """Slopes per (configuration, workload), each the mean over the layouts.

    Where httpd's strings fall relative to 8- and 32-byte boundaries changes what its SIMD string
    functions cost, and a module's allocations move them: one layout alone moved a module cost by
    up to 60 instructions either way. Each configuration is therefore measured in several
    layouts (server directory names of different lengths) and the slopes are averaged; the spread
    of the module cost across layouts is reported too.
    """
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for layout in args.layouts:
            for key, _label, conf, expects, parts in cols:
                for wi, (_wl, cookie) in enumerate(WORKLOADS):
                    for n in (args.n1, args.n2):
                        jobs[(key, wi, n, layout)] = pool.submit(callgrind_run, workdir, key, conf, wi, cookie, n,
                                                                 args.keepalive, expects, parts, layout)
                    if key == cols[0][0] and wi == 1 and layout == args.layouts[0]:
                        # One run repeated under the same conditions, to show the run-to-run noise.
                        jobs["repeat"] = pool.submit(callgrind_run, workdir, key + "-repeat", conf, wi, cookie,
                                                     args.n2, args.keepalive, expects, parts, layout)
        results, errors = {}, []
        for k, f in jobs.items():
            try:
                results[k] = f.result()
            except Exception as e:  # one broken column must not hide the others
                errors.append(str(e))
    slopes = {}
    first = (cols[0][0], 1, args.n2, args.layouts[0])
    if "repeat" in results and first in results:
        slopes["repeat"] = abs(results["repeat"] - results[first]) / (args.n2 - args.n1)
    for key, *_ in cols:
        for wi in range(len(WORKLOADS)):
            per_layout = []
            for layout in args.layouts:
                a, b = results.get((key, wi, args.n1, layout)), results.get((key, wi, args.n2, layout))
                per_layout.append(None if a is None or b is None else (b - a) / (args.n2 - args.n1))
            slopes[(key, wi, "layouts")] = per_layout
            slopes[(key, wi)] = None if None in per_layout else sum(per_layout) / len(per_layout)
    return slopes, errors


def module_cost_range(slopes, key, wi):
    """(lowest, highest) module cost of `key` across layouts, each against no module in the same layout."""
    ours, none = slopes.get((key, wi, "layouts")), slopes.get(("none", wi, "layouts"))
    if not ours or not none or None in ours or None in none:
        return None
    costs = [o - n for o, n in zip(ours, none)]
    return min(costs), max(costs)


def fmt_int(x):
    return "FAILED" if x is None else "{:,.0f}".format(x)


def render_callgrind(args, cols, slopes):
    keys = [c[0] for c in cols if not c[0].startswith("opt_")]
    single = [c[0] for c in cols if c[0].startswith("opt_")]
    labels = {c[0]: c[1] for c in cols}
    out = []
    conn = "one keep-alive connection" if args.keepalive else "a new connection per request"
    out.append("## 1. Instructions per request (callgrind)\n")
    out.append("`valgrind --tool=callgrind %s -X` (prefork), 6-byte static file, %s; "
               "slope = (Ir(%d requests) - Ir(%d requests)) / %d, so start-up and shutdown cancel. "
               "Module cost = slope - no-module slope.\n"
               % (HTTPD, conn, args.n2, args.n1, args.n2 - args.n1))
    out.append("All-opts = `%s`.\n" % "; ".join(ALL_OPTIONS))
    out.append("Every option = all-opts and `%s` (the returning visitor's cookie is then signed with the key).\n"
               % "; ".join(NEW_OPTIONS).replace("@KEYFILE@", "<key file>"))
    out.append("Each slope is the mean over %d layouts (server directory names padded by %s bytes, which "
               "moves httpd's strings relative to 8- and 32-byte boundaries).\n"
               % (len(args.layouts), ", ".join(str(l) for l in args.layouts)))
    if "repeat" in slopes:
        out.append("Run-to-run noise: repeating one %d-request run changed its total by %.0f instructions per "
                   "request of the slope.\n" % (args.n2, slopes["repeat"]))
    out.append("Instructions per request (whole httpd):\n")
    hdr = "| workload | " + " | ".join(labels[k] for k in keys) + " |"
    out.append(hdr)
    out.append("|" + "---|" * (len(keys) + 1))
    for wi, (wl, _c) in enumerate(WORKLOADS):
        out.append("| %s | %s |" % (wl, " | ".join(fmt_int(slopes[(k, wi)]) for k in keys)))
    out.append("")
    if any(v is None for k, v in slopes.items() if k != "repeat"):
        out.append("(FAILED = the server crashed or answered wrongly; see Failures below.)\n")
    out.append("")
    mods = [k for k in keys if k != "none"]
    out.append("Module cost, instructions per request (slope minus no-module slope), and ours / stock:\n")
    ratio_pairs = [(a, b) for a, b in (("ours", "stock"), ("ours_all", "stock_all")) if a in keys and b in keys]
    hdr = "| workload | " + " | ".join(labels[k] for k in mods)
    hdr += "".join(" | %s / %s" % (labels[a], labels[b]) for a, b in ratio_pairs) + " |"
    out.append(hdr)
    out.append("|" + "---|" * (len(mods) + len(ratio_pairs) + 1))
    for wi, (wl, _c) in enumerate(WORKLOADS):
        base = slopes[("none", wi)]
        cost = {k: None if base is None or slopes[(k, wi)] is None else slopes[(k, wi)] - base for k in mods}
        row = "| %s | %s" % (wl, " | ".join(fmt_int(cost[k]) for k in mods))
        for a, b in ratio_pairs:
            ok = cost[a] is not None and cost[b] is not None and cost[b] > 0
            row += " | %s" % ("%.2f" % (cost[a] / cost[b]) if ok else "n/a")
        out.append(row + " |")
    out.append("")
    out.append("Module cost per layout, lowest to highest:\n")
    out.append("| workload | " + " | ".join(labels[k] for k in mods) + " |")
    out.append("|" + "---|" * (len(mods) + 1))
    for wi, (wl, _c) in enumerate(WORKLOADS):
        cells = []
        for k in mods:
            spread = module_cost_range(slopes, k, wi)
            cells.append("n/a" if spread is None else "%s to %s" % (fmt_int(spread[0]), fmt_int(spread[1])))
        out.append("| %s | %s |" % (wl, " | ".join(cells)))
    out.append("")
    if single and "ours" in keys:
        labels.update({c[0]: c[1] for c in cols})
        out.append("Each of the module's own options alone (the default config plus that line): what it adds to "
                   "ours, instructions per request:\n")
        out.append("| workload | " + " | ".join("`%s`" % labels[k] for k in single) + " |")
        out.append("|" + "---|" * (len(single) + 1))
        for wi, (wl, _c) in enumerate(WORKLOADS):
            base = slopes[("ours", wi)]
            cells = [fmt_int(None if base is None or slopes[(k, wi)] is None else slopes[(k, wi)] - base)
                     for k in single]
            out.append("| %s | %s |" % (wl, " | ".join(cells)))
        out.append("")
        out.append("(`CookieRenew` turns every returning request into a Set-Cookie; `CookieSignKeyFile` makes the "
                   "returning visitor's cookie a signed one; `CookieValidate` checks the unsigned one.)\n")
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------
# Part 2: wrk

WRK_RE = re.compile(r"Requests/sec:\s+([0-9.]+)")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def machine_busy_ticks():
    """Busy CPU time of the whole machine (all CPUs), in clock ticks."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    return sum(fields[:3]) + sum(fields[5:8])


def group_ticks(pgids):
    """CPU time (user+system) of the live processes in the given process groups, in clock ticks."""
    return sum(int(st[11]) + int(st[12]) for _pid, st in httpd_instance.proc_stats() if int(st[2]) in pgids)


class CpuAccount:
    """Splits the machine's busy time during wrk runs into ours (httpd + wrk) and everybody else's."""

    def __init__(self, pgids):
        self.pgids = set(pgids)
        self.elapsed = self.ours = self.others = 0.0

    def measure(self, fn):
        import resource
        t0, m0, g0 = time.monotonic(), machine_busy_ticks(), group_ticks(self.pgids)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = fn()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t1, m1, g1 = time.monotonic(), machine_busy_ticks(), group_ticks(self.pgids)
        wrk = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * CLK_TCK
        ours = (g1 - g0) + wrk
        self.elapsed += t1 - t0
        self.ours += ours
        self.others += max(0.0, (m1 - m0) - ours)
        return result

    def shares(self):
        capacity = self.elapsed * CLK_TCK * (os.cpu_count() or 1)
        return (self.ours / capacity, self.others / capacity) if capacity else (0.0, 0.0)


def run_wrk(args, port, cookie):
    cmd = ["wrk", "-t%d" % args.wrk_threads, "-c%d" % args.wrk_connections, "-d%ds" % args.wrk_duration]
    if cookie is not None:
        cmd += ["-H", "Cookie: " + cookie]
    cmd.append("http://127.0.0.1:%d/f.txt" % port)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.wrk_duration + 60)
    if p.returncode != 0:
        raise RuntimeError("wrk failed (%d): %s %s" % (p.returncode, p.stdout, p.stderr))
    if "Non-2xx" in p.stdout:
        raise RuntimeError("wrk saw non-2xx responses:\n" + p.stdout)
    se = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", p.stdout)
    nreq = re.search(r"(\d+) requests in", p.stdout)
    if se:
        errors = sum(int(x) for x in se.groups())
        # a few read errors as wrk closes its connections at the end are benign
        if int(se.group(1)) or errors > max(10, int(nreq.group(1)) // 1000 if nreq else 10):
            raise RuntimeError("wrk reported socket errors:\n" + p.stdout)
    m = WRK_RE.search(p.stdout)
    if not m:
        raise RuntimeError("cannot parse wrk output:\n" + p.stdout)
    return float(m.group(1))


def part_wrk(args, workdir, cols):
    wanted = [c for c in cols if c[0] in ("none", "stock", "ours")]
    servers = {}
    try:
        for key, _label, conf, expects, parts in wanted:
            servers[key] = Server(workdir, "wrk-" + key, "event", conf).start(ready_timeout=30)
        for key, _label, _conf, expects, parts in wanted:
            for _wl, cookie in WORKLOADS[:2]:
                check_headers("wrk-" + key, send_requests(servers[key].port, 1, cookie), cookie, expects, parts)
        wl_list = [WORKLOADS[1], WORKLOADS[0]] if args.wrk_new_visitor else [WORKLOADS[1]]
        rps = {}
        cpu = CpuAccount([srv.proc.pid for srv in servers.values()])
        for wl, cookie in wl_list:
            for key, *_ in wanted:  # warm-up (not recorded)
                args_short = argparse.Namespace(**vars(args))
                args_short.wrk_duration = 1
                run_wrk(args_short, servers[key].port, cookie)
            for r in range(args.wrk_rounds):
                order = [c[0] for c in wanted]
                order = order[r % len(order):] + order[:r % len(order)]
                for key in order:
                    v = cpu.measure(lambda: run_wrk(args, servers[key].port, cookie))
                    rps.setdefault((wl, key), []).append(v)
                    log("wrk %s round %d %s: %.0f req/s" % (wl, r + 1, key, v))
    finally:
        for s in servers.values():
            s.stop(timeout=30)
    for s in servers.values():
        s.check_error_log()
    return wanted, wl_list, rps, cpu.shares()


def render_wrk(args, wanted, wl_list, rps, shares):
    keys = [c[0] for c in wanted]
    labels = {c[0]: c[1] for c in wanted}
    out = ["## 2. Throughput (wrk, event MPM)\n"]
    out.append("`wrk -t%d -c%d -d%ds` on 127.0.0.1 against `%s -DFOREGROUND` (event MPM, 2 children x 32 "
               "threads, keep-alive), one server per column started together; %d rounds, columns "
               "interleaved in rotating order. Median requests/s (min-max):\n"
               % (args.wrk_threads, args.wrk_connections, args.wrk_duration, HTTPD, args.wrk_rounds))
    ratio_cols = [(a, b) for a, b in (("ours", "none"), ("ours", "stock"), ("stock", "none")) if a in keys and b in keys]
    hdr = "| workload | " + " | ".join(labels[k] for k in keys)
    hdr += "".join(" | %s / %s" % (labels[a], labels[b]) for a, b in ratio_cols) + " |"
    out.append(hdr)
    out.append("|" + "---|" * (len(keys) + len(ratio_cols) + 1))
    for wl, _cookie in wl_list:
        med = {k: statistics.median(rps[(wl, k)]) for k in keys}
        cells = ["%s (%s-%s)" % (fmt_int(med[k]), fmt_int(min(rps[(wl, k)])), fmt_int(max(rps[(wl, k)])))
                 for k in keys]
        row = "| %s | %s" % (wl, " | ".join(cells))
        for a, b in ratio_cols:
            row += " | %.1f%%" % (100.0 * med[a] / med[b])
        out.append(row + " |")
    out.append("")
    paired = []
    for wl, _cookie in wl_list:
        cells = []
        for a, b in ratio_cols:
            ratios = [x / y for x, y in zip(rps[(wl, a)], rps[(wl, b)])]
            quartiles = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
            cells.append("%s / %s %.1f%% (middle half %.1f%% to %.1f%%)"
                         % (labels[a], labels[b], 100.0 * statistics.median(ratios),
                            100.0 * quartiles[0], 100.0 * quartiles[2]))
        paired.append("%s: %s" % (wl, ", ".join(cells)))
    out.append("Median of the per-round ratios (each pair measured back to back), with the range of "
               "the middle half of them: " + "; ".join(paired) + ".\n")
    ours, others = shares
    out.append("CPU time during the rounds: httpd + wrk used %.0f%% of the machine (%d CPUs), other "
               "processes %.0f%%%s\n"
               % (100 * ours, os.cpu_count() or 0, 100 * others,
                  ": **the machine was busy with other work, so these throughput numbers are noise-dominated; "
                  "rerun on an idle machine**" if others > 0.05 else ""))
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------
# Part 3: criterion

def part_criterion(args, workdir):
    crit_dir = os.path.join(TARGET_DIR, "criterion")
    with open(os.path.join(REPO, "Cargo.toml")) as f:
        manifest = f.read()
    if "criterion" not in manifest or not re.search(r'\[\[bench\]\]\s*name\s*=\s*"core"', manifest):
        raise RuntimeError("Cargo.toml lacks the criterion dev-dependency or the `[[bench]] name = \"core\"`, "
                           "`harness = false` section: benches/core.rs was not run")
    start = time.time()
    cmd = [os.environ.get("CARGO", "cargo"), "bench", "--locked", "--bench", "core", "--",
           "--warm-up-time", str(args.crit_warmup), "--measurement-time", str(args.crit_time),
           "--noplot"]
    log("running " + " ".join(shlex.quote(c) for c in cmd))
    p = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=1800)
    with open(os.path.join(workdir, "criterion-output.txt"), "w") as f:
        f.write(p.stdout)
    if p.returncode != 0:
        raise RuntimeError("cargo bench failed:\n" + p.stdout[-4000:])
    rows = []
    for root, _dirs, files in os.walk(crit_dir):
        if os.path.basename(root) != "new" or "benchmark.json" not in files or "estimates.json" not in files:
            continue
        if os.path.getmtime(os.path.join(root, "estimates.json")) < start - 1:
            continue  # stale result from an older run
        with open(os.path.join(root, "benchmark.json")) as f:
            bj = json.load(f)
        with open(os.path.join(root, "estimates.json")) as f:
            est = json.load(f)
        med = est["median"]["point_estimate"]
        lo = est["median"]["confidence_interval"]["lower_bound"]
        hi = est["median"]["confidence_interval"]["upper_bound"]
        thr = bj.get("throughput") or {}
        nbytes = thr.get("Bytes") or thr.get("BytesDecimal")
        rows.append((bj.get("full_id") or bj.get("title"), med, lo, hi, nbytes))
    if not rows:
        raise RuntimeError("no criterion results found under " + crit_dir)
    rows.sort(key=lambda r: r[0])
    return rows


def fmt_ns(x):
    return "%.1f ns" % x if x < 1000 else "%.2f µs" % (x / 1000)


def render_criterion(args, rows):
    out = ["## 3. Pure-core microbenchmarks (criterion)\n"]
    out.append("`cargo bench --bench core -- --warm-up-time %s --measurement-time %s`; median time per "
               "call (95%% CI of the median), and bytes scanned per ns where the benchmark declares a "
               "throughput:\n" % (args.crit_warmup, args.crit_time))
    out.append("| benchmark | median | 95% CI | GB/s |")
    out.append("|---|---|---|---|")
    for name, med, lo, hi, nbytes in rows:
        gbs = "%.2f" % (nbytes / med) if nbytes else ""
        out.append("| %s | %s | %s - %s | %s |" % (name, fmt_ns(med), fmt_ns(lo), fmt_ns(hi), gbs))
    out.append("")
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------

def machine_header(argv_cmd):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        httpd_v = subprocess.run([HTTPD, "-v"], capture_output=True, text=True, timeout=30).stdout.splitlines()[0]
        httpd_v = httpd_v.split(":", 1)[1].strip()
    except Exception:
        httpd_v = "unknown"
    try:
        vg = subprocess.run(["valgrind", "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        vg = "unknown"
    try:
        wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=30)
        wrk_v = (wrk_v.stdout + wrk_v.stderr).splitlines()[0].split(" [")[0].strip()
    except Exception:
        wrk_v = "unknown"
    try:
        rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception:
        rustc = "unknown"
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [
        "# mod_usertrack benchmark results\n",
        "Generated by `%s` (from the repository root) on %s; this file is overwritten on each run.\n"
        % (argv_cmd, now),
        "| machine | |",
        "|---|---|",
        "| CPUs (nproc) | %d |" % (os.cpu_count() or 0),
        "| CPU model | %s |" % cpu,
        "| kernel | %s %s |" % (platform.system(), platform.release()),
        "| httpd | %s (`%s`) |" % (httpd_v, HTTPD),
        "| stock module | `%s` |" % STOCK_SO,
        "| our module | `%s` |" % OURS_SO,
        "| valgrind, wrk, rustc | %s; %s; %s |" % (vg, wrk_v, rustc),
        "",
    ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n1", type=int, default=int(os.environ.get("BENCH_N1", 200)))
    ap.add_argument("--n2", type=int, default=int(os.environ.get("BENCH_N2", 2200)))
    ap.add_argument("--layouts", default=os.environ.get("BENCH_LAYOUTS", "0,9,18,27"),
                    help="comma-separated server directory paddings, in bytes, to average the callgrind "
                         "slopes over")
    ap.add_argument("--keepalive", action="store_true",
                    default=os.environ.get("BENCH_KEEPALIVE") == "1",
                    help="callgrind part: all requests on one keep-alive connection instead of one "
                         "connection per request (module cost is the same; the httpd total is lower)")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("BENCH_JOBS", os.cpu_count() or 1)),
                    help="callgrind runs in parallel (instruction counts do not depend on it)")
    # Many short rounds: the machine's speed drifts over seconds, so a pair measured back to back
    # within two seconds shares more of it than one spread over eight.
    ap.add_argument("--wrk-rounds", type=int, default=int(os.environ.get("BENCH_WRK_ROUNDS", 30)))
    ap.add_argument("--wrk-duration", type=int, default=int(os.environ.get("BENCH_WRK_DURATION", 1)))
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--wrk-connections", type=int, default=32)
    ap.add_argument("--wrk-new-visitor", action="store_true",
                    default=os.environ.get("BENCH_WRK_NEW_VISITOR", "1") == "1",
                    help="also measure the new-visitor workload with wrk")
    ap.add_argument("--crit-warmup", default=os.environ.get("BENCH_CRIT_WARMUP", "1"))
    ap.add_argument("--crit-time", default=os.environ.get("BENCH_CRIT_TIME", "2"))
    ap.add_argument("--skip", default=os.environ.get("BENCH_SKIP", ""),
                    help="comma-separated parts to skip: callgrind,wrk,criterion")
    ap.add_argument("--out", default=os.path.join(REPO, "bench/RESULTS.md"))
    ap.add_argument("--command", default=os.environ.get("BENCH_COMMAND", "make bench"),
                    help="command recorded in the results header")
    ap.add_argument("--workdir-keep", default=os.environ.get("BENCH_KEEP_DIR"),
                    help="keep server dirs and callgrind outputs here (default: temporary, removed)")
    args = ap.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    args.layouts = [int(l) for l in args.layouts.split(",") if l.strip()]
    if args.n2 <= args.n1 or args.n1 < 1:
        ap.error("need 1 <= n1 < n2")

    httpd_instance.install_stop_handlers()

    include_ours = os.path.exists(OURS_SO)
    if not include_ours:
        log("%s not found: measuring without our module's columns" % OURS_SO)
    cols = configs(include_ours)

    if args.workdir_keep:
        os.makedirs(args.workdir_keep, exist_ok=True)
        workdir = tempfile.mkdtemp(prefix="run-", dir=args.workdir_keep)
    else:
        workdir = tempfile.mkdtemp(prefix="usertrack-bench-")
    os.chmod(workdir, 0o755)
    t0 = time.monotonic()
    sections = [machine_header(args.command)]
    if not include_ours:
        sections.append("**Our module (`%s`) was not built: its columns are missing.**\n" % OURS_SO)
    failures = []
    try:
        if "callgrind" not in skip:
            log("part 1: callgrind, %d runs" % (len(cols) * len(WORKLOADS) * 2 + 1))
            slopes, errors = part_callgrind(args, workdir, cols)
            sections.append(render_callgrind(args, cols, slopes))
            failures += ["callgrind: " + e for e in errors]
        if "wrk" not in skip:
            log("part 2: wrk")
            try:
                wanted, wl_list, rps, shares = part_wrk(args, workdir, cols)
                sections.append(render_wrk(args, wanted, wl_list, rps, shares))
            except Exception as e:
                failures.append("wrk: %s" % e)
                sections.append("## 2. Throughput (wrk, event MPM)\n\nFailed: %s\n" % str(e).splitlines()[0])
        if "criterion" not in skip:
            log("part 3: criterion")
            try:
                rows = part_criterion(args, workdir)
                sections.append(render_criterion(args, rows))
            except Exception as e:  # the other parts are still worth writing out
                failures.append("criterion: %s" % e)
                sections.append("## 3. Pure-core microbenchmarks (criterion)\n\nFailed: %s\n"
                                % str(e).splitlines()[0])
    finally:
        stop_all()
        if not args.workdir_keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        sections.append("## Failures\n\n" + "\n".join("- " + f.splitlines()[0] for f in failures) + "\n")
    sections.append("Total bench time: %.0f s.\n" % (time.monotonic() - t0))
    report = "\n".join(sections)
    print(report)
    with open(args.out, "w") as f:
        f.write(report)
    log("wrote " + args.out)
    if failures:
        for fl in failures:
            log("FAILED " + fl)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
