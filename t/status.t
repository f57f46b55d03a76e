# Cookie on non-200 responses and other request forms: 404, mod_dir
# trailing-slash redirect, per-dir RewriteRule [R], HEAD, HTTP/1.0, 304.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

plan tests => 40, need_module 'mod_usertrack.c', need_module 'mod_dir.c', need_module 'mod_rewrite.c',
    need_module 'mod_headers.c';

my $port = Apache::Test::vars('port');

sub one_cookie {
    my ($res, $tag, $what) = @_;
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, "$what: exactly one Set-Cookie");
    my ($id) = ($sc[0] // '') =~ /^Apache=($ID_RE); path=\/$/;
    ok t_cmp($id // 'no match', qr/^$ID_RE$/, "$what: Set-Cookie shape");
    ok t_cmp((log_entry($tag) // {})->{cookie}, $id // 'none', "$what: %{cookie}n is the value");
    return $id;
}

# 404
{
    my $tag = new_tag('404');
    my $res = req(GET => '/no-such-file.html', tag => $tag);
    ok t_cmp($res->code, 404, '404');
    one_cookie($res, $tag, '404');
    my $tag2 = new_tag('404-return');
    my $res2 = req(GET => '/no-such-file.html', tag => $tag2, headers => [Cookie => 'Apache=r.404']);
    ok t_cmp(scalar set_cookies($res2), 0, '404 return visit: no Set-Cookie');
    ok t_cmp((log_entry($tag2) // {})->{cookie}, 'r.404', '404 return visit: note');
}

# mod_dir trailing-slash redirect
{
    my $tag = new_tag('dirslash');
    my $res = req(GET => '/dir', tag => $tag);
    ok t_cmp($res->code, 301, 'mod_dir: /dir redirects');
    ok t_cmp($res->header('Location') // '', qr{/dir/$}, 'mod_dir: Location ends in /dir/');
    one_cookie($res, $tag, 'mod_dir redirect');
}

# per-dir RewriteRule [R]
{
    my $tag = new_tag('rewrite-r');
    my $res = req(GET => '/rw/old.html', tag => $tag);
    ok t_cmp($res->code, 302, 'RewriteRule [R]: 302');
    ok t_cmp($res->header('Location') // '', qr{/rw/new\.html$}, 'RewriteRule [R]: Location');
    one_cookie($res, $tag, 'RewriteRule [R] redirect');
}

# HEAD
{
    my $tag = new_tag('head');
    my $res = req(HEAD => '/plain.html', tag => $tag);
    ok t_cmp($res->code, 200, 'HEAD: 200');
    one_cookie($res, $tag, 'HEAD');
}

# HTTP/1.0 (raw) also checks the header position: right after Date and Server
{
    my $tag = new_tag('http10');
    my $res = raw_request("GET /plain.html HTTP/1.0\nX-Test-Tag: $tag\n\n");
    ok t_cmp($res->{status}, 200, 'HTTP/1.0: 200');
    one_cookie($res, $tag, 'HTTP/1.0');
    my @names = map { lc $_->[0] } @{ $res->{headers} };
    ok t_cmp(join(',', @names[0 .. 2]), 'date,server,set-cookie',
             'HTTP/1.0: Set-Cookie follows Date and Server (err_headers_out first)');
    my $tag2 = new_tag('http10-return');
    my $res2 = raw_request("GET /plain.html HTTP/1.0\nX-Test-Tag: $tag2\nCookie: Apache=r.http10\n\n");
    ok t_cmp(scalar set_cookies($res2), 0, 'HTTP/1.0 return visit: no Set-Cookie');
    ok t_cmp((log_entry($tag2) // {})->{cookie}, 'r.http10', 'HTTP/1.0 return visit: note');
}

# 304 Not Modified still carries the cookie (err_headers_out)
{
    my $first = req(GET => '/plain.html', headers => [Cookie => 'Apache=r.lm']);
    my $lm = $first->header('Last-Modified') // '';
    ok t_cmp($lm, qr/GMT$/, '304: got Last-Modified');
    my $tag = new_tag('304');
    my $res = req(GET => '/plain.html', tag => $tag, headers => ['If-Modified-Since' => $lm]);
    ok t_cmp($res->code, 304, '304: conditional GET');
    one_cookie($res, $tag, '304');
}

# OPTIONS also gets a cookie (raw)
{
    my $tag = new_tag('options');
    my $res = raw_request("OPTIONS /plain.html HTTP/1.1\nHost: 127.0.0.1\nConnection: close\nX-Test-Tag: $tag\n\n");
    ok t_cmp($res->{status}, 200, 'OPTIONS: 200');
    one_cookie($res, $tag, 'OPTIONS');
}

# another module's Set-Cookie (mod_headers) is kept: both headers present
{
    my $tag = new_tag('other');
    my $res = req(GET => '/other/x.html', tag => $tag);
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 2, 'with mod_headers Set-Cookie: two Set-Cookie headers');
    ok t_cmp(scalar(grep { $_ eq 'other=1; path=/' } @sc), 1, 'the other Set-Cookie is kept');
    my ($ours) = grep { /^Apache=/ } @sc;
    ok t_cmp($ours // '', qr/^Apache=$ID_RE; path=\/$/, 'ours is there too');
    my ($id) = ($ours // '') =~ /^Apache=($ID_RE);/;
    ok t_cmp((log_entry($tag) // {})->{cookie}, $id // 'none', 'note is our value');
}
