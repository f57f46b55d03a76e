# Issue 9, environment: USERTRACK_ID / USERTRACK_NEW for every tracked main
# request, also for a returning visitor refused before fixups (403, 401);
# neither where tracking is off; mod_headers passes them on (Header always set).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

plan tests => 6 + 5 + 3 * 6 + 2 * 3 + 4 * 3 + 3,
    need_module 'mod_usertrack.c', need_module 'mod_headers.c', need_module 'mod_auth_basic.c';

sub get {
    my ($host, $path, $cookie) = @_;
    my $tag = new_tag('env');
    my $res = req(GET => $path, host => $host, tag => $tag,
                  headers => [defined $cookie ? (Cookie => $cookie) : ()]);
    return ($res, env_entry($tag) // {}, log_entry($tag) // {});
}

# new visitor
{
    my ($res, $e, $l) = get('env.test', '/plain.html');
    my ($id) = ((set_cookies($res))[0] // '') =~ /^Apache=($ID_RE); path=\/$/;
    ok t_cmp($id // 'none', qr/^$ID_RE$/, 'new visitor: Set-Cookie');
    $id //= 'none';
    ok t_cmp($e->{id}, $id, 'new visitor: USERTRACK_ID is the minted ID');
    ok t_cmp($e->{new}, '1', 'new visitor: USERTRACK_NEW=1');
    ok t_cmp($l->{cookie}, $id, 'new visitor: note unchanged (the ID)');
    ok t_cmp($res->header('X-Visitor-ID'), $id, 'new visitor: X-Visitor-ID from %{USERTRACK_ID}e');
    ok t_cmp($res->header('X-Visitor-New'), '1', 'new visitor: X-Visitor-New from %{USERTRACK_NEW}e');
}
# returning visitor
{
    my $r = random_id_key();
    my ($res, $e) = get('env.test', '/plain.html', "x=1; Apache=$r");
    ok t_cmp(scalar set_cookies($res), 0, 'returning visitor: no Set-Cookie');
    ok t_cmp($e->{id}, $r, 'returning visitor: USERTRACK_ID');
    ok t_cmp($e->{new}, '0', 'returning visitor: USERTRACK_NEW=0');
    ok t_cmp($res->header('X-Visitor-ID'), $r, 'returning visitor: X-Visitor-ID');
    ok t_cmp($res->header('X-Visitor-New'), '0', 'returning visitor: X-Visitor-New');
}
# returning visitor refused before fixups: 403 (Require all denied), 401 (auth)
for my $c (['env.test', '/denied/x.html', 403], ['env.test', '/auth/x.html', 401],
           ['127.0.0.1', '/denied/x.html', 403]) {
    my ($host, $path, $code) = @$c;
    my $r = random_id_key();
    my ($res, $e, $l) = get($host, $path, "Apache=$r");
    ok t_cmp($res->code, $code, "$host$path returning: $code");
    ok t_cmp($e->{id}, $r, "$host$path returning: USERTRACK_ID");
    ok t_cmp($e->{new}, '0', "$host$path returning: USERTRACK_NEW=0");
    ok t_cmp($l->{cookie}, $r, "$host$path returning: note");
    ok t_cmp(scalar set_cookies($res), 0, "$host$path returning: no Set-Cookie");
    if ($host eq 'env.test') {
        ok t_cmp($res->header('X-Visitor-ID'), $r, "$host$path returning: Header always set X-Visitor-ID on the $code");
    } else {
        ok t_cmp($res->header('X-Visitor-ID'), undef, "$host$path: no X-Visitor-ID header outside env.test");
    }
}
# new visitor refused: nothing minted, no environment
for my $path ('/denied/x.html', '/auth/x.html') {
    my ($res, $e) = get('env.test', $path);
    ok t_cmp(scalar set_cookies($res), 0, "$path new visitor: no Set-Cookie");
    ok t_cmp($e->{id}, '-', "$path new visitor: no USERTRACK_ID");
    ok t_cmp($e->{new}, '-', "$path new visitor: no USERTRACK_NEW");
}
# tracking off: neither variable, also for a returning visitor and a 403
for my $c (['env.test', '/env/off/x.html', 200], ['offhost.test', '/plain.html', 200],
           ['offhost.test', '/denied/x.html', 403], ['127.0.0.1', '/off/x.html', 200]) {
    my ($host, $path, $code) = @$c;
    my $r = random_id_key();
    my ($res, $e) = get($host, $path, "Apache=$r");
    ok t_cmp($res->code, $code, "tracking off ($host$path): $code");
    ok t_cmp($e->{id}, '-', "tracking off ($host$path): no USERTRACK_ID");
    ok t_cmp($e->{new}, '-', "tracking off ($host$path): no USERTRACK_NEW");
}
# a static ErrorDocument (internal redirect): both requests carry the same ID and NEW
{
    my ($res, $e) = get('env.test', '/no-such-page.html');
    my ($id) = ((set_cookies($res))[0] // '') =~ /^Apache=($ID_RE); path=\/$/;
    $id //= 'none';
    ok t_cmp($res->code, 404, 'ErrorDocument: 404');
    ok t_cmp(scalar set_cookies($res), 1, 'ErrorDocument: one Set-Cookie');
    ok t_cmp(join('|', map { $_ // '' } @$e{qw(id new orig_id orig_new)}), "$id|1|$id|1",
             'ErrorDocument: USERTRACK_ID and USERTRACK_NEW=1 in the original and the redirected request');
}
