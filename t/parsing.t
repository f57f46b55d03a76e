# Cookie header parsing (stock table): which Cookie headers are recognised as
# a returning visitor (note = extracted value, no Set-Cookie) and which get a
# new cookie.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

# [Cookie header(s), expected note value, or undef for "new cookie"]
my @cases = (
    ['Apache=abc',                   'abc'],
    ['x=1; Apache=abc',              'abc'],
    ['x=1;Apache=abc',               'abc'],
    ['x=1;   Apache=abc',            'abc'],
    ['x=1,Apache=abc',               'abc'],
    ['x=1, Apache=abc',              'abc'],
    ["x=1;\tApache=abc",             'abc'],
    ['MyApache=abc',                 undef],
    ['MyApache=abc; Apache=def',     'def'],
    ['Apache2=abc',                  undef],
    ['apache=abc',                   undef],
    ['APACHE=abc',                   undef],
    ['Apache=',                      undef],
    ['Apache=; Apache=second',       'second'],
    ['Apache =abc',                  undef],
    ['Apache= abc',                  ' abc'],
    ['Apache="quoted value"',        '"quoted value"'],
    ['Apache=a b c ;x=1',            'a b c '],
    ['Apache=a,b',                   'a'],
    ['Apache=first; Apache=second',  'first'],
    ['x="y;Apache=inquote"',         'inquote"'],
    ['x=y Apache=nosep',             undef],
    ['Apache=abc=def',               'abc=def'],
    ['x=1',                          undef],
    [['x=1', 'Apache=abc'],          'abc'],     # two Cookie headers, merged with ", "
    [['Apache=one', 'Apache=two'],   'one'],
);

plan tests => 3 * @cases + 3, need_module 'mod_usertrack.c';

# mod_log_config escapes " and \ in %{...}n
sub unescape { my $v = shift // ''; $v =~ s/\\(["\\])/$1/g; $v }

for my $c (@cases) {
    my ($cookie, $want) = @$c;
    my @cookies = ref $cookie ? @$cookie : ($cookie);
    my $label = join ' + ', map { "Cookie: $_" } @cookies;
    my $tag = new_tag('parse');
    # raw request: LWP cannot send a header twice
    my $req = "GET /plain.html HTTP/1.1\nHost: 127.0.0.1\nConnection: close\nX-Test-Tag: $tag\n"
            . join('', map { "Cookie: $_\n" } @cookies) . "\n";
    my $res = raw_request($req);
    my @sc = set_cookies($res);
    my $e = log_entry($tag) // {};
    if (defined $want) {
        ok t_cmp(scalar @sc, 0, "$label: recognised, no Set-Cookie");
        ok t_cmp(unescape($e->{cookie}), $want, "$label: %{cookie}n");
        ok t_cmp(unescape($e->{apache}), $want, "$label: %{Apache}n");
    }
    else {
        ok t_cmp(scalar @sc, 1, "$label: not recognised, one new Set-Cookie");
        my ($id) = ($sc[0] // '') =~ /^Apache=($ID_RE); path=\/$/;
        ok t_cmp($id // 'no match', qr/^$ID_RE$/, "$label: new cookie shape");
        ok t_cmp($e->{cookie}, $id // 'none', "$label: %{cookie}n is the new value");
    }
}

# Cookie2 is never read
my $tag = new_tag('cookie2hdr');
my $res = raw_request("GET /plain.html HTTP/1.1\nHost: 127.0.0.1\nConnection: close\n"
                    . "X-Test-Tag: $tag\nCookie2: Apache=abc\n\n");
my @sc = set_cookies($res);
ok t_cmp(scalar @sc, 1, 'Cookie2: Apache=abc is ignored: new cookie');
ok t_cmp($sc[0] // '', qr/^Apache=$ID_RE; path=\/$/, 'Cookie2 ignored: new cookie shape');
my ($id) = ($sc[0] // '') =~ /^Apache=($ID_RE);/;
ok t_cmp((log_entry($tag) // {})->{cookie}, $id // 'none', 'Cookie2 ignored: note is the new value');
