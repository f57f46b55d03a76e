# Issue 10, part 2: hostile requests. Each is answered with the status the
# stock module's server answers (hostile.test has stock directives only: run
# MODULE_SO=/usr/lib/apache2/modules/mod_usertrack.so scripts/apache-test.sh t/hostile.t),
# the server keeps serving (a normal request after each one gets its cookie),
# nothing the client sent reaches a Set-Cookie header (every one has the ID's
# shape and the host's attributes only) and each request gives exactly one
# well-formed line in the usertrack_log. hostile-signed.test (CookieValidate on,
# a signing key; this module only) gets the same set: no hostile value is ever
# accepted or echoed, each is replaced by a new signed ID.
# Sizes are relative to LimitRequestFieldSize 8190 (t/conf/extra.conf.in).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET_BODY);
use UsertrackTest;

my $LIMIT = 8190;
my $port = Apache::Test::vars('port');
my $high = join '', map { chr } 0x80 .. 0xff;
my $ctls = join '', map { chr } 1 .. 8, 11, 12, 14 .. 31, 127;   # all but NUL, TAB, LF, CR

# [label, [Cookie-ish header lines], status, what hostile.test notes]
# note: NEW = a new ID is minted and set; FOUND = a value is found (no Set-Cookie);
# anything else: the exact %{cookie}n as logged (stock's parsing; mod_log_config escapes " as \").
# httpd accepts a header line of up to LimitRequestFieldSize + 1 bytes (without its CRLF)
my $longest = $LIMIT + 1 - length('Cookie: Apache=');
my @cases = (
    ['a Cookie line of LimitRequestFieldSize bytes', ['Cookie: Apache=' . ('a' x ($longest - 1))], 200, 'a' x ($longest - 1)],
    ['the longest Cookie line httpd accepts', ['Cookie: Apache=' . ('a' x $longest)], 200, 'a' x $longest],
    ['a Cookie line 1 byte longer', ['Cookie: Apache=' . ('a' x ($longest + 1))], 400, '-'],
    ['a Cookie line 2 bytes longer, ours after another', ['Cookie: x=1; Apache=' . ('a' x ($longest - 3))], 400, '-'],
    ['1,000 cookies, ours last', ['Cookie: ' . join('; ', map { "c=$_" } 0 .. 999) . '; Apache=last.1'], 200, 'last.1'],
    ['1,000 cookies, ours absent', ['Cookie: ' . join(';', map { "k$_=" } 0 .. 999)], 200, 'NEW'],
    ['the tracking name 500 times', ['Cookie: ' . join('; ', map { "Apache=r$_" } 0 .. 499)], 200, 'r0'],
    ['the tracking name 600 times without values', ['Cookie: ' . ('Apache;' x 600)], 200, 'NEW'],
    ['only separators', ["Cookie: ;;; ; ;=;==; ,,, ;\t;"], 200, 'NEW'],
    ['bytes 0x80-0xff', ["Cookie: Apache=$high; x=$high"], 200, 'FOUND'],
    ['bytes 0x80-0xff around the name', ['Cookie: ' . substr($high, 0, 40) . 'Apache=' . substr($high, 40)], 200, 'NEW'],
    ['a TAB in the value', ["Cookie: Apache=t\tab.1"], 200, 'FOUND'],
    ['control character 0x01', ["Cookie: Apache=c\x01.1"], 400, '-'],
    ['control character ESC', ["Cookie: Apache=c\x1b[31m.1"], 400, '-'],
    ['control character DEL', ["Cookie: Apache=c\x7f.1"], 400, '-'],
    ['every control character', ["Cookie: Apache=$ctls"], 400, '-'],
    ['quotes and backslashes', ['Cookie: Apache="\\"\\\\"; q="a\\\\b\\"c"; \\Apache=\\\\"'], 200, 'FOUND'],
    ['a quoted value', ['Cookie: Apache="quoted.1"'], 200, '\\"quoted.1\\"'],
    ['a 7 KB tracking value', ['Cookie: a=b; Apache=' . ('7' x 7168)], 200, '7' x 7168],
    ['an empty Cookie header', ['Cookie: '], 200, 'NEW'],
    ['an empty value', ['Cookie: Apache='], 200, 'NEW'],
    ['50 Cookie header lines, ours last', [(map { "Cookie: c$_=$_" } 0 .. 48), 'Cookie: Apache=fifty.1'], 200, 'fifty.1'],
    ['50 Cookie header lines, ours in each', [map { "Cookie: Apache=line$_" } 0 .. 49], 200, 'line0'],
    ['a Cookie2 header only', ['Cookie2: $Version="1"; Apache=c2only'], 200, 'NEW'],
    ['Cookie2 and Cookie', ['Cookie2: $Version="1"', 'Cookie: $Version=1; Apache="c2.1"; $Path=/'], 200, '\\"c2.1\\"'],
    ['a folded Cookie header', ["Cookie: a=1;\n Apache=folded.1;\n\tb=2"], 200, 'folded.1'],
    ['folded before the value', ["Cookie: \n Apache=folded.2"], 200, 'folded.2'],
    ['a forged signature', ['Cookie: Apache=d2e9002.660d2e900a927~AAAAAAAAAAAAAAAAAAAAAA'], 200, 'd2e9002.660d2e900a927~AAAAAAAAAAAAAAAAAAAAAA'],
    ['header injection attempt', ['Cookie: Apache=inj.1%0d%0aSet-Cookie: evil=1'], 200, 'inj.1%0d%0aSet-Cookie: evil=1'],
);

# This module (not stock) registers CookieSignKeyFile: then hostile-signed.test exists.
my $ours = (GET_BODY('/server-info?mod_usertrack.c') // '') =~ /CookieSignKeyFile/ ? 1 : 0;
my @hosts = ('hostile.test', $ours ? 'hostile-signed.test' : ());

# Cookieless mode (hostile-cookieless.test, this module only): the Cookie cases above and
# hostile User-Agents and X-Forwarded-For values (mod_remoteip trusts 127.0.0.1 there; it
# leaves the peer's address where the header holds none it can parse).
# [label, [header lines], status]
my $ua_longest = $LIMIT + 1 - length('User-Agent: ');
my @cookieless_cases = (
    (map { [$_->[0], $_->[1], $_->[2]] } @cases),
    ['a 3,000-byte User-Agent', ['User-Agent: ' . ('U' x 3000)], 200],
    ['the longest User-Agent line httpd accepts', ['User-Agent: ' . ('u' x $ua_longest)], 200],
    ['a User-Agent line 1 byte longer', ['User-Agent: ' . ('u' x ($ua_longest + 1))], 400],
    ['control character 0x01 in the User-Agent', ["User-Agent: a\x01b"], 400],
    ['every control character in the User-Agent', ["User-Agent: $ctls"], 400],
    ['a TAB in the User-Agent', ["User-Agent: a\tb"], 200],
    ['bytes 0x80-0xff in the User-Agent', ["User-Agent: $high"], 200],
    ['an empty User-Agent', ['User-Agent: '], 200],
    ['no User-Agent', [], 200],
    ['50 User-Agent lines', [map { "User-Agent: ua$_" } 0 .. 49], 200],
    ['a folded User-Agent', ["User-Agent: a\n b\n\tc"], 200],
    ['X-Forwarded-For: an address', ['X-Forwarded-For: 192.0.2.7'], 200],
    ['X-Forwarded-For: IPv6', ['X-Forwarded-For: 2001:db8::7'], 200],
    ['X-Forwarded-For: not an address', ['X-Forwarded-For: not-an-address'], 200],
    ['X-Forwarded-For: 500 addresses', ['X-Forwarded-For: ' . join(', ', map { "192.0.2." . ($_ % 250 + 1) } 0 .. 499)], 200],
    ['X-Forwarded-For: empty', ['X-Forwarded-For: '], 200],
    ['X-Forwarded-For: separators only', ['X-Forwarded-For: , ,,'], 200],
    ['X-Forwarded-For: bytes 0x80-0xff', ["X-Forwarded-For: $high"], 200],
    ['X-Forwarded-For: control character', ["X-Forwarded-For: 192.0.2.7\x01"], 400],
);
my $cookieless = $ours && (GET_BODY('/server-info?mod_usertrack.c') // '') =~ /CookielessTracking/ ? 1 : 0;
# per cookieless case: status, no Set-Cookie, one log line, the note, the next request (status,
# no Set-Cookie, its ID)
my $per_cookieless_case = 7;

# per case and host: status, Set-Cookie shape, Set-Cookie count, note, one log
# line, well-formed, then a normal request (status, its cookie)
my $per_case = 8;
plan tests => $per_case * @cases * @hosts + $per_cookieless_case * @cookieless_cases * $cookieless + 2 * 5 + 1,
    need_module 'mod_usertrack.c';
t_debug($ours ? 'this module: hostile-signed.test too' : 'stock module: hostile.test only');

my $SIGNED = qr/$ID_RE~$TAG_RE/;

sub send_raw {
    my ($host, $target, $tag, @lines) = @_;
    my $text = "GET $target HTTP/1.1\nHost: $host:$port\nX-Test-Tag: $tag\n"
             . join('', map { "$_\n" } @lines) . "Connection: close\n\n";
    return raw_request($text);
}

# All usertrack_log lines whose request field is exactly $request (for HTTP/0.9: no tag).
sub log_lines_for_request {
    my ($request) = @_;
    my $file = Apache::Test::vars('t_logs') . '/usertrack_log';
    my $deadline = time + 5;
    my @found;
    while (1) {
        @found = ();
        if (open my $fh, '<:raw', $file) {
            while (my $line = <$fh>) {
                chomp $line;
                push @found, $line if $line =~ /\|\Q$request\E$/;
            }
            close $fh;
        }
        last if @found || time > $deadline;
        select undef, undef, undef, 0.05;
    }
    return @found;
}

my @FIELDS = qw(tag vhost pid tid cookie apache thename orig_cookie status request);
sub fields {
    my ($line) = @_;
    my %e;
    @e{@FIELDS} = split /\|/, $line // '', scalar @FIELDS;
    return \%e;
}

for my $host (@hosts) {
    my $signed = $host eq 'hostile-signed.test';
    my $shape = $signed ? qr/^Apache=($SIGNED); path=\/$/ : qr/^Apache=($ID_RE); path=\/$/;
    for my $c (@cases) {
        my ($label, $lines, $status, $note) = @$c;
        my $what = "$host: $label";
        my $tag = new_tag('hostile');
        # a unique target: httpd logs a request it refuses with 400 without its headers (no tag)
        my $r = send_raw($host, "/plain.html?$tag", $tag, @$lines);
        ok t_cmp($r->{status}, $status, "$what: status as stock");
        my @sc = (set_cookies($r), set_cookie2s($r));
        ok t_cmp(scalar(grep { !/$shape/ } @sc), 0, "$what: every Set-Cookie has the ID's shape and attributes only (@sc)");
        my ($value) = @sc == 1 ? $sc[0] =~ $shape : ();
        my ($id) = defined $value ? $value =~ /^([^~]+)/ : ();
        my @raw = log_lines_for_request("GET /plain.html?$tag HTTP/1.1");
        my $e = fields($raw[0]);
        # the Set-Cookie count and the note: what stock does; signed: every value replaced
        my $want = $status != 200 ? '-' : $signed ? 'NEW' : $note;
        if ($want eq 'NEW') {
            ok t_cmp(scalar @sc, 1, "$what: one new cookie");
            ok t_cmp($e->{cookie} // 'NO-LOG-LINE', $id // 'no new ID', "$what: the note is the new ID");
        } elsif ($want eq 'FOUND') {
            ok t_cmp(scalar @sc, 0, "$what: no new cookie");
            ok t_cmp(($e->{cookie} // '-') ne '-' ? 1 : 0, 1, "$what: a value noted ($e->{cookie})");
        } else {
            ok t_cmp(scalar @sc, 0, "$what: no new cookie");
            ok t_cmp($e->{cookie} // 'NO-LOG-LINE', $want, "$what: the note");
        }
        # exactly one log line, on one line, with the status, nothing raw from the client
        ok t_cmp(scalar @raw, 1, "$what: one log line");
        my $line = ($raw[0] // '') . "\n";
        ok t_cmp(($line =~ /^[\x20-\x7e]*\n\z/ ? 'printable' : 'raw bytes') . ' ' . ($e->{status} // '-'),
                 "printable $status", "$what: the log line is printable ASCII with the status");
        # the server keeps serving: a normal request gets its cookie
        my $next = send_raw($host, '/plain.html', new_tag('hostile-next'));
        my @next_sc = set_cookies($next);
        ok t_cmp($next->{status}, 200, "$what: the next request is served");
        ok t_cmp(@next_sc == 1 && $next_sc[0] =~ $shape ? 1 : 0, 1, "$what: and gets a new cookie (@next_sc)");
    }
}

# Cookieless mode: never a 5xx or a Set-Cookie; the note is a cookieless ID on every request
# served (200) and a cookieless ID or `-` on a refused one; the server serves the next visitor.
for my $c ($cookieless ? @cookieless_cases : ()) {
    my ($label, $lines, $status) = @$c;
    my $what = "hostile-cookieless.test: $label";
    my $tag = new_tag('hostile-cl');
    my $r = send_raw('hostile-cookieless.test', "/plain.html?$tag", $tag, @$lines);
    ok t_cmp($r->{status}, $status, "$what: status");
    my @sc = (set_cookies($r), set_cookie2s($r));
    ok t_cmp(scalar @sc, 0, "$what: no Set-Cookie (@sc)");
    my @raw = log_lines_for_request("GET /plain.html?$tag HTTP/1.1");
    ok t_cmp(scalar @raw, 1, "$what: one log line");
    my $note = fields($raw[0])->{cookie} // 'NO-LOG-LINE';
    my $want = $status == 200 ? qr/^$COOKIELESS_RE$/ : qr/^(?:$COOKIELESS_RE|-)$/;
    ok t_cmp($note, $want, "$what: the note is a cookieless ID" . ($status == 200 ? '' : ' or -'));
    my $next_tag = new_tag('hostile-cl-next');
    my $next = send_raw('hostile-cookieless.test', "/plain.html?$next_tag", $next_tag, 'User-Agent: hostile-next');
    ok t_cmp($next->{status}, 200, "$what: the next request is served");
    ok t_cmp(scalar(set_cookies($next)), 0, "$what: the next request: no Set-Cookie");
    my ($next_line) = log_lines_for_request("GET /plain.html?$next_tag HTTP/1.1");
    ok t_cmp(fields($next_line)->{cookie} // 'NO-LOG-LINE', qr/^$COOKIELESS_RE$/, "$what: the next request: a cookieless ID");
}

# HTTP/0.9 (no headers in the response, so no cookie; logged once) and absolute-form request lines
{
    my $marker = new_tag('h09');
    my $r = raw_request("GET /plain.html?$marker\n");
    ok t_cmp($r->{raw}, qr/^<html><body>plain/, 'HTTP/0.9: the body, without a status line or headers');
    my @lines = log_lines_for_request("GET /plain.html?$marker");
    ok t_cmp(scalar @lines, 1, 'HTTP/0.9: one log line');
    ok t_cmp(($lines[0] // '') =~ /\|200\|GET / ? 1 : 0, 1, "HTTP/0.9: logged with status 200 ($lines[0])");
    my ($note) = ($lines[0] // '') =~ /^[^|]*\|[^|]*\|[^|]*\|[^|]*\|([^|]*)\|/;
    ok t_cmp($note // '', qr/^$ID_RE$/, 'HTTP/0.9: a new ID noted (its Set-Cookie cannot be sent)');
    my $next = send_raw('hostile.test', '/plain.html', new_tag('h09-next'));
    ok t_cmp($next->{status}, 200, 'HTTP/0.9: the next request is served');
}
{
    my $tag = new_tag('absolute');
    my $r = raw_request("GET http://hostile.test:$port/plain.html HTTP/1.1\nHost: other.example:$port\n"
                        . "X-Test-Tag: $tag\nCookie: Apache=abs.1\nConnection: close\n\n");
    ok t_cmp($r->{status}, 200, 'absolute-form: 200');
    ok t_cmp(scalar set_cookies($r), 0, 'absolute-form: the cookie is found');
    my $e = log_entry($tag) // {};
    ok t_cmp($e->{vhost} // '', 'hostile.test', 'absolute-form: the URI\'s host chooses the virtual host');
    ok t_cmp($e->{cookie} // '', 'abs.1', 'absolute-form: noted');
    my $tag2 = new_tag('absolute-new');
    my $r2 = raw_request("GET http://hostile.test:$port/plain.html HTTP/1.1\nHost: hostile.test:$port\n"
                         . "X-Test-Tag: $tag2\nConnection: close\n\n");
    my @sc = set_cookies($r2);
    ok t_cmp("$r2->{status} " . scalar(@sc), '200 1', 'absolute-form, new visitor: 200 and one cookie');
}

# the error log shows no crash
{
    my $log = Apache::Test::vars('t_logs') . '/error_log';
    my @bad;
    if (open my $fh, '<', $log) {
        @bad = grep { /exit signal|Segmentation fault|AH00052|panicked/ } <$fh>;
        close $fh;
    }
    ok t_cmp(scalar @bad, 0, "no crash or panic in the error log (@bad)");
}
