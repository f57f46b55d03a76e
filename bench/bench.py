#!/usr/bin/env python3
"""Benchmark driver behind `make bench` (called by scripts/bench.sh). Python 3 standard library only.

Three parts, printed as one Markdown report on stdout and written to bench/RESULTS.md:

1. Instructions per request with callgrind: `apache2 -X` (prefork, one process) under
   `valgrind --tool=callgrind` serves a 6-byte static file; one run sends N1 requests, another N2;
   slope = (Ir(N2) - Ir(N1)) / (N2 - N1), so start-up and shutdown cancel. A module's cost is its
   slope minus the slope of the same server without it. Every run uses the same client, request
   bytes and connection pattern, so only the configuration differs. Tables, in this order:
   - the realistic configuration (the headline): `CookieTracking on`, `CookieExpires "2 weeks"`
     and an access log whose format logs `%{cookie}n`, the log in every column (no module
     included); no module, stock, ours, nginx's userid module, stock and ours with every option;
     a new connection per request, and keep-alive rows; the issue 11 targets with a verdict;
   - the cookieless visitor (issue 14): `CookieTracking off`, `CookielessTracking on`, the default
     shmcb salt cache, a 150-byte User-Agent; its target (1,500 instructions) with a verdict;
   - ours on the realistic configuration plus one line: each CookieIDFormat, CookieRenew and
     each of the module's own options;
   - nginx's userid module (nginx with `master_process off; daemon off;` under callgrind, the
     same client, a `uid` cookie nginx set itself);
   - HTTP/2: the realistic configuration with mod_http2 and `Protocols h2c http/1.1`, h2load on
     one connection, against HTTP/1.1 keep-alive;
   - the minimal configuration (no expiry, no log): the headline before issue 11.
2. Throughput with wrk against the event MPM (no valgrind), realistic configuration: one server
   per configuration, all started up front, wrk rounds interleaved A/B/C with a rotating order;
   medians and ratios.
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

# ---- The realistic configuration (the headline) ----
# What a site runs: a dated cookie and an access log that logs the ID. The log lines are in EVERY
# column of the realistic and HTTP/2 tables, the no-module one included, so a module's cost is
# what the module adds. @LOGFILE@ becomes a file in the server's run directory.
LOG_FORMAT = r'"%h %l %u %t \"%r\" %>s %b %{cookie}n"'
REALISTIC_LOG = [
    "LogFormat %s usertrack_bench" % LOG_FORMAT,
    'CustomLog "@LOGFILE@" usertrack_bench',
]
REALISTIC = ['CookieExpires "2 weeks"']
REALISTIC_EXPECT = ["expires="]
# Every per-request option stock has too (stock's "every option" column), then ours' own.
# (The environment variables USERTRACK_ID / USERTRACK_NEW are always set: no directive.)
STOCK_OPTIONS = [
    "CookieDomain .example.com",
    "CookieSameSite Lax",
    "CookieSecure on",
    "CookieHTTPOnly on",
]
STOCK_OPTIONS_EXPECT = REALISTIC_EXPECT + ["domain=.example.com", "samesite=lax", "secure", "httponly"]
# @KEYFILE@ becomes a key file (mode 0600) in the server's directory; the returning visitor's
# cookie is then signed with SIGN_KEY (cookie_for).
NEW_OPTIONS = [
    "CookieInject on",
    "CookieValidate on",
    "CookieSignKeyFile @KEYFILE@",
]
NEW_OPTIONS_EXPECT = STOCK_OPTIONS_EXPECT + ["~"]

# The realistic configuration plus one line: (key, directive, Set-Cookie parts expected for a new
# visitor). CookieIDFormat apache is the default (the "ours" column).
SINGLE_OPTIONS = [
    ("opt_legacy", "CookieIDFormat legacy", ["=127.0.0.1."]),
    ("opt_uuid", "CookieIDFormat uuid", []),
    ("opt_uuid7", "CookieIDFormat uuid7", []),
    ("opt_renew", "CookieRenew on", []),
    ("opt_inject", "CookieInject on", []),
    ("opt_validate", "CookieValidate on", []),
    ("opt_sign", "CookieSignKeyFile @KEYFILE@", ["~"]),
]

# Issue 11 §4: module cost targets, instructions per request (mean over the layouts), realistic
# configuration: (column, workload index, target). Issue 14: the cookieless visitor's.
TARGETS = [
    ("ours", 1, 1000),
    ("ours", 0, 1800),
    ("ours_every", 1, 1800),
    ("ours_every", 0, 2800),
    ("cookieless", 3, 1500),
]

# ---- The minimal configuration (the headline before issue 11; kept for continuity) ----
# `CookieTracking on` alone (a session cookie) and no access log; "all-opts" is every per-request
# option stock has.
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

# ---- HTTP/2 (h2c with prior knowledge, mod_http2) ----
HTTP2_CONF = [
    "LoadModule http2_module %s" % os.path.join(MODULES_DIR, "mod_http2.so"),
    "Protocols h2c http/1.1",
]

# ---- nginx's userid module ----
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
NGINX_TEMPLATE = os.path.join(REPO, "bench/conf/nginx.conf.in")
NGINX_LOG_VARS = "$uid_got$uid_set"
NGINX_USERID = ["userid on;", "userid_expires 2w;"]

# A fixed key, so that the returning visitor's signed cookie is the same in every run.
SIGN_KEY = bytes(range(32))

COOKIE_NAME = "Apache"
TRACKING_ID = "7f3a91c2.6601c0ffee123"
TRACKING_COOKIE = COOKIE_NAME + "=" + TRACKING_ID
# nginx's tracking cookie value for the returning visitor: asked of nginx once per run
# (nginx_uid()), since nginx checks the value's base64 length.
NGINX_COOKIE_NAME = "uid"
_nginx_uid = {}


def signed_value(cookie_id):
    """`id~tag` as the module signs it: HMAC-SHA256(key, name "=" id), 128 bits, base64url."""
    tag = hmac.new(SIGN_KEY, (COOKIE_NAME + "=" + cookie_id).encode(), hashlib.sha256).digest()[:16]
    return cookie_id + "~" + base64.urlsafe_b64encode(tag).decode().rstrip("=")


def cookie_for(conf, cookie, server="httpd"):
    """The workload's Cookie header for a column: signed where the column signs; for nginx, the
    same header with nginx's `uid` cookie in place of ours."""
    if cookie is None:
        return cookie
    if server == "nginx":
        return cookie.replace(TRACKING_COOKIE, NGINX_COOKIE_NAME + "=" + _nginx_uid["value"])
    if "CookieSignKeyFile" not in conf:
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


# The User-Agent every request sends, but the cookieless visitor's.
BENCH_USER_AGENT = "usertrack-bench/1"
# Issue 14: a browser's User-Agent of 150 bytes, which the cookieless ID hashes.
COOKIELESS_USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86 usertrack-bench/cookieless-1.0")
assert len(COOKIELESS_USER_AGENT) == 150, len(COOKIELESS_USER_AGENT)

# Visitors. cookie=None sends no Cookie header (new visitor).
WORKLOADS = [
    ("new visitor (no Cookie)", None),
    ("returning, %d B Cookie (8 cookies)" % len(_returning_300()), _returning_300()),
    ("returning, %d B Cookie (65 cookies)" % len(_returning_4k()), _returning_4k()),
    ("cookieless visitor, %d B User-Agent (no Cookie)" % len(COOKIELESS_USER_AGENT), None),
]
COOKIELESS_WORKLOAD = 3


def user_agent_for(wi):
    return COOKIELESS_USER_AGENT if wi == COOKIELESS_WORKLOAD else BENCH_USER_AGENT


# How the requests travel: a new connection per request (`Connection: close`), all on one
# keep-alive connection, or HTTP/2 (h2c) on one connection with h2load.
MODES = {
    "close": "",
    "ka": ", keep-alive",
    "h2": ", HTTP/2",
}
# Rows: (workload index, mode).
ROWS_CLOSE = [(0, "close"), (1, "close"), (2, "close")]
ROWS_HEADLINE = ROWS_CLOSE + [(0, "ka"), (1, "ka")]
ROWS_H2 = [(0, "h2"), (1, "h2"), (2, "h2")]
ROWS_COOKIELESS = [(COOKIELESS_WORKLOAD, "close"), (COOKIELESS_WORKLOAD, "ka")]


def row_label(row):
    wi, mode = row
    return WORKLOADS[wi][0] + MODES[mode]


def load_module_conf(so_path, extra, log_lines=()):
    lines = list(log_lines)
    if so_path:
        lines += ["LoadModule usertrack_module %s" % so_path, "CookieTracking on"] + list(extra)
    return "\n".join(lines)


class Column:
    """One server configuration measured over some rows.

    key: unique id; label: column heading; conf: the module section of httpd.conf (or, for
    nginx, the lines added to its server block); base: the key of the column whose slope is
    subtracted for the module cost; expects/parts: the Set-Cookie a new visitor must get;
    logged_id: a regular expression every logged ID must match when the column logs one without
    setting a cookie (the cookieless visitor's), all requests of a run then logging the same ID.
    """

    def __init__(self, key, label, conf, base, rows, expects=True, parts=(), server="httpd", log=True,
                 logged_id=None):
        self.key, self.label, self.conf, self.base, self.rows = key, label, conf, base, list(rows)
        self.expects, self.parts, self.server, self.log = expects, list(parts), server, log
        self.logged_id = logged_id
        self.renews = "CookieRenew on" in conf


# ---- The cookieless visitor (issue 14) ----
# CookieTracking off and CookielessTracking on, the default salt cache (shmcb under
# DefaultRuntimeDir, so mod_socache_shmcb is loaded), the realistic access log.
COOKIELESS = ["CookieTracking off", "CookielessTracking on"]
SHMCB_LOAD = "LoadModule socache_shmcb_module %s" % os.path.join(MODULES_DIR, "mod_socache_shmcb.so")
# `cl-` and 22 base64url characters (src/core/cookieless/visitor_id.rs).
COOKIELESS_ID = re.compile(r"^cl-[A-Za-z0-9_-]{22}$")
# The salt cache's global mutex, taken on every visit to the cache (src/ffi/salt_cache.rs): its
# calls in a run count the visits, which must be a handful (once a minute at most), not one per
# request.
SALT_CACHE_VISIT_FN = "apr_global_mutex_lock"


def cookieless_conf(so_path):
    """The module section of the cookieless column (bench/profile.py uses it too)."""
    return "\n".join(REALISTIC_LOG + [SHMCB_LOAD, "LoadModule usertrack_module %s" % so_path] + COOKIELESS)


def configs(include_ours, include_nginx=True, include_h2=True):
    """Every column of the callgrind part, in the order they are reported."""
    real = lambda so, extra: load_module_conf(so, REALISTIC + list(extra), REALISTIC_LOG)  # noqa: E731
    none_rows = ROWS_HEADLINE + (ROWS_COOKIELESS if include_ours else [])
    cols = [
        Column("none", "no module", load_module_conf(None, [], REALISTIC_LOG), None, none_rows, expects=False),
        Column("stock", "stock", real(STOCK_SO, []), "none", ROWS_HEADLINE, parts=REALISTIC_EXPECT),
    ]
    if include_ours:
        cols.append(Column("ours", "ours", real(OURS_SO, []), "none", ROWS_HEADLINE, parts=REALISTIC_EXPECT))
    cols.append(Column("stock_every", "stock, every option", real(STOCK_SO, STOCK_OPTIONS), "none", ROWS_HEADLINE,
                       parts=STOCK_OPTIONS_EXPECT))
    if include_ours:
        cols.append(Column("ours_every", "ours, every option", real(OURS_SO, STOCK_OPTIONS + NEW_OPTIONS), "none",
                           ROWS_HEADLINE, parts=NEW_OPTIONS_EXPECT))
        # The same without CookieSignKeyFile: under valgrind sha2 takes its software path (no SHA-NI),
        # so this column shows what the rest of the options cost apart from the HMAC.
        unsigned = [o for o in NEW_OPTIONS if not o.startswith("CookieSignKeyFile")]
        cols.append(Column("ours_every_unsigned", "ours, every option but signing",
                           real(OURS_SO, STOCK_OPTIONS + unsigned), "none", ROWS_HEADLINE, parts=STOCK_OPTIONS_EXPECT))
        cols.append(Column("cookieless", "ours, cookieless visitor", cookieless_conf(OURS_SO), "none",
                           ROWS_COOKIELESS, expects=False, logged_id=COOKIELESS_ID))
        for key, directive, expect in SINGLE_OPTIONS:
            cols.append(Column(key, directive.replace("@KEYFILE@", "<key file>"), real(OURS_SO, [directive]), "none",
                               ROWS_CLOSE, parts=REALISTIC_EXPECT + expect))
    if include_nginx:
        cols.append(Column("ng_none", "nginx, no userid", "", None, ROWS_HEADLINE, expects=False, server="nginx"))
        cols.append(Column("ng_userid", "nginx userid", "\n".join(NGINX_USERID), "ng_none", ROWS_HEADLINE,
                           parts=["expires="], server="nginx"))
        cols.append(Column("ng_plain", "nginx, no userid, log without the uid variables", "", None, ROWS_CLOSE[:2],
                           expects=False, server="nginx", log=False))
    if include_h2:
        h2 = lambda so, extra: "\n".join(HTTP2_CONF) + "\n" + real(so, extra)  # noqa: E731
        cols.append(Column("h2_none", "no module, h2", "\n".join(HTTP2_CONF + REALISTIC_LOG), None, ROWS_H2,
                           expects=False))
        cols.append(Column("h2_stock", "stock, h2", h2(STOCK_SO, []), "h2_none", ROWS_H2, parts=REALISTIC_EXPECT))
        if include_ours:
            cols.append(Column("h2_ours", "ours, h2", h2(OURS_SO, []), "h2_none", ROWS_H2, parts=REALISTIC_EXPECT))
    minimal = lambda so, extra: load_module_conf(so, extra)  # noqa: E731
    cols.append(Column("min_none", "no module", "", None, ROWS_CLOSE, expects=False, log=False))
    cols.append(Column("min_stock", "stock", minimal(STOCK_SO, []), "min_none", ROWS_CLOSE, log=False))
    if include_ours:
        cols.append(Column("min_ours", "ours", minimal(OURS_SO, []), "min_none", ROWS_CLOSE, log=False))
    cols.append(Column("min_stock_all", "stock all-opts", minimal(STOCK_SO, ALL_OPTIONS), "min_none", ROWS_CLOSE,
                       parts=ALL_OPTIONS_EXPECT, log=False))
    if include_ours:
        cols.append(Column("min_ours_all", "ours all-opts", minimal(OURS_SO, ALL_OPTIONS), "min_none", ROWS_CLOSE,
                           parts=ALL_OPTIONS_EXPECT, log=False))
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
        self.access_log = os.path.join(self.run_dir, "access.log")
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
        return self._write_filled(text, "httpd.conf", {
            "@SERVER_ROOT@": self.dir, "@PORT@": str(port), "@RUN_DIR@": self.run_dir,
            "@MPM@": self.mpm, "@DOCROOT@": self.docroot, "@MPM_CONF@": mpm_conf,
            "@MODULE_CONF@": self.module_conf.replace("@KEYFILE@", key_file).replace("@LOGFILE@", self.access_log),
        })

    def _write_filled(self, text, name, subst):
        """Writes the template `text` with its @PLACEHOLDERS@ replaced to `name` in the server's
        directory; returns the path."""
        for k, v in subst.items():
            text = text.replace(k, v)
        conf = os.path.join(self.dir, name)
        with open(conf, "w") as f:
            f.write(text)
        return conf

    def _under_callgrind(self, cmd):
        if self.callgrind_out:
            cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + self.callgrind_out] + cmd
        return cmd

    def _argv(self, conf):
        if self.mpm == "prefork":
            return self._under_callgrind([HTTPD, "-X", "-f", conf])
        return self._under_callgrind([HTTPD, "-DFOREGROUND", "-f", conf])

    def _tail(self):
        return self.tail()


class NginxServer(Server):
    """nginx in one process (`master_process off; daemon off;`: the process is the worker), in the
    same directory layout as Server. module_conf: lines for the server block (the userid ones);
    log_vars: whether the log format ends with the uid variables."""

    def __init__(self, workdir, name, module_conf, callgrind_out=None, layout=0, log_vars=True):
        self.log_vars = log_vars
        super().__init__(workdir, name, None, module_conf, callgrind_out=callgrind_out, layout=layout)

    def _write_conf(self, port):
        with open(NGINX_TEMPLATE) as f:
            text = f.read()
        userid = "\n".join("        " + l for l in self.module_conf.splitlines())
        return self._write_filled(text, "nginx.conf", {
            "@RUN_DIR@": self.run_dir, "@PORT@": str(port), "@DOCROOT@": self.docroot, "@USERID@": userid,
            "@LOG_VARS@": NGINX_LOG_VARS if self.log_vars else "",
        })

    def _argv(self, conf):
        # -e: the error log before the config is read (Debian's default is stderr, which is fine too)
        return self._under_callgrind([NGINX, "-p", self.dir + "/", "-c", conf, "-e", self.error_log])


def nginx_uid(workdir):
    """nginx's own Set-Cookie value for a new visitor (uid=...), asked once of an nginx with userid
    on: the returning visitor's `uid` cookie, valid by construction."""
    if "value" not in _nginx_uid:
        srv = NginxServer(workdir, "nginx-uid", "\n".join(NGINX_USERID))
        try:
            srv.start(ready_timeout=30)
            headers = send_requests(srv.port, 1, None, keepalive=False)
        finally:
            srv.stop(timeout=30)
        sc = [v for k, v in headers if k.lower() == "set-cookie" and v.startswith(NGINX_COOKIE_NAME + "=")]
        if len(sc) != 1:
            raise RuntimeError("nginx with userid on sent no uid cookie: %r" % headers)
        _nginx_uid["value"] = sc[0].split(";", 1)[0].split("=", 1)[1]
        log("nginx's uid for the returning visitor: %s" % _nginx_uid["value"])
    return _nginx_uid["value"]


stop_all = httpd_instance.stop_all


# ----------------------------------------------------------------------------------------------
# HTTP client (raw sockets, so every request is byte-for-byte identical across configurations)

def build_request(cookie, keepalive=True, user_agent=BENCH_USER_AGENT):
    lines = ["GET /f.txt HTTP/1.1", "Host: 127.0.0.1", "User-Agent: " + user_agent,
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


def send_requests(port, n, cookie, keepalive=True, user_agent=BENCH_USER_AGENT):
    """Send n identical GETs; returns the headers of the first response."""
    req = build_request(cookie, keepalive, user_agent)
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


def check_headers(label, headers, cookie, expects_cookie, expect_parts, renews=False, cookie_name=COOKIE_NAME):
    sc = [v for k, v in headers if k.lower() in ("set-cookie", "set-cookie2")]
    if cookie is not None and renews:
        if len(sc) != 1 or cookie_name + "=" + TRACKING_ID not in cookie or not sc[0].startswith(cookie_name + "="):
            raise RuntimeError("%s: expected the returning visitor's cookie renewed, got %r" % (label, sc))
    elif cookie is None and expects_cookie:
        if len(sc) != 1 or not sc[0].startswith(cookie_name + "="):
            raise RuntimeError("%s: expected one Set-Cookie for a new visitor, got %r" % (label, sc))
        low = sc[0].lower()
        for part in expect_parts:
            if part not in low:
                raise RuntimeError("%s: Set-Cookie %r lacks %r" % (label, sc[0], part))
    elif sc:
        raise RuntimeError("%s: unexpected Set-Cookie %r" % (label, sc))


# ----------------------------------------------------------------------------------------------
# Part 1: callgrind

def h2_requests(port, n, cookie):
    """HTTP/2 (h2c, prior knowledge): one curl request for the response headers, then h2load with
    n requests on one connection, one stream at a time. Returns the curl response's headers."""
    url = "http://127.0.0.1:%d/f.txt" % port
    cmd = ["curl", "-s", "-D", "-", "-o", "/dev/null", "--http2-prior-knowledge", url]
    if cookie is not None:
        cmd[1:1] = ["-H", "Cookie: " + cookie]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    lines = p.stdout.splitlines()
    if p.returncode != 0 or not lines or not lines[0].startswith("HTTP/2 200"):
        raise RuntimeError("curl --http2-prior-knowledge: %d %r %s" % (p.returncode, p.stdout[:300], p.stderr[:300]))
    headers = [(k.strip(), v.strip()) for k, _, v in (l.partition(":") for l in lines[1:] if l)]
    cmd = ["h2load", "-n", str(n), "-c", "1", "-m", "1", url]
    if cookie is not None:
        cmd[1:1] = ["-H", "cookie: " + cookie]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if p.returncode != 0 or ("%d succeeded" % n) not in p.stdout or ("status codes: %d 2xx" % n) not in p.stdout:
        raise RuntimeError("h2load: %d\n%s%s" % (p.returncode, p.stdout[-1500:], p.stderr[-500:]))
    return headers


def check_access_log(name, srv, col, mode, n):
    """The access log has a line per request, with the ID where a module tracks (the note for
    httpd, `$uid_got$uid_set` for nginx) and `-` where none does."""
    if not col.log:
        return
    with open(srv.access_log, errors="replace") as f:
        lines = f.read().splitlines()
    if len(lines) < n:
        raise RuntimeError("%s: %d access log lines for %d requests" % (name, len(lines), n))
    last = lines[-1]
    field = last.rsplit(" ", 1)[-1]
    if col.logged_id:
        ids = {line.rsplit(" ", 1)[-1] for line in lines}
        if len(ids) != 1 or not col.logged_id.match(field):
            raise RuntimeError("%s: expected one ID matching %s on all %d lines, got %r" % (
                name, col.logged_id.pattern, len(lines), sorted(ids)[:5]))
        return
    if col.expects and field in ("-", "--"):
        raise RuntimeError("%s: the access log has no ID: %r" % (name, last))
    if not col.expects and field not in ("-", "--"):
        raise RuntimeError("%s: the access log has an ID without a module: %r" % (name, last))
    if mode == "h2" and "HTTP/2.0" not in last:
        raise RuntimeError("%s: not HTTP/2: %r" % (name, last))


def callgrind_run(workdir, col, row, n, layout, tag=""):
    wi, mode = row
    name = "cg-%s%s-w%d%s-n%d-l%d" % (col.key, tag, wi, mode, n, layout)
    out = os.path.join(workdir, name + ".callgrind.out")  # written after the request loop: any length
    if col.server == "nginx":
        srv = NginxServer(workdir, name, col.conf, callgrind_out=out, layout=layout, log_vars=col.log)
    else:
        srv = Server(workdir, name, "prefork", col.conf, callgrind_out=out, layout=layout)
    cookie = cookie_for(col.conf, WORKLOADS[wi][1], col.server)
    cookie_name = NGINX_COOKIE_NAME if col.server == "nginx" else COOKIE_NAME
    started = time.monotonic()
    try:
        srv.start(ready_timeout=120)
        if mode == "h2":
            headers = h2_requests(srv.port, n, cookie)
        else:
            headers = send_requests(srv.port, n, cookie, keepalive=(mode == "ka"), user_agent=user_agent_for(wi))
        check_headers(name, headers, cookie, col.expects, col.parts, renews=col.renews, cookie_name=cookie_name)
    except Exception as e:
        srv.stop(timeout=120)
        raise RuntimeError("%s: %s\n--- server output and error log:\n%s" % (name, e, srv._tail())) from e
    finally:
        srv.stop(timeout=120)
    srv.check_error_log()
    check_access_log(name, srv, col, mode, n)
    if col.logged_id:
        check_salt_in_memory(name, out, n, time.monotonic() - started)
    return callgrind_total(out)


# The cookieless runs: (salt cache visits, requests), per run.
salt_visits = {}


def check_salt_in_memory(name, callgrind_out, n, seconds):
    """The steady state hashes with the salt the process holds: the salt cache is visited once for
    the first request and then at most once a minute (the salt keeper's look), never per request;
    and, shmcb only, once as each configuration is torn down (src/ffi/restart_carry.rs: httpd reads
    its configuration twice at start-up, and stops)."""
    visits = callgrind_calls(callgrind_out, SALT_CACHE_VISIT_FN)
    salt_visits[name] = (visits, n)
    allowed = 3 + int(seconds // 60) + 1
    if not 1 <= visits <= allowed:
        raise RuntimeError("%s: the salt cache was visited %d times (%s calls) in %d requests over %.0f s: "
                           "expected 1 to %d" % (name, visits, SALT_CACHE_VISIT_FN, n, seconds, allowed))


def callgrind_calls(path, fn_name):
    """How many times `fn_name` was called in a run, from all callers (callgrind's `cfn=` and
    `calls=` lines; names are compressed: `(id) name` the first time, `(id)` after)."""
    names, total, counting = {}, 0, False
    pattern = re.compile(r"^(c?fn)=\((\d+)\)(?: (.*))?$")
    with open(path, errors="replace") as f:
        for line in f:
            m = pattern.match(line.rstrip("\n"))
            if m:
                if m.group(3):
                    names[m.group(2)] = m.group(3)
                counting = m.group(1) == "cfn" and names.get(m.group(2)) == fn_name
            elif counting and line.startswith("calls="):
                total += int(line[len("calls="):].split()[0])
                counting = False
    return total


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


def part_callgrind(args, workdir, cols):
    """Slopes per (column, row), each the mean over the layouts.

    Where httpd's strings fall relative to 8- and 32-byte boundaries changes what its SIMD string
    functions cost, and a module's allocations move them: one layout alone moved a module cost by
    up to 60 instructions either way. Each configuration is therefore measured in several
    layouts (server directory names of different lengths) and the slopes are averaged; the spread
    of the module cost across layouts is reported too.
    """
    errors = []
    if any(c.server == "nginx" for c in cols):
        try:
            nginx_uid(workdir)
        except Exception as e:
            errors.append("nginx: %s" % e)
            cols[:] = [c for c in cols if c.server != "nginx"]
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for layout in args.layouts:
            for col in cols:
                for row in col.rows:
                    for n in (args.n1, args.n2):
                        jobs[(col.key, row, n, layout)] = pool.submit(callgrind_run, workdir, col, row, n, layout)
        # One run repeated under the same conditions, to show the run-to-run noise.
        repeated = (1, "close") if (1, "close") in cols[0].rows else cols[0].rows[0]
        jobs["repeat"] = pool.submit(callgrind_run, workdir, cols[0], repeated, args.n2, args.layouts[0],
                                     "-repeat")
        results = {}
        for k, f in jobs.items():
            try:
                results[k] = f.result()
            except Exception as e:  # one broken column must not hide the others
                errors.append(str(e))
    slopes = {}
    first = (cols[0].key, repeated, args.n2, args.layouts[0])
    if "repeat" in results and first in results:
        slopes["repeat"] = abs(results["repeat"] - results[first]) / (args.n2 - args.n1)
    for col in cols:
        for row in col.rows:
            per_layout = []
            for layout in args.layouts:
                a, b = results.get((col.key, row, args.n1, layout)), results.get((col.key, row, args.n2, layout))
                per_layout.append(None if a is None or b is None else (b - a) / (args.n2 - args.n1))
            slopes[(col.key, row, "layouts")] = per_layout
            slopes[(col.key, row)] = None if None in per_layout else sum(per_layout) / len(per_layout)
    return slopes, errors


def fmt_int(x):
    return "FAILED" if x is None else "{:,.0f}".format(x)


class Costs:
    """Module costs from the slopes: a column's slope minus its base column's, per layout."""

    def __init__(self, cols, slopes):
        self.cols = {c.key: c for c in cols}
        self.slopes = slopes

    def has(self, key, row=None):
        return key in self.cols and (row is None or row in self.cols[key].rows)

    def slope(self, key, row):
        return self.slopes.get((key, row)) if self.has(key, row) else None

    def cost(self, key, row, base=None):
        """Mean module cost of `key` against `base` (default: its own base column)."""
        base = base or self.cols[key].base
        a, b = self.slope(key, row), self.slope(base, row)
        return None if a is None or b is None else a - b

    def cost_range(self, key, row, base=None):
        """(lowest, highest) per-layout module cost, each against the base in the same layout."""
        base = base or self.cols[key].base
        a, b = self.slopes.get((key, row, "layouts")), self.slopes.get((base, row, "layouts"))
        if not a or not b or None in a or None in b:
            return None
        costs = [x - y for x, y in zip(a, b)]
        return min(costs), max(costs)

    def ratio(self, a, b, row):
        """Module cost of a / module cost of b, formatted."""
        ca, cb = self.cost(a, row), self.cost(b, row)
        return "%.2f" % (ca / cb) if ca is not None and cb and cb > 0 else "n/a"

    def cell(self, key, row, base=None, spread=True):
        if not self.has(key, row):
            return ""
        c = self.cost(key, row, base)
        r = self.cost_range(key, row, base) if spread else None
        if c is None:
            return "FAILED"
        return fmt_int(c) + (" (%s to %s)" % (fmt_int(r[0]), fmt_int(r[1])) if r and len(set(r)) > 1 else "")


def target_verdict(costs, key, row, target):
    mean, spread = costs.cost(key, row), costs.cost_range(key, row)
    if mean is None or spread is None:
        return "not measured"
    lo, hi = spread
    if hi <= target:
        return "**met** on every layout (highest %s, %s under)" % (fmt_int(hi), fmt_int(target - hi))
    if mean <= target:
        return "**missed** on some layouts: mean %s meets it, the highest layout %s is %s over" % (
            fmt_int(mean), fmt_int(hi), fmt_int(hi - target))
    return "**missed** by %s on the mean (%s over on the highest layout, %s on the lowest)" % (
        fmt_int(mean - target), fmt_int(hi - target), fmt_int(lo - target))


def table(header, rows):
    """A Markdown table; nothing when there are no rows (a column left out by BENCH_ONLY)."""
    if not rows:
        return []
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    out.append("")
    return out


def render_cookieless(args, costs):
    if not costs.has("cookieless"):
        return []
    out = ["### The cookieless visitor (issue 14)\n"]
    out.append("`%s` in the realistic configuration's place (the same access log, which logs the cookieless "
               "ID as `%%{cookie}n`; checked: one ID of the documented shape on every line, never a Set-Cookie), "
               "the default salt cache (`%s`), and a request with a %d-byte User-Agent and no Cookie, against "
               "the same server and request without the module:\n"
               % ("; ".join(COOKIELESS), SHMCB_LOAD.replace(MODULES_DIR + "/", ""), len(COOKIELESS_USER_AGENT)))
    out += table(["workload", "module cost", "whole server, no module", "whole server, cookieless"],
                 [[row_label(row), costs.cell("cookieless", row), fmt_int(costs.slope("none", row)),
                   fmt_int(costs.slope("cookieless", row))] for row in ROWS_COOKIELESS])
    if salt_visits:
        visits = [v for v, _n in salt_visits.values()]
        out.append("The salt is in the process's memory in the steady state: in each run the salt cache was visited "
                   "(`%s` calls) %d to %d times, for %d to %d requests: once for the day's salt, then at most once "
                   "a minute, and once at each of the two tear-downs of the configuration (httpd reads it twice "
                   "at start-up; the salt is carried over a restart). The ID is SipHash-2-4 (128-bit output) over the site, "
                   "the address and the User-Agent, plain integer arithmetic (valgrind counts what the CPU runs); "
                   "the criterion row `cookieless/*` gives its time on the real CPU.\n"
                   % (SALT_CACHE_VISIT_FN, min(visits), max(visits), min(n for _v, n in salt_visits.values()),
                      max(n for _v, n in salt_visits.values())))
    return out


def render_callgrind(args, cols, slopes):
    costs = Costs(cols, slopes)
    labels = {c.key: c.label for c in cols}
    n = args.n2 - args.n1
    out = ["## 1. Instructions per request (callgrind)\n"]
    out.append("`valgrind --tool=callgrind %s -X` (prefork, one process), 6-byte static file; slope = "
               "(Ir(%d requests) - Ir(%d requests)) / %d, so start-up and shutdown cancel. Module cost = "
               "slope - the same server's slope without the module (nginx: without `userid`). Each request "
               "is a new connection (`Connection: close`, the client waits for the server's close) unless "
               "the row says keep-alive (all requests on one connection) or HTTP/2.\n"
               % (HTTPD, args.n2, args.n1, n))
    out.append("Each slope is the mean over %d layouts (server directory names padded by %s bytes, which "
               "moves httpd's strings relative to 8- and 32-byte boundaries); in brackets, the lowest and "
               "highest per-layout module cost.\n"
               % (len(args.layouts), ", ".join(str(l) for l in args.layouts)))
    if "repeat" in slopes:
        out.append("Run-to-run noise: repeating one %d-request run changed its total by %.0f instructions per "
                   "request of the slope.\n" % (args.n2, slopes["repeat"]))
    if any(v is None for k, v in slopes.items() if k != "repeat" and len(k) == 2):
        out.append("(FAILED = the server crashed or answered wrongly; see Failures below.)\n")

    # ---- headline
    out.append("### The realistic configuration (headline)\n")
    out.append("Every httpd column has `LogFormat %s usertrack_bench` and `CustomLog <file> usertrack_bench` "
               "(the no-module column too, which logs `-`); stock and ours add `CookieTracking on` and `%s`. "
               "Every option = that and `%s` (the returning visitor's cookie is then signed with the key; the "
               "environment variables are always set). nginx: `%s` in the server block, an access log of the "
               "same fields ending with `%s`, against the same nginx without the userid lines (see the nginx "
               "section).\n"
               % (LOG_FORMAT, "; ".join(REALISTIC), "; ".join(STOCK_OPTIONS + NEW_OPTIONS).replace(
                   "@KEYFILE@", "<key file>"), " ".join(NGINX_USERID), NGINX_LOG_VARS))
    head_keys = [k for k in ("stock", "ours", "ng_userid", "stock_every", "ours_every", "ours_every_unsigned")
                 if costs.has(k)]
    if head_keys:
        out.append("Module cost, instructions per request (mean over the layouts; lowest to highest layout):\n")
    hdr = ["workload"] + [labels[k] for k in head_keys]
    ratios = [(a, b) for a, b in (("ours", "stock"), ("ours", "ng_userid"), ("ours_every", "stock_every"))
              if a in head_keys and b in head_keys]
    hdr += ["%s / %s" % (labels[a], labels[b]) for a, b in ratios]
    rows = [[row_label(row)] + [costs.cell(k, row) for k in head_keys] + [costs.ratio(a, b, row) for a, b in ratios]
            for row in ROWS_HEADLINE if any(costs.has(k, row) for k in head_keys)]
    for row in ROWS_H2:
        if any(costs.has(k, row) for k in ("h2_stock", "h2_ours")):
            r = [row_label(row) + " (h2c, one connection)"]
            r += [costs.cell({"stock": "h2_stock", "ours": "h2_ours"}.get(k, ""), row) if k in ("stock", "ours")
                  else "" for k in head_keys]
            both = costs.has("h2_ours", row) and costs.has("h2_stock", row)
            r += [costs.ratio("h2_ours", "h2_stock", row) if (a, b) == ("ours", "stock") and both else ""
                  for a, b in ratios]
            rows.append(r)
    out += table(hdr, rows)

    # ---- targets
    if any(costs.has(k) for k, _w, _t in TARGETS):
        out.append("Targets (issue 11 §4, and issue 14 for the cookieless visitor: module cost per request over "
                   "the same server without the module, mean over the layouts; a target is met when every layout "
                   "meets it):\n")
        trows = []
        for key, wi, target in TARGETS:
            row = (wi, "close")
            if not costs.has(key, row):
                continue
            trows.append([labels[key], row_label(row), "≤ " + fmt_int(target), costs.cell(key, row),
                          target_verdict(costs, key, row, target)])
        for wi, target in ((1, 1800), (0, 2800)):
            row = (wi, "close")
            if costs.has("ours_every_unsigned", row):
                trows.append([labels["ours_every_unsigned"] + " (for reference: not a target)", row_label(row),
                              "(≤ %s)" % fmt_int(target), costs.cell("ours_every_unsigned", row),
                              "(" + target_verdict(costs, "ours_every_unsigned", row, target) + ")"])
        out += table(["column", "workload", "target", "module cost", "verdict"], trows)
        if costs.has("ours_every"):
            out.append("Under valgrind the CPU's SHA extensions are hidden, so `CookieSignKeyFile`'s HMAC-SHA256 "
                       "runs sha2's software compression here (the difference between the last two columns above); "
                       "on a CPU with SHA-NI it is much cheaper: see the criterion rows `signing/*` (time per call "
                       "on the real CPU).\n")

    out += render_cookieless(args, costs)

    whole = [k for k in ("none", "stock", "ours", "stock_every", "ours_every", "ours_every_unsigned", "ng_none",
                         "ng_userid")
             if costs.has(k)]
    whole_rows = [row for row in ROWS_HEADLINE if any(costs.has(k, row) for k in whole)]
    if whole_rows:
        out.append("Whole server, instructions per request (the slopes behind the table above):\n")
    out += table(["workload"] + [labels[k] for k in whole],
                 [[row_label(row)] + [fmt_int(costs.slope(k, row)) for k in whole] for row in whole_rows])

    # ---- one option on top of the realistic config
    single = [k for k, _d, _e in SINGLE_OPTIONS if costs.has(k)]
    if single and costs.has("ours"):
        out.append("### ID formats, `CookieRenew` and each of the module's own options (realistic configuration "
                   "plus one line)\n")
        out.append("Module cost of ours with that one line, instructions per request, and in brackets what the line "
                   "adds to ours (`CookieIDFormat apache` is the default, the \"ours\" column):\n")
        srows = []
        for row in ROWS_CLOSE:
            r = [row_label(row), costs.cell("ours", row, spread=False)]
            for k in single:
                c, d = costs.cost(k, row), costs.cost(k, row, base="ours")
                r.append("FAILED" if c is None or d is None else "%s (%+.0f)" % (fmt_int(c), d))
            srows.append(r)
        out += table(["workload", "ours (apache)"] + ["`%s`" % labels[k] for k in single], srows)
        out.append("(`CookieRenew` turns every returning request into a Set-Cookie; `CookieSignKeyFile` makes the "
                   "returning visitor's cookie a signed one, and under valgrind sha2 takes its software path: "
                   "see the criterion `signing/*` rows for the real CPU; `CookieValidate` checks the unsigned one.)\n")

    # ---- nginx
    if costs.has("ng_userid"):
        out.append("### nginx's userid module\n")
        out.append("`valgrind --tool=callgrind %s` with `master_process off; daemon off;` (one process, which is "
                   "the worker), the same file, client and requests as httpd; the returning visitor's header is "
                   "the same with our cookie replaced by `%s=%s` (a value nginx itself set for a new visitor, "
                   "asked once per run). Module cost = slope with `%s` minus the slope without those lines. Both "
                   "log `%s` at the end of the line (without userid they log `--`): as in the httpd columns, the "
                   "log format is the same in both, so the cost is what the module adds. The third column logs "
                   "the same fields without the variables: what the two variables cost the log alone without "
                   "userid.\n"
                   % (NGINX, NGINX_COOKIE_NAME, _nginx_uid.get("value", "?"), " ".join(NGINX_USERID),
                      NGINX_LOG_VARS))
        nk = [k for k in ("ng_plain", "ng_none", "ng_userid") if costs.has(k)]
        nrows = []
        for row in ROWS_HEADLINE:
            r = [row_label(row)] + [fmt_int(costs.slope(k, row)) if costs.has(k, row) else "" for k in nk]
            r += [costs.cell("ng_userid", row), costs.cell("ours", row) if costs.has("ours", row) else ""]
            nrows.append(r)
        out += table(["workload"] + ["%s (whole nginx)" % labels[k] for k in nk] +
                     ["nginx userid module cost", "ours module cost (httpd)"], nrows)

    # ---- HTTP/2
    if costs.has("h2_none"):
        out.append("### HTTP/2\n")
        out.append("The realistic configuration with `%s`: `h2load -n N -c 1 -m 1` (all requests on one h2c "
                   "connection, one stream at a time; one `curl --http2-prior-knowledge` request before it checks "
                   "the response headers and cancels in the slope), under the same `%s -X` (prefork): mod_http2 "
                   "logs AH10034 (prefork is \"not supported\", HTTP/2 \"inactive\") but serves h2c there, one "
                   "stream at a time, which is what a callgrind slope needs; the access log shows `HTTP/2.0` on "
                   "every request (checked). Against HTTP/1.1 keep-alive (one connection too):\n"
                   % ("; ".join(HTTP2_CONF), HTTPD))
        hrows = []
        for wi in range(len(WORKLOADS)):
            h1, h2 = (wi, "ka"), (wi, "h2")
            for mod in ("stock", "ours"):
                hk = "h2_" + mod
                if not costs.has(hk, h2):
                    continue
                c1 = costs.cost(mod, h1) if costs.has(mod, h1) else None
                c2 = costs.cost(hk, h2)
                hrows.append([WORKLOADS[wi][0], mod, fmt_int(c1) if costs.has(mod, h1) else "",
                              costs.cell(hk, h2), "" if c1 is None or c2 is None else "%+.0f" % (c2 - c1),
                              fmt_int(costs.slope("h2_none", h2))])
        out += table(["workload", "module", "module cost, HTTP/1.1 keep-alive", "module cost, HTTP/2",
                      "HTTP/2 - HTTP/1.1", "whole httpd, no module, HTTP/2"], hrows)
        widths = {}
        for mode, keys in (("h2", ("h2_stock", "h2_ours")), ("ka", ("stock", "ours"))):
            for key in keys:
                for wi in range(len(WORKLOADS)):
                    spread = costs.cost_range(key, (wi, mode)) if costs.has(key, (wi, mode)) else None
                    if spread:
                        widths.setdefault(mode, []).append(spread[1] - spread[0])
        if widths.get("h2") and widths.get("ka"):
            out.append("The HTTP/2 rows are noisier: between its lowest and highest layout a module cost over HTTP/2 "
                       "differed by %s to %s instructions per request, against %s to %s over HTTP/1.1 keep-alive "
                       "(mod_http2's work per "
                       "request depends on timing, e.g. how often its connection loop polls the client), so "
                       "differences smaller than that are not resolved there.\n"
                       % (fmt_int(min(widths["h2"])), fmt_int(max(widths["h2"])), fmt_int(min(widths["ka"])),
                          fmt_int(max(widths["ka"]))))

    # ---- minimal (continuity)
    mk = [k for k in ("min_none", "min_stock", "min_ours", "min_stock_all", "min_ours_all") if costs.has(k)]
    if mk:
        out.append("### The minimal configuration (the headline before issue 11, for continuity)\n")
        out.append("`CookieTracking on` alone (a session cookie) and no access log, in any column. All-opts = `%s`.\n"
                   % "; ".join(ALL_OPTIONS))
        out.append("Instructions per request (whole httpd):\n")
        out += table(["workload"] + [labels[k] for k in mk],
                     [[row_label(r)] + [fmt_int(costs.slope(k, r)) for k in mk] for r in ROWS_CLOSE])
        mods = [k for k in mk if k != "min_none"]
        pairs = [(a, b) for a, b in (("min_ours", "min_stock"), ("min_ours_all", "min_stock_all")) if a in mods and b in mods]
        out.append("Module cost, instructions per request (lowest to highest layout), and ours / stock:\n")
        mrows = [[row_label(r)] + [costs.cell(k, r) for k in mods] + [costs.ratio(a, b, r) for a, b in pairs]
                 for r in ROWS_CLOSE]
        out += table(["workload"] + [labels[k] for k in mods] + ["%s / %s" % (labels[a], labels[b]) for a, b in pairs],
                     mrows)
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


def truncate_logs(servers):
    """Empty the access logs between rounds (httpd appends with O_APPEND): 30 rounds of wrk would
    otherwise write about a gigabyte of log lines."""
    for srv in servers.values():
        try:
            os.truncate(srv.access_log, 0)
        except OSError:
            pass


def part_wrk(args, workdir, cols):
    """The realistic configuration's no-module, stock and ours columns (access log included)."""
    wanted = [(c.key, c.label, c.conf, c.expects, c.parts) for c in cols if c.key in ("none", "stock", "ours")]
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
                truncate_logs(servers)
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
               "threads, keep-alive) in the realistic configuration (access log included, emptied between "
               "rounds), one server per column started together; %d rounds, columns "
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

def nginx_version():
    try:
        p = subprocess.run([NGINX, "-v"], capture_output=True, text=True, timeout=30)
        return "%s (`%s`)" % ((p.stderr or p.stdout).strip().split(":", 1)[-1].strip(), NGINX)
    except Exception:
        return "not installed"


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
    try:
        git = lambda *a: subprocess.run(["git", "-C", REPO] + list(a), capture_output=True, text=True,  # noqa: E731
                                        timeout=30).stdout.strip()
        source = "HEAD %s; the module's source last changed in %s%s" % (
            git("rev-parse", "--short", "HEAD"),
            git("log", "-1", "--format=%h", "--", "src", "build.rs", "Cargo.toml", "Cargo.lock"),
            ", **with uncommitted changes in src/**" if git("status", "--porcelain", "--", "src") else "")
    except Exception:
        source = "unknown (not a git checkout)"
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
        "| module source | %s |" % source,
        "| nginx | %s |" % nginx_version(),
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
    ap.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""),
                    help="callgrind part: comma-separated column keys to measure (default all; the base "
                         "columns they need are added), e.g. none,ours,ours_every")
    ap.add_argument("--no-nginx", action="store_true", default=os.environ.get("BENCH_NGINX") == "0",
                    help="leave out the nginx userid columns (BENCH_NGINX=0)")
    ap.add_argument("--no-h2", action="store_true", default=os.environ.get("BENCH_H2") == "0",
                    help="leave out the HTTP/2 columns (BENCH_H2=0)")
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
    include_nginx = not args.no_nginx and shutil.which(NGINX) is not None
    include_h2 = not args.no_h2 and shutil.which("h2load") is not None and shutil.which("curl") is not None
    cols = configs(include_ours, include_nginx, include_h2)
    if args.only:
        only = {k.strip() for k in args.only.split(",") if k.strip()}
        bases = {c.base for c in cols if c.key in only and c.base} - only
        for base in cols:
            if base.key in bases:  # only the rows the asked-for columns are measured on
                wanted = {row for c in cols if c.key in only and c.base == base.key for row in c.rows}
                base.rows = [row for row in base.rows if row in wanted]
        cols = [c for c in cols if c.key in only | bases]

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
    if not include_nginx:
        sections.append("**nginx (`%s`) was not measured%s.**\n"
                        % (NGINX, " (--no-nginx)" if args.no_nginx else ": not installed (make deps-bench)"))
    if not include_h2:
        sections.append("**HTTP/2 was not measured%s.**\n"
                        % (" (--no-h2)" if args.no_h2 else ": h2load or curl missing (make deps-bench)"))
    failures = []
    try:
        if "callgrind" not in skip:
            log("part 1: callgrind, %d runs" % (sum(len(c.rows) for c in cols) * 2 * len(args.layouts) + 1))
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
