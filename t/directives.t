# Every directive's effect on the header, byte-exact (attribute order as
# stock: path, expires|max-age, domain[, version=1], SameSite, Secure, HttpOnly).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

# host => [header name, expected template (V = value, D(n) = Netscape date of request time + n)]
my @cases = (
    ['netscape.test', 'Set-Cookie',  'Apache=V; path=/; expires=D(93780); domain=.example.com; SameSite=Strict'],
    ['rfc2109.test',  'Set-Cookie',  'Apache=V; path=/; max-age=1468800'],
    ['rfc2109b.test', 'Set-Cookie',  'Apache=V; path=/; domain=.example.com; SameSite=None; Secure; HttpOnly'],
    ['cookie2.test',  'Set-Cookie2', 'Apache=V; path=/; max-age=3600; domain=.example.com; version=1; SameSite=Lax; Secure; HttpOnly'],
    ['rfc2965.test',  'Set-Cookie2', 'Apache=V; path=/; max-age=3600'],
    ['quirks1.test',  'Set-Cookie',  'Apache=V; path=/; max-age=10802'],
    ['quirks2.test',  'Set-Cookie',  'Apache=V; path=/; max-age=1'],
    ['quirks3.test',  'Set-Cookie',  'Apache=V; path=/; max-age=7'],
    ['127.0.0.1',     'Set-Cookie',  'Apache=V; path=/'],
);

plan tests => 6 * @cases + 3 * 4 + 4, need_module 'mod_usertrack.c';

for my $c (@cases) {
    my ($host, $hname, $tmpl) = @$c;
    my $other = $hname eq 'Set-Cookie' ? 'Set-Cookie2' : 'Set-Cookie';
    my $t0 = time;
    my $tag = new_tag($host);
    my $res = req(GET => '/plain.html', host => $host, tag => $tag);
    my $t1 = time;
    ok t_cmp($res->code, 200, "$host: 200");
    my @h = $res->headers->header($hname);
    my @o = $res->headers->header($other);
    ok t_cmp(scalar @h, 1, "$host: exactly one $hname");
    ok t_cmp(scalar @o, 0, "$host: no $other");
    my $got = $h[0] // '';
    my ($v) = $got =~ /^Apache=($ID_RE);/;
    $v //= 'NO-ID';
    my $want = $tmpl;
    $want =~ s/\bV\b/$v/;
    my $secs = id_seconds($v) // 0;
    $want =~ s/D\((\d+)\)/netscape_date($secs + $1)/e;
    ok t_cmp($got, $want, "$host: $hname header byte-exact");
    ok $secs >= $t0 - 5 && $secs <= $t1 + 5;
    t_debug("$host: ID time $secs, request between $t0 and $t1");
    ok t_cmp((log_entry($tag) // {})->{cookie}, $v, "$host: %{cookie}n");
}

# return visits: a known cookie suppresses the header in every style
for my $host (qw(netscape.test cookie2.test rfc2965.test rfc2109b.test)) {
    my $tag = new_tag("$host-return");
    my $res = req(GET => '/plain.html', host => $host, tag => $tag,
                  headers => [Cookie => 'Apache=returning.visitor']);
    ok t_cmp(scalar set_cookies($res), 0, "$host return visit: no Set-Cookie");
    ok t_cmp(scalar set_cookie2s($res), 0, "$host return visit: no Set-Cookie2");
    ok t_cmp((log_entry($tag) // {})->{cookie}, 'returning.visitor', "$host return visit: note");
}

# CookieTracking off: no header, no note
{
    my $tag = new_tag('offhost');
    my $res = req(GET => '/plain.html', host => 'offhost.test', tag => $tag);
    ok t_cmp(scalar set_cookies($res) + scalar set_cookie2s($res), 0,
             'vhost CookieTracking off: no cookie header');
    ok t_cmp((log_entry($tag) // {})->{cookie}, '-', 'vhost CookieTracking off: no note');
    my $tag2 = new_tag('offloc');
    my $res2 = req(GET => '/off/x.html', tag => $tag2);
    ok t_cmp(scalar set_cookies($res2) + scalar set_cookie2s($res2), 0,
             '<Location> CookieTracking off: no cookie header');
    ok t_cmp((log_entry($tag2) // {})->{cookie}, '-', '<Location> CookieTracking off: no note');
}
