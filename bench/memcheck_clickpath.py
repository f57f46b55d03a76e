"""ClickPath's part of `make memcheck` (bench/memcheck.py): the pages, CGIs and .asis files under
htdocs/cp/, and the requests to clickpath.test and clickpath-secret.test (bench/memcheck/httpd.conf.in)
that take the translate_name hook and the output filter through every path: new, existing, tampered,
expired and replaced sessions, crawlers, Location/Refresh headers, bodies cut inside tags across
brigades (CGIs that flush), a 200 KB page with a tag longer than the 16 KB held-back limit and one
left open at the end, HEAD, and hostile session URLs.

Each exchange whose answer shows whether the filter ran is checked (links rewritten with the right
session, or untouched); `drive(go)` returns the failed checks, so a mix that no longer reaches the
filter fails the run instead of passing it by doing nothing.
"""

import re

# Links of every kind the filter rewrites (a/area href, form action, iframe src, meta refresh),
# absolute and relative, and ones it leaves (other hosts, fragments, mailto:, img).
LINKS_HTML = """<html><head><meta http-equiv="refresh" content="30; url=/cp/next.html"></head><body>
<a href="/cp/next.html">abs</a> <a href="next.html">rel</a> <a href='../up.html'>up</a>
<area shape="rect" href="/cp/map.html"> <A HREF="/cp/CASE.html">case</A>
<form method="post" action="/cp/post.cgi"></form> <iframe src="/cp/frame.html"></iframe>
<a href="#top">fragment</a> <a href="mailto:x@example.org">mail</a> <a href="http://elsewhere.example/x">other</a>
<img src="/cp/img.png"> <a href="">empty</a>
</body></html>
"""
LINKS_REWRITTEN = 8  # the links above that carry the session for a new one (abs, rel, up, area, CASE, form, iframe, meta)

# ~200 KB: 2,000 links, a 20 KB tag (over the filter's 16 KB MAX_TAG) in the middle, and a 17 KB
# tag left open at the very end (emitted untouched at EOS).
BIG_LINKS = 2000
BIG_HTML = ("<html><body>\n"
            + "".join('<p>line %d <a href="/cp/page%d.html">p%d</a> text text text text text</p>\n' % (i, i, i)
                      for i in range(BIG_LINKS // 2))
            + '<a title="' + "t" * 20000 + '" href="/cp/in-long-tag.html">long</a>\n'
            + "".join('<p>line %d <a href="page%d.html">p%d</a> more text more text more</p>\n' % (i, i, i)
                      for i in range(BIG_LINKS // 2, BIG_LINKS))
            + '</body></html>\n<a href="/cp/open.html" title="' + "u" * 17000)

# A CGI that sends a file beside it in pieces cut at fixed offsets (inside tags, attribute values
# and the long tags), flushing and pausing after each, so the filter gets one brigade per piece.
SPLIT_CGI = r"""#!/usr/bin/perl
use strict;
(my $file = $ENV{SCRIPT_FILENAME}) =~ s/\.cgi$/.html/;
open my $fh, '<', $file or die "$file: $!";
my $html = do { local $/; <$fh> };
$| = 1;
print "Content-Type: text/html\r\n\r\n";
my $at = 0;
my @sizes = (3, 1, 5, 7, 11, 13, 1021, 1, 4093, 7919);
for (my $i = 0; $at < length $html; $i++) {
    my $n = $sizes[$i % @sizes];
    print substr($html, $at, $n);
    $at += $n;
    select undef, undef, undef, 0.01 if $i < 40 || $i % 8 == 0;
}
"""

FILES = {
    "cp/links.html": LINKS_HTML,
    "cp/links-split.html": LINKS_HTML,
    "cp/big.html": BIG_HTML,
    "cp/big-split.html": BIG_HTML,
    "cp/plain.txt": '<a href="/cp/next.html">not html</a>\n',
    "cp/redirect.asis": "Status: 302 Found\nLocation: next.html\nContent-Type: text/html\n\n"
                        '<html><body><a href="moved.html">moved</a></body></html>\n',
    "cp/refresh.asis": "Status: 200 OK\nRefresh: 5; url=/cp/next.html\nContent-Type: text/plain\n\nrefresh\n",
    "cp/found.cgi": "#!/bin/sh\nprintf 'Status: 302 Found\\r\\nLocation: /cp/next.html\\r\\nContent-Type: text/html\\r\\n\\r\\n"
                    "<a href=\"/cp/next.html\">next</a>\\n'\n",
    "cp/internal.cgi": "#!/bin/sh\nprintf 'Location: /cp/links.html\\r\\n\\r\\n'\n",
}
for _name in ("links-split", "big-split"):
    FILES["cp/%s.cgi" % _name] = SPLIT_CGI
EXECUTABLE = [name for name in FILES if name.endswith(".cgi")]

HOSTS = [("clickpath.test", "Apache"), ("clickpath-secret.test", "Apache")]
# The rotated alphabet: A-Z a-z 0-9 @ - , (spec §3.3); the body is 20 characters plain, 22 encrypted.
ID = re.compile(rb"^[A-Za-z0-9@,-]*:[A-Za-z0-9@,-]{20,22}M$")
SESSION_IN_LINK = re.compile(rb"""(?:href|action|src|url)\s*=\s*["']?/-S:([^/"'\s>]+)/""", re.I)
# The spec's worked example (§3.6): CRC-valid, minted in 2005, so expired under ClickPathMaxSessionAge.
EXPIRED = b"s9NNNd:vAYsyaINNTSaB7INNNNNMsMyq*.CF!vq*.InoJ"


def split_response(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    if re.search(rb"(?im)^Transfer-Encoding:\s*chunked", head):
        out, rest = [], body
        for _ in range(100000):
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            out.append(rest[:size])
            rest = rest[size + 2:]
        body = b"".join(out)
    return head, body


def header(head, name):
    m = re.search(rb"(?im)^" + name + rb":\s*([^\r\n]*)", head)
    return m.group(1) if m else None


def sessions(body):
    return SESSION_IN_LINK.findall(body)


def drive(go, request):
    """The ClickPath mix through go(raw) -> response bytes. Returns (checks made, the failed ones)."""
    failed, made = [], []

    def check(what, ok):
        made.append(what)
        if not ok:
            failed.append(what)

    def get(host, path, headers=(), method=b"GET", target=None):
        return split_response(go(request(host, path, headers=list(headers), method=method, target=target)))

    def one_session(what, body, expect=None, at_least=LINKS_REWRITTEN, shape=True):
        found = sessions(body)
        ids = set(found)
        ok = len(found) >= at_least and len(ids) == 1 and (not shape or all(ID.match(i) for i in ids)) \
            and (expect is None or ids == {expect})
        check("%s: %d links with the session (want %d or more), IDs %s" % (what, len(found), at_least,
                                                                          [i[:80] for i in sorted(ids)[:3]]), ok)
        return next(iter(ids)) if len(ids) == 1 else None

    for host in ("clickpath.test", "clickpath-secret.test"):
        _, body = get(host, "/cp/links.html")
        sid = one_session(host + " new session", body)
        if not sid:
            continue  # the failed check says why
        at = b"/-S:" + sid
        _, body = get(host, None, target=at + b"/cp/links.html", headers=[b"Referer: http://%s%s/cp/x.html"
                                                                          % (host.encode(), at)])
        one_session(host + " existing session", body, expect=sid, at_least=5)  # root-relative links only
        tampered = sid[:-3] + (b"A" if sid[-3:-2] != b"A" else b"B") + sid[-2:]
        _, body = get(host, None, target=b"/-S:" + tampered + b"/cp/links.html")
        new = one_session(host + " tampered session", body)
        check(host + " tampered session replaced", new not in (None, sid, tampered))
        _, body = get(host, None, target=b"/-S:" + EXPIRED + b"/cp/links.html")
        check(host + " expired/foreign session replaced", one_session(host + " expired session", body) not in (None, EXPIRED))
        for ua in (b"Googlebot/2.1", b"Mozilla/5.0 (compatible; MSNBot/1.0)"):
            head, body = get(host, "/cp/links.html", headers=[b"User-Agent: " + ua])
            check("%s crawler %s: links untouched" % (host, ua.decode()), b"/-S:" not in body and b'href="/cp/next.html"' in body)
        head, _ = get(host, "/cp/redirect.asis")
        check(host + " .asis Location rewritten", (header(head, b"Location") or b"").find(b"/-S:") >= 0)
        head, body = get(host, None, target=at + b"/cp/refresh.asis")
        check(host + " .asis Refresh rewritten, text/plain body untouched",
              (header(head, b"Refresh") or b"").find(at + b"/cp/next.html") >= 0 and b"/-S:" not in body)
        head, _ = get(host, None, target=at + b"/cp/found.cgi")
        check(host + " CGI 302 Location rewritten", (header(head, b"Location") or b"").find(at + b"/cp/next.html") >= 0)
        _, body = get(host, None, target=at + b"/cp/internal.cgi")
        one_session(host + " CGI internal redirect", body, expect=sid, at_least=5)
        _, body = get(host, None, target=at + b"/cp/plain.txt")
        check(host + " text/plain untouched", b"/-S:" not in body)
        # Split across brigades (existing session: deterministic) == the static page.
        for page in ("links", "big"):
            _, static = get(host, None, target=at + b"/cp/%s.html" % page.encode())
            _, split = get(host, None, target=at + b"/cp/%s-split.cgi" % page.encode())
            check("%s %s-split.cgi (flushed in pieces) same as the static page (%d / %d bytes)"
                  % (host, page, len(split), len(static)), split == static and len(static) > 0)
        _, body = get(host, "/cp/big.html")
        one_session(host + " 200 KB page, new session", body, at_least=BIG_LINKS)
        check(host + " 200 KB page: the open tag at the end passed untouched", body.endswith(b"u" * 17000))
        _, body = get(host, None, target=at + b"/cp/big.html")
        one_session(host + " 200 KB page, existing session", body, expect=sid, at_least=BIG_LINKS // 2)
        head, body = get(host, "/cp/links.html", method=b"HEAD")
        check(host + " HEAD: 200, no body", head.startswith(b"HTTP/1.1 200") and body == b"")
        head, _ = get(host, "/cp/redirect.asis", method=b"HEAD")  # new session: the relative Location too
        check(host + " HEAD .asis Location rewritten", (header(head, b"Location") or b"").find(b"/cp/next.html") > 4)
        for label, target in hostile_targets(sid):
            head, body = get(host, None, target=target)
            status = head[9:12]
            check("%s hostile URL (%s): answered (%r)" % (host, label, head[:40]), status.isdigit())
            if status == b"200":  # a page was served: its links carry one session (an ID with a valid
                # start and more after a ',' is accepted as it came, spec §3.5)
                one_session("%s hostile URL (%s)" % (host, label), body, at_least=5, shape=False)
    return len(made), failed


def hostile_targets(sid):
    return [
        ("3,000-character ID", b"/-S:" + b"A" * 3000 + b"/cp/links.html"),
        ("3,000-character ID-like", b"/-S:" + (sid * (3000 // len(sid) + 1))[:3000] + b"/cp/links.html"),
        ("garbage after the prefix", b"/-S:!!$$**((..;;==~~/cp/links.html"),
        ("0x80-0xff after the prefix", b"/-S:" + bytes(range(0x80, 0x100)) + b"/cp/links.html"),
        ("percent-encoded garbage", b"/-S:%ff%fe%01%7f%c3%28/cp/links.html"),
        ("only the machine", b"/-S:s9NNNd:/cp/links.html"),
        ("1-byte body NN", b"/-S:NN/cp/links.html"),
        ("commas", b"/-S:" + b"," * 300 + b"/cp/links.html"),
        ("empty ID", b"/-S:/cp/links.html"),
        ("no slash after the ID", b"/-S:" + sid),
        ("two sessions", b"/-S:" + sid + b"/-S:" + sid + b"/cp/links.html"),
        ("percent-encoded prefix", b"/%2D%53%3A" + sid + b"/cp/links.html"),
        ("slashes before the prefix", b"//-S:" + sid + b"/cp/links.html"),
        ("session then a query", b"/-S:" + sid + b"/cp/links.html?a=/-S:x/&b=" + b"q" * 2000),
        ("dot segments", b"/-S:" + sid + b"/../cp/./links.html"),
    ]
