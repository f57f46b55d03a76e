#!/usr/bin/env python3
"""`make memcheck`: `httpd -X` under valgrind memcheck (or AddressSanitizer) through the whole request mix.

    python3 bench/memcheck.py [--asan] [--so PATH] [--quick]

One httpd -X (prefork, a single process) with bench/memcheck/httpd.conf.in: a name-based virtual
host for every directive combination the suites use (t/conf/extra.conf.in) and for the module's
own options (CookieIDFormat, Inject, Renew, Path, Validate, SignKeyFile, SignAcceptUnsigned), plus
.htaccess files, internal redirects (ErrorDocument, per-directory RewriteRule), subrequests
(DirectoryIndex, SSI include) and refused requests (403, 401), and cookieless.test
(CookieTracking off, CookielessTracking on with the default shmcb salt cache, mod_remoteip, the
consent recipe), and clickpath.test / clickpath-secret.test (ClickPath sessions in the URL, the
secret variant; bench/memcheck_clickpath.py: its pages, CGIs and checks). Every host gets a new visitor, a returning one (with the value the server just
set), the hostile set (see hostile(): hostile User-Agents and X-Forwarded-For values too) and
every path in PATHS; the ClickPath hosts then get ClickPath's own mix, whose answers are checked
(links rewritten with the right session, or untouched) so the filter is known to have run. Each
request is a new connection.

valgrind (default): the module built with symbols (`cargo build --profile profiling`, default
$CARGO_TARGET_DIR/profiling/libmod_usertrack.so), `--leak-check=full --keep-debuginfo=yes --xml=yes`.
Pass: no memcheck error with one of the module's frames in its stack, and no definitely lost block
allocated with one of the module's frames in its stack. bench/memcheck/httpd.supp suppresses
noise whose stacks have no frame of the module (each entry says what it is).

--asan: the module built with `RUSTFLAGS=-Zsanitizer=address cargo +nightly build --target
x86_64-unknown-linux-gnu` and httpd run with the ASan runtime in LD_PRELOAD (httpd itself is not
instrumented). Pass: no AddressSanitizer report; leak detection is left to valgrind (LeakSanitizer
would report all of httpd's memory, which it never frees at exit, as leaked).

Prints a summary and exits non-zero if a check fails.
"""

import argparse
import base64
import collections
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpd_instance  # noqa: E402
import memcheck_clickpath  # noqa: E402
from httpd_instance import HTTPD, MODULES_DIR  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET_DIR = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
TEMPLATE = os.path.join(REPO, "bench/memcheck/httpd.conf.in")
SUPP = os.path.join(REPO, "bench/memcheck/httpd.supp")
FIELD_LIMIT = 8190  # httpd's default LimitRequestFieldSize

# (Host, cookie name) for every virtual host of the config.
HOSTS = [
    ("127.0.0.1", "Apache"), ("editedcookie.test", "Apache"), ("unsetcookie.test", "Apache"),
    ("addedcookie.test", "Apache"), ("swappedcookie.test", "Apache"), ("name.test", "thename"),
    ("netscape.test", "Apache"), ("rfc2109.test", "Apache"), ("rfc2109b.test", "Apache"),
    ("cookie2.test", "Apache"), ("rfc2965.test", "Apache"), ("quirks.test", "Apache"),
    ("offhost.test", "Apache"), ("errdoc.test", "Apache"), ("merge.test", "Apache"),
    ("inherit.test", "inherited"), ("signed.test", "Apache"), ("rotated.test", "Apache"),
    ("legacy.test", "session"), ("renew.test", "Apache"), ("apacheinject.test", "Apache"),
    ("consent.test", "Apache"), ("cookieless.test", "Apache"),
] + memcheck_clickpath.HOSTS

# Paths every host is asked for: plain, subrequests, internal and external redirects, refusals,
# .htaccess sections, tracking off, another module's Set-Cookie, per-section merging.
PATHS = [
    "/f.txt", "/dir/", "/ssi/page.shtml", "/rw/alias.html", "/rw/old.html", "/nothere.html",
    "/denied/x.html", "/authdata/x.html", "/auth/x.html", "/off/x.html", "/other/x.html", "/ht/x.html",
    "/bad/x.html", "/merge/named/x.html", "/merge/secure/x.html", "/merge/files.html",
    "/merge/locexp/x.html", "/f.txt?x=1", "/shop/x.html", "/server-info",
]

FILES = {
    "f.txt": "hello\n",
    "dir/index.html": "<p>index</p>\n",
    "ssi/page.shtml": '<p><!--#include virtual="/f.txt" --> <!--#include virtual="/dir/" -->'
                      ' <!--#echo var="HTTP_COOKIE" --> <!--#echo var="USERTRACK_ID" --></p>\n',
    "rw/new.html": "new\n",
    "err/404.html": "<p>not here</p>\n",
    "denied/x.html": "no\n",
    "authdata/x.html": "no\n",
    "auth/x.html": "secret\n",
    "off/x.html": "off\n",
    "other/x.html": "other\n",
    "ht/x.html": "ht\n",
    "ht/.htaccess": "CookieName htname\nCookieExpires 60\nCookieIDFormat uuid\nCookieRenew on\n"
                    "CookieValidate on\nCookieInject on\nCookieSameSite Strict\n",
    "bad/x.html": "bad\n",
    "bad/.htaccess": "CookieExpires \"3 fortnights\"\n",
    "merge/named/x.html": "m\n",
    "merge/secure/x.html": "m\n",
    "merge/files.html": "m\n",
    "merge/locexp/x.html": "m\n",
    "shop/x.html": "shop\n",
    **memcheck_clickpath.FILES,
}


def log(msg):
    print("[memcheck] " + msg, file=sys.stderr, flush=True)


def make_tree(d):
    for rel, text in FILES.items():
        path = os.path.join(d, "htdocs", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    # Basic auth: user "u", password "p" ({SHA} form, which mod_authn_file accepts)
    with open(os.path.join(d, "htpasswd"), "w") as f:
        f.write("u:{SHA}%s\n" % base64.b64encode(hashlib.sha1(b"p").digest()).decode())
    for name, keys in (("usertrack.keys", 1), ("usertrack-rotated.keys", 2)):
        fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # root only
        with os.fdopen(fd, "w") as f:
            f.write("# made by memcheck.py\n")
            for _ in range(keys):
                f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    bad_keys = {  # name: (contents, mode), each one a startup error
        "short.keys": (base64.b64encode(os.urandom(16)).decode() + "\n", 0o600),
        "notbase64.keys": ("this is not base64!\n", 0o600),
        "comments.keys": ("# only a comment\n\n", 0o600),
        "nine.keys": ("".join(base64.b64encode(os.urandom(32)).decode() + "\n" for _ in range(9)), 0o600),
        "everyone.keys": (base64.b64encode(os.urandom(32)).decode() + "\n", 0o644),
    }
    for name, (text, mode) in bad_keys.items():
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
    os.makedirs(os.path.join(d, "run"))
    for root, dirs, files in os.walk(d):  # children may run as another user; keys stay 0600
        for x in dirs:
            os.chmod(os.path.join(root, x), 0o755)
        for x in files:
            if not x.endswith(".keys"):
                os.chmod(os.path.join(root, x), 0o644)
    for rel in memcheck_clickpath.EXECUTABLE:
        os.chmod(os.path.join(d, "htdocs", rel), 0o755)
    os.chmod(os.path.join(d, "everyone.keys"), 0o644)
    os.chmod(d, 0o755)


def request(host, path="/f.txt", headers=(), method=b"GET", version=b"HTTP/1.1", body=None, target=None):
    lines = [b"%s %s %s" % (method, target or path.encode(), version), b"Host: " + host.encode(),
             b"Connection: close"]
    lines += list(headers)
    if body is not None:
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def cookie(v):
    return b"Cookie: " + v


def hostile(host, name, port):
    """(label, raw request) pairs: the hostile set of issue 10, part 2, with this host's cookie name."""
    n = name.encode()
    ctl = bytes(range(1, 9)) + b"\x0b\x0c" + bytes(range(14, 32)) + b"\x7f"
    high = bytes(range(0x80, 0x100))
    at = FIELD_LIMIT - len(b"Cookie: ")
    out = [
        ("at LimitRequestFieldSize", [cookie(n + b"=" + b"a" * (at - len(n) - 1))]),
        ("1 under LimitRequestFieldSize", [cookie(n + b"=" + b"a" * (at - len(n) - 2))]),
        ("1 over LimitRequestFieldSize", [cookie(n + b"=" + b"a" * (at - len(n)))]),
        ("2 over LimitRequestFieldSize", [cookie(b"x=1; " + n + b"=" + b"a" * (at - len(n) - 4))]),
        ("1,000 cookies, ours last", [cookie(b"; ".join(b"c=%d" % (i % 10) for i in range(1000)) + b"; " + n + b"=last.1")]),
        ("1,000 cookies, ours absent", [cookie(b";".join(b"k%d=" % i for i in range(1000)))]),
        ("name repeated 500 times", [cookie(b"; ".join(n + b"=%d" % i for i in range(500)))]),
        ("name repeated without values", [cookie((n + b";") * 600)]),
        ("only separators", [cookie(b";;; ; ;=;==; ,,, ;\t;")]),
        ("bytes 0x80-0xff", [cookie(n + b"=" + high + b"; x=" + high)]),
        ("bytes 0x80-0xff in the name", [cookie(high[:40] + n + b"=" + high[40:])]),
        ("control characters", [cookie(n + b"=" + ctl + b"; o=" + ctl)]),
        ("control characters before the name", [cookie(ctl + n + b"=ctl.1")]),
        ("quotes and backslashes", [cookie(n + b'="\\"\\\\"; q="a\\\\b\\"c"; \\' + n + b'=\\\\"')]),
        ("quoted value", [cookie(n + b'="quoted.1"')]),
        ("7 KB value", [cookie(b"a=b; " + n + b"=" + b"7" * 7168)]),
        ("7 KB ID-like value", [cookie(n + b"=" + b"d2e9002.660d2e900a927" * 341)]),
        ("empty Cookie header", [b"Cookie: "]),
        ("empty value", [cookie(n + b"=")]),
        ("name only", [cookie(n)]),
        ("50 Cookie header lines", [cookie(b"c%d=%d" % (i, i)) for i in range(49)] + [cookie(n + b"=fifty.1")]),
        ("50 Cookie header lines, ours in each", [cookie(n + b"=line%d" % i) for i in range(50)]),
        ("Cookie2 header", [b"Cookie2: $Version=\"1\"", cookie(b"$Version=1; " + n + b"=\"c2.1\"; $Path=/")]),
        ("Cookie2 only", [b"Cookie2: $Version=\"1\"; " + n + b"=c2only"]),
        ("folded Cookie header", [cookie(b"a=1;\r\n " + n + b"=folded.1;\r\n\tb=2")]),
        ("folded before the value", [cookie(b"\r\n " + n + b"=folded.2")]),
        ("forged signature", [cookie(n + b"=d2e9002.660d2e900a927~AAAAAAAAAAAAAAAAAAAAAA")]),
        ("empty signature", [cookie(n + b"=019ad5e1-2b3c-7d4e-8f5a-6b7c8d9e0f1a~")]),
        ("signature only", [cookie(n + b"=~" + b"A" * 22)]),
        ("many tildes", [cookie(n + b"=" + b"~" * 200)]),
        ("legacy, huge time", [cookie(n + b"=127.0.0.1." + b"9" * 60)]),
        ("uuid-like with bad digits", [cookie(n + b"=zzzzzzzz-zzzz-7zzz-zzzz-zzzzzzzzzzzz")]),
        ("65 bytes: over the longest ID", [cookie(n + b"=" + b"1" * 65)]),
        ("'=' everywhere", [cookie(b"=; =" + n + b"; " + n + b"==; " + n + b"=;" + n + b"=a=b=c")]),
        ("near-miss names", [cookie(n.lower() + b"=l; " + n.upper() + b"=u; " + n + b" =s; x" + n + b"=x")]),
    ]
    reqs = [(label, request(host, headers=h)) for label, h in out]
    reqs += [
        ("HTTP/0.9", b"GET /f.txt\r\n"),
        ("HTTP/1.0, no Host", b"GET /f.txt HTTP/1.0\r\nCookie: " + n + b"=http10.1\r\n\r\n"),
        ("absolute-form", request(host, target=b"http://%s:%d/f.txt" % (host.encode(), port),
                                  headers=[cookie(n + b"=abs.1")])),
        ("absolute-form, other host", request(host, target=b"http://signed.test/f.txt", headers=[cookie(n + b"=abs.2")])),
        ("HEAD", request(host, method=b"HEAD")),
        ("OPTIONS *", request(host, method=b"OPTIONS", target=b"*")),
        ("POST with body", request(host, method=b"POST", body=b"x=1", headers=[cookie(n + b"=post.1")])),
        ("Basic auth, good", request(host, "/auth/x.html", headers=[b"Authorization: Basic dTpw", cookie(n + b"=auth.1")])),
        ("Basic auth, bad", request(host, "/auth/x.html", headers=[b"Authorization: Basic dTpx"])),
        ("consent", request(host, headers=[cookie(b"consent=yes")])),
        ("consent, DNT", request(host, headers=[cookie(b"consent=yes"), b"DNT: 1"])),
        ("request line over the limit", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("X-Drop header", request(host, headers=[b"X-Drop: 1", cookie(b"x=1")])),
    ]
    # What the cookieless ID hashes (issue 14): User-Agents and client addresses (mod_remoteip).
    ua_at = FIELD_LIMIT - len(b"User-Agent: ")
    reqs += [(label, request(host, headers=h)) for label, h in [
        ("a browser's User-Agent", [b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"]),
        ("3,000-byte User-Agent", [b"User-Agent: " + b"U" * 3000]),
        ("User-Agent at LimitRequestFieldSize", [b"User-Agent: " + b"u" * ua_at]),
        ("User-Agent over LimitRequestFieldSize", [b"User-Agent: " + b"u" * (ua_at + 1)]),
        ("control characters in the User-Agent", [b"User-Agent: " + ctl]),
        ("bytes 0x80-0xff in the User-Agent", [b"User-Agent: " + high]),
        ("empty User-Agent", [b"User-Agent: "]),
        ("50 User-Agent lines", [b"User-Agent: ua%d" % i for i in range(50)]),
        ("X-Forwarded-For", [b"X-Forwarded-For: 192.0.2.7", b"User-Agent: xff"]),
        ("X-Forwarded-For, IPv6", [b"X-Forwarded-For: 2001:db8::7"]),
        ("X-Forwarded-For, not an address", [b"X-Forwarded-For: not-an-address"]),
        ("X-Forwarded-For, 1,000 addresses", [b"X-Forwarded-For: " + b", ".join(b"192.0.2.%d" % (i % 250 + 1)
                                                                                  for i in range(1000))]),
        ("X-Forwarded-For, control characters", [b"X-Forwarded-For: 192.0.2.7" + ctl]),
    ]]
    return reqs


# `apache2 -t` on the config with one bad directive added (in a <Location>): each must be refused.
# The directive handlers' error paths, as the suites' config-error tests take them.
CONFIG_ERRORS = [
    'CookieExpires "3 fortnights"', 'CookieExpires "2 weeks x"', 'CookieExpires "3"x', 'CookieExpires "100 years"',
    "CookieExpires x",
    "CookieStyle Cookie3", "CookieSameSite Sometimes", "CookieDomain example.com", "CookieDomain .com",
    'CookieDomain ".ex ample.com"', 'CookieName "we;ird"', "CookieName", "CookieTracking maybe",
    "CookieIDFormat uuid8", "CookiePath shop", 'CookiePath "/a;b"', "CookieInject sometimes",
    "CookieSignKeyFile @DIR@/missing.keys", "CookieSignKeyFile @DIR@/short.keys",
    "CookieSignKeyFile @DIR@/notbase64.keys", "CookieSignKeyFile @DIR@/comments.keys",
    "CookieSignKeyFile @DIR@/nine.keys", "CookieSignKeyFile @DIR@/everyone.keys",
    "CookieSignAcceptUnsigned 2",
]


def config_error_runs(d, so, wrap):
    """Run `apache2 -t` on each bad config through wrap(argv, label). Returns the labels httpd accepted."""
    accepted = []
    for i, directive in enumerate(CONFIG_ERRORS):
        conf = os.path.join(d, "bad-%02d.conf" % i)
        with open(os.path.join(d, "httpd.conf")) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text + "\n<Location /bad-conf>\n    %s\n</Location>\n" % directive.replace("@DIR@", d))
        argv, env = wrap([HTTPD, "-t", "-f", conf], "bad-%02d" % i)
        p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300)
        if p.returncode == 0:
            accepted.append(directive)
    return accepted


def exchange(port, raw, timeout):
    """Send one request on a new connection and read until the server closes. Returns the bytes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(raw)
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        chunks = []
        for _ in range(100000):
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)


def status_of(resp):
    m = re.match(rb"HTTP/\d\.\d (\d{3})", resp)
    return int(m.group(1)) if m else (0 if not resp else 9)  # 9: an HTTP/0.9 body


def set_cookie_value(resp, name):
    m = re.search(rb"(?im)^Set-Cookie2?: " + re.escape(name.encode()) + rb"=([^;\r\n]*)", resp)
    return m.group(1) if m else None


def drive(port, timeout, quick):
    """Send the whole mix. Returns (requests sent, Counter of statuses, ClickPath checks made, the failed ones)."""
    statuses = collections.Counter()
    sent = 0

    def go(raw):
        nonlocal sent
        resp = exchange(port, raw, timeout)
        sent += 1
        statuses[status_of(resp)] += 1
        return resp

    hosts = HOSTS[:4] + [h for h in HOSTS if h[0] in ("signed.test", "legacy.test", "rotated.test",
                                                      "cookieless.test", "clickpath.test")] if quick else HOSTS
    for host, name in hosts:
        first = go(request(host))
        value = set_cookie_value(first, name)
        for _ in range(2):  # a returning visitor with the value just set, among other cookies
            go(request(host, headers=[cookie(b"_ga=GA1.2.3; " + name.encode() + b"=" + (value or b"none.1")
                                             + b"; lang=en")]))
        for path in (PATHS[:8] if quick else PATHS):
            go(request(host, path))
            if value:
                go(request(host, path, headers=[cookie(name.encode() + b"=" + value)]))
        for _label, raw in (hostile(host, name, port)[::3] if quick else hostile(host, name, port)):
            go(raw)
    clickpath_checks, clickpath_failed = memcheck_clickpath.drive(go, request)
    return sent, statuses, clickpath_checks, clickpath_failed


# ---------------------------------------------------------------------------------------------
# valgrind's XML

def module_frame(frame, so_base):
    obj = frame.findtext("obj") or ""
    fn = frame.findtext("fn") or ""
    return os.path.basename(obj) == so_base or "mod_usertrack" in fn


def parse_xml(path, so_base):
    """Errors in module frames, definite leaks from module frames, a Counter of the other errors by
    kind, possible leaks from module frames, still-reachable blocks from module frames."""
    tree = ET.parse(path)
    mod_errors, mod_leaks, other, mod_possible, mod_reachable = [], [], collections.Counter(), [], []
    for err in tree.getroot().iter("error"):
        kind = err.findtext("kind")
        frames = err.findall("./stack/frame")
        in_module = any(module_frame(f, so_base) for f in frames)
        text = (err.findtext("./xwhat/text") or err.findtext("what") or kind)
        stack = ["%s (%s:%s) [%s]" % (f.findtext("fn") or "???", f.findtext("file") or "", f.findtext("line") or "",
                                      os.path.basename(f.findtext("obj") or "")) for f in frames]
        item = (kind, text, stack)
        if kind in ("Leak_StillReachable", "Leak_IndirectlyLost"):
            if in_module:
                mod_reachable.append(item)
        elif not in_module:
            other.update([kind])
        elif kind == "Leak_DefinitelyLost":
            mod_leaks.append(item)
        elif kind == "Leak_PossiblyLost":
            mod_possible.append(item)
        elif not kind.startswith("Leak_"):
            mod_errors.append(item)
    return mod_errors, mod_leaks, other, mod_possible, mod_reachable


def write_conf(d, port, so):
    with open(TEMPLATE) as f:
        text = f.read()
    for k, v in {"@DIR@": d, "@PORT@": str(port), "@MODULES_DIR@": MODULES_DIR, "@MODULE_SO@": so,
                 "@USER_CONF@": "User nobody\nGroup nogroup" if os.getuid() == 0 else ""}.items():
        text = text.replace(k, v)
    conf = os.path.join(d, "httpd.conf")
    with open(conf, "w") as f:
        f.write(text)
    return conf


def asan_runtime():
    """The shared ASan runtime matching the nightly's instrumentation: gcc's libasan, else clang's."""
    for cand in ("/usr/lib/x86_64-linux-gnu/libasan.so.8",):
        if os.path.exists(cand):
            return cand
    out = subprocess.run(["bash", "-c", "ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.asan-x86_64.so"],
                         capture_output=True, text=True).stdout.split()
    return out[0] if out else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--asan", action="store_true", help="AddressSanitizer instead of valgrind")
    ap.add_argument("--so", help="module to load")
    ap.add_argument("--quick", action="store_true", default=os.environ.get("MEMCHECK_QUICK") == "1",
                    help="a reduced mix (a few hosts, a third of the hostile set) for development")
    ap.add_argument("--keep", default=os.environ.get("MEMCHECK_KEEP_DIR"), help="keep the run directory here")
    ap.add_argument("--command", default=os.environ.get("MEMCHECK_COMMAND", "make memcheck"))
    args = ap.parse_args()
    if args.asan:
        so = args.so or os.path.join(TARGET_DIR, "x86_64-unknown-linux-gnu/debug/libmod_usertrack.so")
    else:
        so = args.so or os.path.join(TARGET_DIR, "profiling/libmod_usertrack.so")
    so = os.path.abspath(so)
    if not os.path.exists(so):
        sys.exit("memcheck.py: %s not found" % so)
    httpd_instance.install_stop_handlers()
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    d = tempfile.mkdtemp(prefix="usertrack-memcheck-", dir=args.keep or None)
    make_tree(d)
    asan_dir = os.path.join(d, "asan")  # reports are written by the child as User nobody
    os.makedirs(asan_dir)
    os.chmod(asan_dir, 0o1777)
    env = None
    if args.asan:
        rt = asan_runtime()
        if not rt:
            sys.exit("memcheck.py: no shared ASan runtime (apt-get install libasan8)")
        env = dict(os.environ, LD_PRELOAD=rt, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0:halt_on_error=0:log_path="
                   + os.path.join(asan_dir, "asan"))

    def wrap(cmd, label):
        """The command under the chosen tool (valgrind writes <label>.xml), and its environment."""
        if args.asan:
            return cmd, env
        return ["valgrind", "--tool=memcheck", "--leak-check=full", "--show-leak-kinds=all",
                "--errors-for-leak-kinds=definite", "--keep-debuginfo=yes", "--num-callers=50",
                "--track-origins=yes", "--suppressions=" + SUPP, "--xml=yes",
                "--xml-file=" + os.path.join(d, label + ".xml")] + cmd, None

    srv = httpd_instance.Httpd("memcheck", lambda port: write_conf(d, port, so),
                               lambda conf: wrap([HTTPD, "-X", "-f", conf], "memcheck")[0],
                               os.path.join(d, "run/error.log"), os.path.join(d, "stderr.log"), env=env)
    t0 = time.monotonic()
    try:
        log("httpd -X under %s, module %s" % ("ASan" if args.asan else "valgrind memcheck", so))
        srv.start(ready_timeout=180)
        if args.asan:  # the runtime must really be in the process, or "no report" means nothing
            with open("/proc/%d/maps" % srv.proc.pid) as f:
                maps = f.read()
            asan_loaded = "libasan" in maps or "libclang_rt.asan" in maps
        sent, statuses, clickpath_checks, clickpath_failed = drive(srv.port, 120, args.quick)
        alive = srv.proc.poll() is None
    finally:
        srv.stop(timeout=180)  # valgrind writes the leak check as httpd exits
    crashes = srv.crash_lines()
    log("apache2 -t on %d configs with a bad directive" % len(CONFIG_ERRORS))
    accepted = config_error_runs(d, so, wrap)
    lines = ["", "%s: `%s`%s, module %s, %.0f s" % ("AddressSanitizer" if args.asan else "valgrind memcheck",
                                                   args.command, " (reduced mix)" if args.quick else "", so,
                                                   time.monotonic() - t0),
             "", "| requests sent | responses by status | server alive at the end | crash/panic lines "
                 "| `apache2 -t` with a bad directive: refused |",
             "|---|---|---|---|---|",
             "| %d | %s | %s | %d | %d of %d |" % (
                 sent, ", ".join("%s: %d" % ({0: "none", 9: "HTTP/0.9"}.get(k, k), v) for k, v in sorted(statuses.items())),
                 "yes" if alive else "NO", len(crashes), len(CONFIG_ERRORS) - len(accepted), len(CONFIG_ERRORS)), ""]
    lines.append("ClickPath: %d of %d checks of the answers passed (links rewritten with the right session, "
                 "or untouched)" % (clickpath_checks - len(clickpath_failed), clickpath_checks))
    lines += ["ClickPath check FAILED: " + what for what in clickpath_failed[:20]]
    ok = alive and not crashes and not accepted and not clickpath_failed
    for a in accepted:
        lines.append("accepted by apache2 -t, should be refused: " + a)
    if args.asan:
        reports = []
        for f in sorted(os.listdir(asan_dir)):
            with open(os.path.join(asan_dir, f), errors="replace") as fh:
                reports.append(fh.read())
        lines.append("AddressSanitizer runtime in httpd: %s (%s); reports: %d"
                     % ("yes" if asan_loaded else "NO", env["LD_PRELOAD"], len(reports)))
        for r in reports[:3]:
            lines.append(r[:4000])
        ok = ok and asan_loaded and not reports
    else:
        xmls = ["memcheck"] + ["bad-%02d" % i for i in range(len(CONFIG_ERRORS))]
        mod_errors, mod_leaks, other, mod_possible, mod_reachable = [], [], collections.Counter(), [], []
        for label in xmls:
            path = os.path.join(d, label + ".xml")
            if not os.path.exists(path):
                lines.append("no valgrind XML output at %s" % path)
                ok = False
                continue
            e, lk, o, ps, r = parse_xml(path, os.path.basename(so))
            mod_errors += e
            mod_leaks += lk
            other.update(o)
            mod_possible += ps
            mod_reachable += r
        # Still-reachable blocks from the module (its per-thread CSPRNG) show that valgrind
        # attributes frames to the module: a run that finds none cannot be trusted.
        lines.append("valgrind, %d runs (the server and each `apache2 -t`):\n" % len(xmls))
        lines.append("| errors in module frames | definitely lost from module frames | possibly lost from module frames "
                     "| still reachable from module frames | outside the module (not suppressed) |")
        lines.append("|---|---|---|---|---|")
        lines.append("| %d | %d | %d | %d | %s |" % (len(mod_errors), len(mod_leaks), len(mod_possible), len(mod_reachable),
                                                  ", ".join("%s %d" % kv for kv in sorted(other.items())) or "none"))
        if not mod_reachable:
            lines.append("no block from the module's frames at all: are its symbols loaded? (%s)" % so)
            ok = False
        for kind, text, stack in (mod_errors + mod_leaks + mod_possible)[:10]:
            lines.append("\n%s: %s\n    %s" % (kind, text, "\n    ".join(stack[:25])))
        ok = ok and not mod_errors and not mod_leaks
    for c in crashes[:5]:
        lines.append("crash: " + c)
    lines.append("\nmemcheck: %s" % ("passed" if ok else "FAILED"))
    print("\n".join(lines), flush=True)
    if not args.keep and ok:
        shutil.rmtree(d, ignore_errors=True)
    elif not ok:
        log("kept %s (config, logs, %s)" % (d, "asan/asan.*" if args.asan else "*.xml"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
