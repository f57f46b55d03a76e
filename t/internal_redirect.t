# Deliberate difference 4: after an internal redirect (local ErrorDocument,
# per-dir mod_rewrite internal rewrite) the ID is reused: exactly one
# Set-Cookie, and the logged note equals it (stock sends two).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

plan tests => 16, need_module 'mod_usertrack.c', need_module 'mod_rewrite.c';

sub check {
    my ($host, $path, $code, $body_re, $what) = @_;
    my $tag = new_tag('intredir');
    my $res = req(GET => $path, host => $host, tag => $tag);
    ok t_cmp($res->code, $code, "$what: status");
    ok t_cmp($res->content, $body_re, "$what: body from the redirect target");
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, "$what: exactly one Set-Cookie");
    my ($id) = ($sc[0] // '') =~ /^Apache=($ID_RE); path=\/$/;
    ok t_cmp($id // 'no match', qr/^$ID_RE$/, "$what: shape");
    my $e = log_entry($tag) // {};
    ok t_cmp($e->{cookie}, $id // 'none', "$what: %{cookie}n (final request) is the value");
    ok t_cmp($e->{orig_cookie}, $id // 'none', "$what: %<{cookie}n (original request) is the same value");
}

check('errdoc.test', '/no-such-page.html', 404, qr/custom not found page/, 'ErrorDocument 404');
check('127.0.0.1', '/rw/alias.html', 200, qr/rewrite target/, 'per-dir internal rewrite');

# returning visitor: nothing sent, both notes are the sent value
my $tag = new_tag('intredir-return');
my $res = req(GET => '/no-such-page.html', host => 'errdoc.test', tag => $tag,
              headers => [Cookie => 'Apache=r.errdoc']);
ok t_cmp($res->code, 404, 'ErrorDocument return visit: 404');
ok t_cmp(scalar set_cookies($res), 0, 'ErrorDocument return visit: no Set-Cookie');
my $e = log_entry($tag) // {};
ok t_cmp($e->{cookie}, 'r.errdoc', 'ErrorDocument return visit: note');
ok t_cmp($e->{orig_cookie}, 'r.errdoc', 'ErrorDocument return visit: original note');
