# Deliberate differences 1 and 2: per-directory sections merge with the
# enclosing scope, CookieExpires is per-directory and never leaks.
# (Fails against the stock module, which resets sections to defaults and keeps
# CookieExpires per server.)
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

# merge.test: CookieTracking on, CookieStyle Cookie, CookieDomain .example.com, CookieExpires 3600
my @cases = (
    ['/merge/x.html',             'Apache=V; path=/; max-age=3600; domain=.example.com',       'vhost level'],
    ['/merge/named/x.html',       'mergename=V; path=/; max-age=3600; domain=.example.com',    '<Directory> with only CookieName'],
    ['/merge/secure/x.html',      'Apache=V; path=/; max-age=3600; domain=.example.com; Secure', '<Location> with only CookieSecure'],
    ['/merge/files.html',         'filescookie=V; path=/; max-age=3600; domain=.example.com',  '<Files> with only CookieName'],
    ['/merge/x.html?x=1',         'Apache=V; path=/; max-age=3600; domain=.example.com; SameSite=Strict', '<If> with only CookieSameSite'],
    ['/merge/named/x.html?x',     'mergename=V; path=/; max-age=3600; domain=.example.com; SameSite=Strict', '<Directory> + <If>'],
    ['/merge/secure/x.html?x',    'Apache=V; path=/; max-age=3600; domain=.example.com; SameSite=Strict; Secure', '<Location> + <If>'],
    ['/merge/ht/httponly/x.html', 'Apache=V; path=/; max-age=3600; domain=.example.com; HttpOnly', '.htaccess with only CookieHTTPOnly'],
    ['/merge/ht/expires/x.html',  'Apache=V; path=/; max-age=60; domain=.example.com',          '.htaccess with only CookieExpires'],
    ['/merge/locexp/x.html',      'Apache=V; path=/; max-age=120; domain=.example.com',         '<Location> with only CookieExpires'],
    ['/merge/x.html',             'Apache=V; path=/; max-age=3600; domain=.example.com',       'vhost level again (no leak)'],
);

plan tests => 3 * @cases + 2 * 4 + 6, need_module 'mod_usertrack.c';

sub check {
    my ($host, $path, $tmpl, $what, %o) = @_;
    my $tag = new_tag('merge');
    my $res = req(GET => $path, host => $host, tag => $tag, %o);
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, "$what ($path): one Set-Cookie");
    my ($name) = $tmpl =~ /^([^=]+)=/;
    my ($v) = ($sc[0] // '') =~ /^\Q$name\E=($ID_RE);/;
    $v //= 'NO-ID';
    (my $want = $tmpl) =~ s/=V;/=$v;/;
    ok t_cmp($sc[0] // '', $want, "$what ($path): header");
    ok t_cmp((log_entry($tag) // {})->{cookie}, $v, "$what ($path): note");
}

check('merge.test', @$_) for @cases;

# CookieExpires from an .htaccess must not leak into later requests handled by
# the same child: one keep-alive connection (stock prefork would leak it).
keepalive_agent();
my @leak_tags;
for my $step (['/merge/x.html', 3600], ['/merge/ht/expires/x.html', 60],
              ['/merge/x.html', 3600], ['/merge/locexp/x.html', 120]) {
    my ($path, $age) = @$step;
    my $tag = new_tag('leak');
    push @leak_tags, $tag;
    my $res = req(GET => $path, host => 'merge.test', tag => $tag, same_agent => 1);
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, "keep-alive $path: one Set-Cookie");
    ok t_cmp($sc[0] // '', qr/^Apache=$ID_RE; path=\/; max-age=$age; domain=\.example\.com$/,
             "keep-alive $path: max-age=$age");
}
# the four requests really shared one connection, hence one child
my %leak_pids = map { ((log_entry($_) // {})->{pid} // 'none') => 1 } @leak_tags;
ok t_cmp(join(',', sort keys %leak_pids), qr/^\d+$/, 'keep-alive requests were served by one child');

# ... nor into other hosts: the main server has no expiry
{
    my $res = req(GET => '/plain.html');
    ok t_cmp((set_cookies($res))[0] // '', qr/^Apache=$ID_RE; path=\/$/,
             'main server after merge.test requests: session cookie');
}

# A vhost with only CookieName inherits CookieTracking on from the main server
{
    my $tag = new_tag('inherit');
    my $res = req(GET => '/plain.html', host => 'inherit.test', tag => $tag);
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, 'vhost with only CookieName: tracking inherited, one Set-Cookie');
    ok t_cmp($sc[0] // '', qr/^inherited=$ID_RE; path=\/$/, 'vhost with only CookieName: header');
    my ($v) = ($sc[0] // '') =~ /^inherited=($ID_RE);/;
    my $e = log_entry($tag) // {};
    ok t_cmp($e->{cookie}, $v // 'none', 'vhost with only CookieName: %{cookie}n');
    my $res2 = req(GET => '/plain.html', host => 'inherit.test', headers => [Cookie => "inherited=" . ($v // "none")]);
    ok t_cmp(scalar set_cookies($res2), 0, 'vhost with only CookieName: return visit');
}
