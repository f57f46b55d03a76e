# Issue 9, CookieInject and the environment as an application sees them: a CGI
# prints HTTP_COOKIE, USERTRACK_ID, USERTRACK_NEW and the X-Visitor-ID request
# header mod_headers set from %{USERTRACK_ID}e; the response carries
# X-Visitor-ID/X-Visitor-New (Header always set ... %{...}e).  Also: rejected
# values removed before injecting, signed values injected with their tag,
# internal redirects (ErrorDocument, per-dir mod_rewrite) keep ID and NEW.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

plan tests => 11 + 4 + 8 + 5 + 9 + 4 + 4 + 7 + 2 + 9 + 2,
    need_module 'mod_usertrack.c', need_module 'mod_headers.c', need_cgi;

# the Cookie header's pairs, in order
sub pairs { my $h = shift // ''; return grep { length } split /;\s*/, $h }

sub cgi {
    my ($host, $path, $cookie, $tag) = @_;
    $tag //= new_tag('inject');
    my $res = req(GET => $path, host => $host, tag => $tag,
                  headers => [defined $cookie ? (Cookie => $cookie) : ()]);
    return ($res, cgi_vars($res), $tag);
}

sub one_value {
    my ($res, $re) = @_;
    my @sc = set_cookies($res);
    return undef unless @sc == 1;
    my ($v) = $sc[0] =~ /^Apache=($re); path=\/$/;
    return $v;
}

# --- a new visitor without any cookie: injected as a new header
{
    my ($res, $v, $tag) = cgi('inject.test', '/cgi/env.cgi');
    ok t_cmp($res->code, 200, 'new visitor: CGI ran');
    my $id = one_value($res, $ID_RE);
    ok t_cmp($id // 'none', qr/^$ID_RE$/, 'new visitor: one Set-Cookie with an ID');
    $id //= 'none';
    ok t_cmp($v->{HTTP_COOKIE}, "Apache=$id", 'new visitor: HTTP_COOKIE is Name=VALUE of the Set-Cookie');
    ok t_cmp($v->{USERTRACK_ID}, $id, 'new visitor: USERTRACK_ID');
    ok t_cmp($v->{USERTRACK_NEW}, '1', 'new visitor: USERTRACK_NEW=1');
    ok t_cmp($v->{HTTP_X_VISITOR_ID}, $id, 'new visitor: RequestHeader set X-Visitor-ID "%{USERTRACK_ID}e"');
    ok t_cmp($res->header('X-Visitor-ID'), $id, 'new visitor: Header set X-Visitor-ID "%{USERTRACK_ID}e"');
    ok t_cmp($res->header('X-Visitor-New'), '1', 'new visitor: Header set X-Visitor-New "%{USERTRACK_NEW}e"');
    ok t_cmp((log_entry($tag) // {})->{cookie}, $id, 'new visitor: %{cookie}n');
    my $e = env_entry($tag) // {};
    ok t_cmp($e->{id}, $id, 'new visitor: %{USERTRACK_ID}e logged');
    ok t_cmp($e->{new}, '1', 'new visitor: %{USERTRACK_NEW}e logged as 1');
}

# --- a new visitor with other cookies: appended with "; "
{
    my ($res, $v) = cgi('inject.test', '/cgi/env.cgi', 'a=1; b=two');
    my $id = one_value($res, $ID_RE);
    ok t_cmp($id // 'none', qr/^$ID_RE$/, 'new visitor with other cookies: one Set-Cookie');
    $id //= 'none';
    ok t_cmp($v->{HTTP_COOKIE}, "a=1; b=two; Apache=$id", 'new visitor with other cookies: appended with "; "');
    ok t_cmp($v->{USERTRACK_ID}, $id, 'new visitor with other cookies: USERTRACK_ID');
    ok t_cmp($v->{USERTRACK_NEW}, '1', 'new visitor with other cookies: USERTRACK_NEW=1');
}

# --- a returning visitor: nothing injected, nothing set
{
    my $r = random_id_key();
    my ($res, $v, $tag) = cgi('inject.test', '/cgi/env.cgi', "a=1; Apache=$r; b=2");
    ok t_cmp($res->code, 200, 'returning visitor: CGI ran');
    ok t_cmp(scalar set_cookies($res), 0, 'returning visitor: no Set-Cookie');
    ok t_cmp($v->{HTTP_COOKIE}, "a=1; Apache=$r; b=2", 'returning visitor: Cookie header untouched');
    ok t_cmp($v->{USERTRACK_ID}, $r, 'returning visitor: USERTRACK_ID');
    ok t_cmp($v->{USERTRACK_NEW}, '0', 'returning visitor: USERTRACK_NEW=0');
    ok t_cmp($v->{HTTP_X_VISITOR_ID}, $r, 'returning visitor: X-Visitor-ID request header');
    ok t_cmp($res->header('X-Visitor-ID'), $r, 'returning visitor: X-Visitor-ID response header');
    ok t_cmp($res->header('X-Visitor-New'), '0', 'returning visitor: X-Visitor-New response header');
}

# --- CookieInject off (default): environment only, Cookie header untouched
{
    my ($res, $v) = cgi('env.test', '/cgi/env.cgi');
    my $id = one_value($res, $ID_RE) // 'none';
    ok t_cmp($v->{HTTP_COOKIE}, '<unset>', 'CookieInject off, new visitor: no Cookie header');
    ok t_cmp($v->{USERTRACK_ID}, $id, 'CookieInject off, new visitor: USERTRACK_ID is the Set-Cookie value');
    ok t_cmp($v->{USERTRACK_NEW}, '1', 'CookieInject off, new visitor: USERTRACK_NEW=1');
    ($res, $v) = cgi('env.test', '/cgi/env.cgi', 'a=1');
    ok t_cmp($v->{HTTP_COOKIE}, 'a=1', 'CookieInject off, new visitor with a cookie: header untouched');
    ok t_cmp($v->{USERTRACK_NEW}, '1', 'CookieInject off, new visitor with a cookie: USERTRACK_NEW=1');
}

# --- internal redirect to a CGI (ErrorDocument 404 /cgi/env.cgi): same ID, same NEW
{
    my ($res, $v, $tag) = cgi('inject.test', '/no-such-page.html');
    ok t_cmp($res->code, 404, 'ErrorDocument CGI, new visitor: 404');
    my $id = one_value($res, $ID_RE);
    ok t_cmp($id // 'none', qr/^$ID_RE$/, 'ErrorDocument CGI, new visitor: exactly one Set-Cookie');
    $id //= 'none';
    ok t_cmp($v->{USERTRACK_ID}, $id, 'ErrorDocument CGI, new visitor: USERTRACK_ID in the redirected request');
    ok t_cmp($v->{USERTRACK_NEW}, '1', 'ErrorDocument CGI, new visitor: USERTRACK_NEW=1 in the redirected request');
    ok t_cmp($v->{REDIRECT_USERTRACK_ID}, $id, 'ErrorDocument CGI, new visitor: REDIRECT_USERTRACK_ID (first request)');
    ok t_cmp($v->{REDIRECT_USERTRACK_NEW}, '1', 'ErrorDocument CGI, new visitor: REDIRECT_USERTRACK_NEW=1');
    ok t_cmp(join('|', grep { /^Apache=/ } pairs($v->{HTTP_COOKIE})), "Apache=$id",
             'ErrorDocument CGI, new visitor: injected once');
    my $e = env_entry($tag) // {};
    ok t_cmp(join('|', map { $_ // '' } @$e{qw(id new orig_id orig_new)}), "$id|1|$id|1",
             'ErrorDocument CGI, new visitor: logged env of the final and the original request');
    ok t_cmp($res->header('X-Visitor-New'), '1', 'ErrorDocument CGI, new visitor: X-Visitor-New');
}
{
    my $r = random_id_key();
    my ($res, $v, $tag) = cgi('inject.test', '/no-such-page.html', "Apache=$r");
    ok t_cmp(scalar set_cookies($res), 0, 'ErrorDocument CGI, returning visitor: no Set-Cookie');
    ok t_cmp($v->{USERTRACK_ID}, $r, 'ErrorDocument CGI, returning visitor: USERTRACK_ID');
    ok t_cmp($v->{USERTRACK_NEW}, '0', 'ErrorDocument CGI, returning visitor: USERTRACK_NEW=0');
    my $e = env_entry($tag) // {};
    ok t_cmp(join('|', map { $_ // '' } @$e{qw(id new orig_id orig_new)}), "$r|0|$r|0",
             'ErrorDocument CGI, returning visitor: logged env of both requests');
}
# per-dir mod_rewrite internal rewrite (/rw/alias.html -> new.html)
{
    my $tag = new_tag('inject-rw');
    my $res = req(GET => '/rw/alias.html', host => 'env.test', tag => $tag);
    my $id = one_value($res, $ID_RE) // 'none';
    ok t_cmp($res->content, qr/rewrite target/, 'mod_rewrite internal redirect: target served');
    ok t_cmp($id, qr/^$ID_RE$/, 'mod_rewrite internal redirect: one Set-Cookie');
    my $e = env_entry($tag) // {};
    ok t_cmp(join('|', map { $_ // '' } @$e{qw(id new orig_id orig_new)}), "$id|1|$id|1",
             'mod_rewrite internal redirect, new visitor: same ID and NEW=1 in both requests');
    $tag = new_tag('inject-rw');
    my $r = random_id_key();
    req(GET => '/rw/alias.html', host => 'env.test', tag => $tag, headers => [Cookie => "Apache=$r"]);
    $e = env_entry($tag) // {};
    ok t_cmp(join('|', map { $_ // '' } @$e{qw(id new orig_id orig_new)}), "$r|0|$r|0",
             'mod_rewrite internal redirect, returning visitor: same ID and NEW=0 in both requests');
}

# --- rejected values (CookieValidate on) are removed, the new pair appended
{
    my ($res, $v, $tag) = cgi('inject-validate.test', '/cgi/env.cgi',
                              'a=1; Apache=bad!one; b=2; Apache=bad<two>');
    my $id = one_value($res, $ID_RE);
    ok t_cmp($id // 'none', qr/^$ID_RE$/, 'rejected value: a new ID is set');
    $id //= 'none';
    my @p = pairs($v->{HTTP_COOKIE});
    ok t_cmp(join('|', grep { /^Apache=/ } @p), "Apache=$id", 'rejected values: the application sees exactly one Apache= pair, the new one');
    ok t_cmp(join('|', grep { !/^Apache=/ } @p), 'a=1|b=2', 'rejected values: the other cookies kept');
    ok t_cmp($p[-1] // '', "Apache=$id", 'rejected values: the new pair is appended last');
    ok t_cmp($v->{USERTRACK_ID}, $id, 'rejected value: USERTRACK_ID is the new ID');
    ok t_cmp($v->{USERTRACK_NEW}, '1', 'rejected value: USERTRACK_NEW=1');
    ok t_cmp((log_entry($tag) // {})->{cookie}, $id, 'rejected value: the note is the new ID');
}
{
    my ($res, $v) = cgi('inject-validate.test', '/cgi/env.cgi', 'Apache=rejected!only');
    my $id = one_value($res, $ID_RE) // 'none';
    ok t_cmp($v->{HTTP_COOKIE}, "Apache=$id", 'the only pair rejected: replaced by the new pair');
    my $r = random_id_key();
    ($res, $v) = cgi('inject-validate.test', '/cgi/env.cgi', "Apache=$r; z=9");
    ok t_cmp($v->{HTTP_COOKIE}, "Apache=$r; z=9", 'a valid value with CookieValidate on: header untouched');
}

# --- signed values are injected with their tag; env and notes hold the bare ID
{
    my ($res, $v, $tag) = cgi('inject-signed.test', '/cgi/env.cgi', 'c=3');
    my @sc = set_cookies($res);
    my ($value, $id) = ($sc[0] // '') =~ /^Apache=(($ID_RE)~$TAG_RE); path=\/$/;
    ok t_cmp(scalar(@sc) == 1 && defined $value ? 1 : 0, 1, "signed: one Set-Cookie ID~TAG (@sc)");
    $value //= 'none'; $id //= 'none';
    ok t_cmp($v->{HTTP_COOKIE}, "c=3; Apache=$value", 'signed: the injected value is the Set-Cookie value, tag included');
    ok t_cmp($v->{USERTRACK_ID}, $id, 'signed: USERTRACK_ID is the ID without the tag');
    ok t_cmp((log_entry($tag) // {})->{cookie}, $id, 'signed: the note is the ID without the tag');
    # send it back: accepted as is
    ($res, $v, $tag) = cgi('inject-signed.test', '/cgi/env.cgi', "Apache=$value");
    ok t_cmp(scalar set_cookies($res), 0, 'signed, returning: no Set-Cookie');
    ok t_cmp($v->{HTTP_COOKIE}, "Apache=$value", 'signed, returning: header untouched');
    ok t_cmp(join('|', $v->{USERTRACK_ID} // '', $v->{USERTRACK_NEW} // ''), "$id|0", 'signed, returning: USERTRACK_ID, USERTRACK_NEW=0');
    # a forged tag: removed and replaced
    (my $forged = $value) =~ s/~.*$/~AAAAAAAAAAAAAAAAAAAAAA/;
    ($res, $v) = cgi('inject-signed.test', '/cgi/env.cgi', "Apache=$forged; d=4");
    @sc = set_cookies($res);
    my ($new) = ($sc[0] // '') =~ /^Apache=($ID_RE~$TAG_RE); path=\/$/;
    $new //= 'none';
    ok t_cmp(join('|', pairs($v->{HTTP_COOKIE})), "d=4|Apache=$new", 'forged tag: removed, the new signed pair appended');
    ok t_cmp($new ne $value && $new ne $forged ? 1 : 0, 1, 'forged tag: a new value');
}

# --- CookieInject merged from <If> (newmerge.test: off, on for ?inject)
{
    my ($res, $v) = cgi('newmerge.test', '/cgi/env.cgi');
    ok t_cmp($v->{HTTP_COOKIE}, '<unset>', 'newmerge.test: CookieInject off at vhost level');
    ($res, $v) = cgi('newmerge.test', '/cgi/env.cgi?inject');
    my ($id) = ((set_cookies($res))[0] // '') =~ /^Apache=($UUID4_RE); path=\/newmerge$/;
    ok t_cmp($v->{HTTP_COOKIE}, 'Apache=' . ($id // 'none'), 'newmerge.test: CookieInject on from <If>, with the vhost\'s format and path');
}
