# Issue 9: the new directives merge per directory like the stock ones
# (newmerge.test: CookieIDFormat uuid, CookieValidate on, CookiePath /newmerge at
# vhost level; <Directory>, <Location>, <Files>, <If>, .htaccess override one each).
# Signing and CookieInject in sections: t/sign.t, t/inject.t.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

my $BAD = 'bad!value';
# [path, format regex, path=, validate on?, what, renew on?]
my @cases = (
    ['/newmerge/x.html',              $UUID4_RE,  '/newmerge',      1, 'vhost level'],
    ['/newmerge/legacy/x.html',       $LEGACY_RE, '/newmerge',      1, '<Directory> CookieIDFormat legacy'],
    ['/newmerge/novalidate/x.html',   $UUID4_RE,  '/newmerge',      0, '<Location> CookieValidate off'],
    ['/newmerge/path/x.html',         $UUID4_RE,  '/newmerge/path', 1, '<Location> CookiePath'],
    ['/newmerge/u7.html',             $UUID7_RE,  '/newmerge',      1, '<Files> CookieIDFormat uuid7'],
    ['/newmerge/ht/x.html',           $UUID7_RE,  '/newmerge/ht',   1, '.htaccess CookieIDFormat uuid7 + CookiePath', 1],
    ['/newmerge/ht/inner/x.html',     $ID_RE,     '/newmerge/ht',   0, 'nested .htaccess CookieIDFormat apache + CookieValidate off', 1],
    ['/newmerge/x.html',              $UUID4_RE,  '/newmerge',      1, 'vhost level again (no leak)'],
);

plan tests => 5 * @cases + 6, need_module 'mod_usertrack.c';

for my $c (@cases) {
    my ($path, $re, $cpath, $validate, $what, $renew) = @$c;
    my $tag = new_tag('newmerge');
    my $res = req(GET => $path, host => 'newmerge.test', tag => $tag);
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, "$what: one Set-Cookie");
    my ($v) = ($sc[0] // '') =~ /^Apache=($re); path=\Q$cpath\E$/;
    ok t_cmp($v // ($sc[0] // 'none'), qr/^$re$/, "$what: format and path=$cpath ($path)");
    ok t_cmp((log_entry($tag) // {})->{cookie}, $v // 'none', "$what: note");
    # a value of no format: rejected where CookieValidate is on, kept where off
    $tag = new_tag('newmerge');
    $res = req(GET => $path, host => 'newmerge.test', tag => $tag, headers => [Cookie => "Apache=$BAD"]);
    my @sc2 = set_cookies($res);
    if ($validate) {
        ok t_cmp($sc2[0] // 'none', qr/^Apache=$re; path=\Q$cpath\E$/, "$what: CookieValidate on: bad value replaced");
    } elsif ($renew) {
        ok t_cmp("@sc2", "Apache=$BAD; path=$cpath", "$what: CookieValidate off: bad value kept (and renewed)");
    } else {
        ok t_cmp(scalar @sc2, 0, "$what: CookieValidate off: bad value kept, no Set-Cookie");
    }
    ok t_cmp((log_entry($tag) // {})->{cookie}, $validate ? qr/^$re$/ : $BAD, "$what: note with a bad value");
}

# CookieRenew from <If> (query string "renew"), and from .htaccess (newmerge/ht)
{
    my $u = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';
    my $res = req(GET => '/newmerge/x.html', host => 'newmerge.test', headers => [Cookie => "Apache=$u"]);
    ok t_cmp(scalar set_cookies($res), 0, 'no CookieRenew at vhost level: returning visitor gets nothing');
    $res = req(GET => '/newmerge/x.html?renew', host => 'newmerge.test', headers => [Cookie => "Apache=$u"]);
    ok t_cmp((set_cookies($res))[0] // '', "Apache=$u; path=/newmerge", '<If> CookieRenew on: value re-sent');
    $res = req(GET => '/newmerge/ht/x.html', host => 'newmerge.test', headers => [Cookie => "Apache=$u"]);
    ok t_cmp((set_cookies($res))[0] // '', "Apache=$u; path=/newmerge/ht", '.htaccess CookieRenew on: value re-sent (uuid kept by validation)');
    $res = req(GET => '/newmerge/ht/inner/x.html', host => 'newmerge.test', headers => [Cookie => "Apache=$u"]);
    ok t_cmp((set_cookies($res))[0] // '', "Apache=$u; path=/newmerge/ht", 'nested .htaccess: CookieRenew inherited from the outer one');
    $res = req(GET => '/newmerge/legacy/x.html?renew', host => 'newmerge.test', headers => [Cookie => "Apache=$u"]);
    ok t_cmp((set_cookies($res))[0] // '', "Apache=$u; path=/newmerge", '<Directory> + <If>: renew, uuid kept under CookieIDFormat legacy');
    # other hosts unaffected: the main server keeps the stock shape and path
    $res = req(GET => '/plain.html');
    ok t_cmp((set_cookies($res))[0] // '', qr/^Apache=$ID_RE; path=\/$/, 'main server after newmerge.test requests: stock shape');
}
