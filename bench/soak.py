#!/usr/bin/env python3
"""`make soak`: the module under sustained load, with graceful restarts, under each MPM in turn.

    python3 bench/soak.py            # SOAK_SECONDS (default 300) split between the three MPMs

For each of prefork, worker and event: an httpd on a free 127.0.0.1 port (bench/soak/httpd.conf.in:
CookieTracking on, CookieExpires "2 weeks", /signed with a signing key made at run time,
CookieValidate, CookieIDFormat uuid7 and CookieInject, /legacy with CookieIDFormat legacy),
returning visitors' IDs minted by that server first, then wrk with bench/soak/mix.lua (new,
returning, malformed and cookieless visitors, 4:4:2:2) for the MPM's share of the time, with
`apache2 -k graceful` at every interval boundary (SOAK_GRACEFUL_EVERY seconds, default 20; at least
two per MPM). /cookieless has CookieTracking off and CookielessTracking on (issue 14; the default
shmcb salt cache): 8 visitors, one address, a User-Agent each. The name-based virtual host
clickpath.soak has ClickPath (issue 12: ClickPathSessionPrefix -S:, a max age, a crawler by
User-Agent): of every 16 requests, 2 start a new session, 1 continues one of 32 sessions that
server minted before the run (/-S:<ID>/cp/page.html) and 1 is a crawler.

Targets, each checked per MPM and printed:
  - wrk: no socket error, no timeout, no status error; the access log: every status 2xx;
  - no ID minted twice, across all three MPMs' logs (every minted ID is logged: USERTRACK_NEW=1);
  - every returning visitor logged with the ID it sent and USERTRACK_NEW=0; every new one minted;
  - every cookieless request logged with a cookieless ID (`cl-` and 22 base64url characters), no
    USERTRACK_NEW and no Set-Cookie; each cookieless visitor (address + User-Agent) keeps one ID
    for the whole phase, across children, threads and graceful restarts; different User-Agents,
    different IDs (a phase that crossed UTC midnight would show a visitor's two days' IDs: not
    expected of a run at any other time);
  - no crash or panic in the error log (exit signal, panic, Segmentation fault, AH00052);
  - ClickPath: every new session logged with an ID of the right shape and a valid CRC-8, none
    minted twice across all three MPMs' logs; every continuing session logged with the ID it came with; every crawler logged
    with the exception's name; every page's links (checked by mix.lua's response()) carry one
    session of the right shape, the crawler's none;
  - every graceful restart done (the MPM's "graceful restart" line in the error log);
  - child RSS growth under 10%: the median VmRSS of the children just before the first graceful
    restart against the same just before the end, so both samples are of children the same time
    after their (re)start.

Environment: SOAK_SECONDS, SOAK_GRACEFUL_EVERY, SOAK_THREADS (wrk, 2), SOAK_CONNECTIONS (16),
SOAK_MPMS (default prefork,worker,event), SOAK_KEEP_DIR (keep logs there), MODULE_SO, HTTPD.
Exit status 0 only if every target is met.
"""

import atexit
import base64
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httpd_instance  # noqa: E402
from httpd_instance import HTTPD, MODULES_DIR  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET_DIR = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
MODULE_SO = os.path.abspath(os.environ.get("MODULE_SO", os.path.join(TARGET_DIR, "release/libmod_usertrack.so")))
TEMPLATE = os.path.join(REPO, "bench/soak/httpd.conf.in")
LUA = os.path.join(REPO, "bench/soak/mix.lua")
LOCATIONS = ("/f.txt", "/signed/f.txt", "/legacy/f.txt")
COOKIELESS_PATH = "/cookieless/f.txt"
COOKIELESS_ID = re.compile(r"^cl-[A-Za-z0-9_-]{22}$")
RETURNING_PER_LOCATION = 32
CLICKPATH_HOST = "clickpath.soak"
CLICKPATH_SESSIONS = 32
# Six root-relative links (CP_LINKS in mix.lua); the crawler's copy is marked so response() knows it.
CLICKPATH_PAGE = ("<html><head><title>SOAK-CP-%s</title></head><body>\n<a href=\"/cp/a.html\">a</a> "
                  "<a href=\"/cp/b.html\">b</a>\n<a href=\"/x/c.html\">c</a> <a href=\"/\">home</a>\n"
                  "<a href=\"/cp/d.html?q=1\">d</a> <a href=\"/cp/e/\">e</a> <a href=\"http://other.example/\">o</a>\n"
                  "</body></html>\n")
SESSION_IN_LINK = re.compile(r'href="/-S:([^/"]+)/')
RSS_LIMIT = 0.10

MPM_CONF = {
    "prefork": "StartServers 4\nMinSpareServers 2\nMaxSpareServers 8\nServerLimit 64\nMaxRequestWorkers 64",
    # ServerLimit leaves room for the old generation's children to finish during a graceful restart.
    "worker": "StartServers 2\nServerLimit 8\nThreadsPerChild 16\nThreadLimit 16\nMaxRequestWorkers 64\n"
              "MinSpareThreads 8\nMaxSpareThreads 48",
    "event": "StartServers 2\nServerLimit 8\nThreadsPerChild 16\nThreadLimit 16\nMaxRequestWorkers 64\n"
             "MinSpareThreads 8\nMaxSpareThreads 48",
}


def log(msg):
    print("[soak] " + msg, file=sys.stderr, flush=True)


_wrk_procs = []


def _kill_wrk():
    for p in _wrk_procs:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


class SoakServer(httpd_instance.Httpd):
    def __init__(self, workdir, mpm):
        self.dir = os.path.join(workdir, mpm)
        for d in ("run", "htdocs", "htdocs/signed", "htdocs/legacy", "htdocs/cookieless", "htdocs/cp"):
            os.makedirs(os.path.join(self.dir, d))
        # children run as another user when started as root without User: make the tree readable
        for root, dirs, _files in os.walk(self.dir):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        os.chmod(self.dir, 0o755)
        for loc in LOCATIONS + (COOKIELESS_PATH,):
            path = os.path.join(self.dir, "htdocs", loc.lstrip("/"))
            with open(path, "w") as f:
                f.write("hello\n")
            os.chmod(path, 0o644)
        for name, marker in (("page.html", "PAGE"), ("crawler.html", "CRAWLER")):
            path = os.path.join(self.dir, "htdocs/cp", name)
            with open(path, "w") as f:
                f.write(CLICKPATH_PAGE % marker)
            os.chmod(path, 0o644)
        key = os.path.join(self.dir, "usertrack.keys")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # readable by root only
        with os.fdopen(fd, "w") as f:
            f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
        self.mpm = mpm
        self.access_log = os.path.join(self.dir, "run/access.log")
        super().__init__("soak-" + mpm, self._write_conf,
                         lambda conf: [HTTPD, "-DFOREGROUND", "-f", conf],
                         os.path.join(self.dir, "run/error.log"), os.path.join(self.dir, "stderr.log"))

    def _write_conf(self, port):
        with open(TEMPLATE) as f:
            text = f.read()
        for k, v in {"@DIR@": self.dir, "@PORT@": str(port), "@MPM@": self.mpm, "@MPM_CONF@": MPM_CONF[self.mpm],
                     "@MODULES_DIR@": MODULES_DIR, "@MODULE_SO@": MODULE_SO,
                     # as root, children run as nobody (without User, as uid -1 with an alert per child)
                     "@USER_CONF@": "User nobody\nGroup nogroup" if os.getuid() == 0 else ""}.items():
            text = text.replace(k, v)
        conf = os.path.join(self.dir, "httpd.conf")
        with open(conf, "w") as f:
            f.write(text)
        return conf


def vm_rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def sample_rss(srv, seconds, samples=4):
    """Median child VmRSS (kB) over a few samples spread across `seconds`, and the parent's."""
    kids, parent = [], []
    for n in range(samples):
        kids += [r for r in (vm_rss_kb(p) for p in srv.children()) if r]
        r = vm_rss_kb(srv.proc.pid)
        if r:
            parent.append(r)
        if n < samples - 1:
            time.sleep(seconds / samples)
    return (statistics.median(kids) if kids else None, statistics.median(parent) if parent else None)


def harvest(port):
    """IDs this server mints: the returning visitors' cookies, per location."""
    out = []
    for loc in LOCATIONS:
        for _ in range(RETURNING_PER_LOCATION):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                c.request("GET", loc, headers={"X-Soak-Kind": "harvest"})
                r = c.getresponse()
                r.read()
                sc = r.getheader("Set-Cookie") or ""
            finally:
                c.close()
            m = re.match(r"Apache=([^;]+);", sc)
            if r.status != 200 or not m:
                raise RuntimeError("harvest: %s gave %d, Set-Cookie %r" % (loc, r.status, sc))
            out.append((loc, m.group(1), m.group(1).split("~")[0]))
    return out


def harvest_sessions(port):
    """ClickPath sessions this server mints, taken from a new session's links."""
    out = []
    for _ in range(CLICKPATH_SESSIONS):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            c.request("GET", "/cp/page.html", headers={"Host": CLICKPATH_HOST, "X-Soak-Kind": "harvest"})
            r = c.getresponse()
            ids = set(SESSION_IN_LINK.findall(r.read().decode("latin-1")))
        finally:
            c.close()
        if r.status != 200 or len(ids) != 1:
            raise RuntimeError("harvest: %s/cp/page.html gave %d, sessions in its links %r" % (CLICKPATH_HOST, r.status, ids))
        out.append(ids.pop())
    return out


def valid_session(session):
    """Spec §3: rotated back, MACHINE ':' BODY; BODY 15 bytes whose first is the CRC-8 of the rest."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@-,"
    if not re.fullmatch(r"[A-Za-z0-9@,-]{6}:[A-Za-z0-9@,-]{20}M", session):
        return False
    plain = "".join(alphabet[(alphabet.index(ch) - 13) % 65] if ch in alphabet else ch for ch in session[:-1])
    body = base64.b64decode(plain.split(":", 1)[1].replace("@", "+").replace("-", "/") + "==")
    crc = 0
    for byte in body[1:]:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return len(body) == 15 and crc == body[0]


WRK_DONE = re.compile(r"SOAK-WRK requests=(\d+) connect=(\d+) read=(\d+) write=(\d+) status=(\d+) timeout=(\d+)")


WRK_CLICKPATH = re.compile(r"SOAK-CP pages=(\d+) crawler=(\d+) bad=(\d+) example=(.*)")


def run_phase(workdir, mpm, seconds, graceful_every, threads, connections, minted):
    """One MPM: start, harvest, wrk under graceful restarts, stop, check the logs. Returns a row."""
    n_int = max(3, int(round(seconds / graceful_every)))
    interval = seconds / n_int
    row = {"mpm": mpm, "failures": []}
    srv = SoakServer(workdir, mpm)
    srv.start(ready_timeout=60)
    try:
        ids = harvest(srv.port)
        ids_file = os.path.join(srv.dir, "returning.tsv")
        with open(ids_file, "w") as f:
            f.writelines("%s\t%s\t%s\n" % x for x in ids)
        sessions_file = os.path.join(srv.dir, "sessions.txt")
        with open(sessions_file, "w") as f:
            f.writelines(s + "\n" for s in harvest_sessions(srv.port))
        log("%s: port %d, %d intervals of %.1f s, graceful restart between each" % (mpm, srv.port, n_int, interval))
        cmd = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % int(n_int * interval + 1), "--timeout", "10s",
               "-s", LUA, "http://127.0.0.1:%d/" % srv.port, "--", ids_file, sessions_file]
        t0 = time.monotonic()
        wrk = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        _wrk_procs.append(wrk)
        gracefuls = 0
        for k in range(1, n_int + 1):
            boundary = t0 + k * interval
            if k in (1, n_int):  # the RSS samples: children the same time after their (re)start
                time.sleep(max(0.0, boundary - 2.5 - time.monotonic()))
                kid, parent = sample_rss(srv, 2.0)
                row["rss_start" if k == 1 else "rss_end"] = kid
                row["parent_start" if k == 1 else "parent_end"] = parent
            time.sleep(max(0.0, boundary - time.monotonic()))
            if wrk.poll() is not None:
                raise RuntimeError("wrk ended early:\n" + wrk.stdout.read())
            if k < n_int:
                srv.graceful()
                gracefuls += 1
                log("%s: graceful restart %d at %.0f s" % (mpm, gracefuls, time.monotonic() - t0))
        out, _ = wrk.communicate(timeout=interval + 120)
    finally:
        srv.stop(timeout=30)
    row["gracefuls"] = gracefuls
    m = WRK_DONE.search(out)
    if wrk.returncode != 0 or not m:
        raise RuntimeError("wrk failed (%s):\n%s" % (wrk.returncode, out))
    wr = [int(x) for x in m.groups()]
    row["wrk_requests"] = wr[0]
    row["wrk_socket_errors"] = sum(wr[1:4]) + wr[5]
    row["wrk_status_errors"] = wr[4]
    row["wrk_detail"] = "connect %d, read %d, write %d, timeout %d" % (wr[1], wr[2], wr[3], wr[5])
    cp = WRK_CLICKPATH.search(out)
    if not cp:
        raise RuntimeError("wrk printed no ClickPath counts:\n" + out)
    row["cp_pages"], row["cp_crawler_pages"], row["cp_bad_pages"] = (int(x) for x in cp.groups()[:3])
    row["cp_bad_example"] = cp.group(4)
    rps = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    row["rps"] = float(rps.group(1)) if rps else 0.0
    check_access_log(srv.access_log, mpm, row, minted)
    errlog = srv.error_log_text()
    row["crashes"] = srv.crash_lines()
    # "Graceful restart requested" (prefork AH00171, worker AH00297, event AH00493)
    row["restarts_logged"] = len(re.findall(r"AH00171|AH00297|AH00493", errlog))
    row["other_errors"] = [l for l in errlog.splitlines()
                           if l and not re.search(r":notice\]", l)]
    return row


def check_access_log(path, mpm, row, minted):
    kinds = {"new": 0, "returning": 0, "malformed": 0, "harvest": 0, "cookieless": 0,
             "cp-new": 0, "cp-existing": 0, "cp-crawler": 0}
    cp_bad, cp_sessions = 0, set()
    non2xx, dups, mismatch, unminted, count, new_lines = 0, 0, 0, 0, 0, 0
    cookieless_ids, cookieless_bad = {}, 0  # visitor -> the IDs it was logged with
    examples = []
    with open(path, "rb") as f:
        for raw in f:
            fields = raw.decode("latin-1").rstrip("\n").split("\t", 9)
            if len(fields) != 10:
                examples.append("unparsable line: %r" % raw[:200])
                mismatch += 1
                continue
            kind, expect, note, new, status, _pid, uri, set_cookie, session, _cookie = fields
            if kind.startswith("cp-"):
                # `minted` (cookie IDs and sessions, across all MPMs' phases): no session minted twice
                bad = {"cp-new": not valid_session(session) or session in minted,
                       "cp-existing": session != expect, "cp-crawler": session != "crawler"}[kind]
                if kind == "cp-new":
                    cp_sessions.add(session)
                    minted[session] = mpm
                if bad:
                    cp_bad += 1
                    if len(examples) < 10:
                        examples.append("%s: SESSION %r (expected %r) for %s" % (kind, session[:100], expect, uri))
            if kind == "cookieless":
                cookieless_ids.setdefault(expect, set()).add(note)
                if not COOKIELESS_ID.match(note) or new != "-" or set_cookie != "-":
                    cookieless_bad += 1
                    if len(examples) < 10:
                        examples.append("cookieless visitor %s: ID %r, USERTRACK_NEW %r, Set-Cookie %r"
                                        % (expect, note, new, set_cookie[:100]))
            count += 1
            kinds[kind] = kinds.get(kind, 0) + 1
            if not status.startswith("2"):
                non2xx += 1
                if len(examples) < 10:
                    examples.append("status %s: %s %s" % (status, kind, uri))
            if new == "1":
                new_lines += 1
                if note in minted:
                    dups += 1
                    if len(examples) < 10:
                        examples.append("duplicate ID %s (first minted under %s)" % (note, minted[note]))
                else:
                    minted[note] = mpm
            if kind == "returning" and (note != expect or new != "0"):
                mismatch += 1
                if len(examples) < 10:
                    examples.append("returning visitor sent %s, logged %s (USERTRACK_NEW=%s)" % (expect, note, new))
            if kind == "new" and (new != "1" or note == "-"):
                unminted += 1
                if len(examples) < 10:
                    examples.append("new visitor not minted: %s %s" % (uri, raw[:200]))
    split = sorted(v for v, ids in cookieless_ids.items() if len(ids) != 1)
    owners = {}  # ID -> the visitors logged with it
    for v, ids in cookieless_ids.items():
        for i in ids:
            owners.setdefault(i, set()).add(v)
    shared = sum(1 for vs in owners.values() if len(vs) > 1)
    for v in split[:3]:
        examples.append("cookieless visitor %s logged with %d IDs: %s" % (v, len(cookieless_ids[v]),
                                                                          sorted(cookieless_ids[v])[:4]))
    row.update(logged=count, kinds=kinds, non2xx=non2xx, duplicates=dups, mismatches=mismatch,
               unminted=unminted, minted=new_lines, examples=examples,
               cookieless_visitors=len(cookieless_ids), cookieless_split=len(split),
               cookieless_ids=len(owners), cookieless_shared=shared, cookieless_bad=cookieless_bad,
               cp_bad=cp_bad, cp_sessions=len(cp_sessions))


def growth(a, b):
    return None if not a or b is None else (b - a) / a


def fmt_pct(x):
    return "n/a" if x is None else "%+.1f%%" % (100 * x)


def report(rows, seconds, cmd):
    cols = ["MPM", "requests (log)", "wrk req/s", "wrk socket errors", "non-2xx", "minted", "duplicates",
            "returning mismatches", "new unminted", "cookieless visitors / IDs",
            "ClickPath new / continuing / crawler", "ClickPath log / page failures", "gracefuls",
            "child RSS start / end kB", "growth",
            "parent RSS start / end kB"]
    lines = ["", "Soak: `%s`, %d s in all, module %s" % (cmd, seconds, MODULE_SO), "",
             "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    failed = []
    for r in rows:
        if "aborted" in r:
            lines.append("| %s | aborted |%s" % (r["mpm"], " |" * (len(cols) - 2)))
            continue
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s / %s |" % (
            r["mpm"], "{:,}".format(r["logged"]), "{:,.0f}".format(r["rps"]), r["wrk_socket_errors"],
            "%d (wrk: %d)" % (r["non2xx"], r["wrk_status_errors"]), "{:,}".format(r["minted"]), r["duplicates"],
            r["mismatches"], r["unminted"],
            "%d / %d" % (r["cookieless_visitors"], r["cookieless_ids"]),
            " / ".join("{:,}".format(r["kinds"][k]) for k in ("cp-new", "cp-existing", "cp-crawler")),
            "%d / %d" % (r["cp_bad"], r["cp_bad_pages"]),
            "%d/%d" % (r["restarts_logged"], r["gracefuls"]),
            "{:,.0f}".format(r["rss_start"] or 0), "{:,.0f}".format(r["rss_end"] or 0),
            fmt_pct(growth(r["rss_start"], r["rss_end"])),
            "{:,.0f}".format(r["parent_start"] or 0), "{:,.0f}".format(r["parent_end"] or 0)))
    lines.append("")
    lines.append("Mix per MPM (new / returning / malformed / cookieless / ClickPath): " + "; ".join(
        "%s %s / %s / %s / %s / %s" % (r["mpm"], "{:,}".format(r["kinds"]["new"]), "{:,}".format(r["kinds"]["returning"]),
                                       "{:,}".format(r["kinds"]["malformed"]), "{:,}".format(r["kinds"]["cookieless"]),
                                       "{:,}".format(sum(r["kinds"][k] for k in ("cp-new", "cp-existing", "cp-crawler"))))
        for r in rows if "aborted" not in r))
    lines.append("")
    for r in rows:
        if "aborted" in r:
            lines.append("FAIL %s: the phase did not finish: %s" % (r["mpm"], r["aborted"][:2000]))
            failed.append("%s: aborted" % r["mpm"])
            continue
        g = growth(r["rss_start"], r["rss_end"])
        checks = [
            ("no failed request (wrk: %s)" % r["wrk_detail"], r["wrk_socket_errors"] == 0),
            ("every response 2xx", r["non2xx"] == 0 and r["wrk_status_errors"] == 0),
            ("no duplicate ID", r["duplicates"] == 0),
            ("every returning visitor logged with its ID", r["mismatches"] == 0),
            ("every new visitor minted", r["unminted"] == 0),
            ("every cookieless request logged with a cookieless ID, no USERTRACK_NEW, no Set-Cookie (%s requests)"
             % "{:,}".format(r["kinds"]["cookieless"]), r["cookieless_bad"] == 0 and r["kinds"]["cookieless"] > 0),
            ("each of the %d cookieless visitors kept one ID across children and graceful restarts"
             % r["cookieless_visitors"], r["cookieless_split"] == 0 and r["cookieless_visitors"] > 0),
            ("different User-Agents, different cookieless IDs (%d IDs shared)" % r["cookieless_shared"],
             r["cookieless_shared"] == 0),
            ("ClickPath: every new session logged with a valid ID, none twice (%s distinct); every continuing "
             "session with its ID; every crawler as one" % "{:,}".format(r["cp_sessions"]),
             r["cp_bad"] == 0 and all(r["kinds"][k] > 0 for k in ("cp-new", "cp-existing", "cp-crawler"))),
            ("ClickPath: the links of each of %s pages carry one session of the right shape, of %s crawler pages none%s"
             % ("{:,}".format(r["cp_pages"]), "{:,}".format(r["cp_crawler_pages"]),
                " (e.g. %s)" % r["cp_bad_example"] if r["cp_bad_pages"] else ""),
             r["cp_bad_pages"] == 0 and r["cp_pages"] > 0 and r["cp_crawler_pages"] > 0),
            ("no crash or panic in the error log", not r["crashes"]),
            ("%d graceful restarts done" % r["gracefuls"], r["restarts_logged"] == r["gracefuls"] and r["gracefuls"] >= 2),
            ("child RSS growth under 10%% (%s)" % fmt_pct(g), g is not None and g < RSS_LIMIT),
        ]
        for what, ok in checks:
            lines.append("%s %s: %s" % ("PASS" if ok else "FAIL", r["mpm"], what))
            if not ok:
                failed.append("%s: %s" % (r["mpm"], what))
        for e in r["examples"] + ["crash: " + c for c in r["crashes"][:5]]:
            lines.append("    " + e)
        if r["other_errors"]:
            lines.append("    (error log, %d other lines, e.g.: %s)" % (len(r["other_errors"]), r["other_errors"][0][:300]))
    print("\n".join(lines), flush=True)
    return failed


def main():
    seconds = int(os.environ.get("SOAK_SECONDS", 300))
    graceful_every = float(os.environ.get("SOAK_GRACEFUL_EVERY", 20))
    threads = int(os.environ.get("SOAK_THREADS", 2))
    connections = int(os.environ.get("SOAK_CONNECTIONS", 16))
    mpms = [m.strip() for m in os.environ.get("SOAK_MPMS", "prefork,worker,event").split(",") if m.strip()]
    cmd = os.environ.get("SOAK_COMMAND", "make soak")
    for m in mpms:
        if m not in MPM_CONF:
            sys.exit("soak.py: unknown MPM %r (prefork, worker, event)" % m)
    if not os.path.exists(MODULE_SO):
        sys.exit("soak.py: %s not found (cargo build --release)" % MODULE_SO)
    if shutil.which("wrk") is None:
        sys.exit("soak.py: wrk not found (scripts/install-deps.sh soak)")
    httpd_instance.install_stop_handlers()
    atexit.register(_kill_wrk)  # runs before stop_all (atexit is last in, first out)
    keep = os.environ.get("SOAK_KEEP_DIR")
    if keep:
        os.makedirs(keep, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="usertrack-soak-", dir=keep or None)
    os.chmod(workdir, 0o755)
    minted, rows = {}, []
    t0 = time.monotonic()
    try:
        for mpm in mpms:
            try:
                rows.append(run_phase(workdir, mpm, seconds / len(mpms), graceful_every, threads, connections, minted))
            except Exception as e:  # a phase that cannot finish is a failure; the next MPM still runs
                if httpd_instance.stopping.is_set():
                    raise
                log("%s: aborted: %s" % (mpm, e))
                rows.append({"mpm": mpm, "aborted": str(e)})
    finally:
        httpd_instance.stop_all()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    failed = report(rows, seconds, cmd)
    print("\nIDs minted in all: {:,}, all distinct: {}; {:.0f} s".format(
        sum(r.get("minted", 0) for r in rows), "yes" if not any(r.get("duplicates") for r in rows) else "NO",
        time.monotonic() - t0))
    if failed:
        print("soak: FAILED: " + "; ".join(failed))
        return 1
    print("soak: all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
