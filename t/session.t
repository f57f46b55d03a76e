# Issue 9: Apache::Session::Flex with Generate => 'ModUsertrack' from a CGI
# (t/htdocs/cgi/session.cgi), CookieIDFormat legacy + CookieInject on
# (session.test): the first visit creates the session under the visitor's ID,
# the second restores it, a new visitor with other cookies gets a fresh one.
# Without CookieInject (session-noinject.test) the first visit fails, as the
# Perl module documents.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use File::Path ();
use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

plan tests => 8 + 5 + 6 + 2,
    need_module 'mod_usertrack.c', need_cgi,
    need_module 'mod_env.c',
    need { 'Apache::Session (libapache-session-perl)' =>
               eval { require Apache::Session::Flex; require Apache::Session::Generate::ModUsertrack; 1 } };

my $dir = Apache::Test::vars('t_logs') . '/sessions';
File::Path::rmtree($dir);
File::Path::mkpath($dir);
chmod 0755, $dir;

sub visit {
    my ($host, $query, $cookie) = @_;
    my $res = req(GET => "/cgi/session.cgi?$query", host => $host,
                  headers => [defined $cookie ? (Cookie => $cookie) : ()]);
    my @sc = set_cookies($res);
    my ($value) = @sc == 1 ? $sc[0] =~ /^Apache=([^;]+); path=\/$/ : ();
    return ($res, cgi_vars($res), $value, \@sc);
}

my $token1 = 'tok' . int rand 1e9;
my $token2 = 'tok' . int rand 1e9;
my $token3 = 'tok' . int rand 1e9;

# first visit: no cookie
my ($res, $v, $id) = visit('session.test', "token=$token1");
ok t_cmp($res->code, 200, 'first visit: 200');
ok t_cmp($id // 'no Set-Cookie', qr/^$LEGACY_RE$/, 'first visit: a legacy ID is set');
$id //= 'none';
ok t_cmp($v->{state}, 'created', "first visit: session created (" . ($v->{error} // '') . ')');
ok t_cmp($v->{session_id}, $id, 'first visit: the session ID is the Set-Cookie value');
ok t_cmp($v->{stored}, $token1, 'first visit: value stored');
ok t_cmp(-f "$dir/$id" ? 1 : 0, 1, 'first visit: session file written under the ID');
ok t_cmp($v->{session_id} // '', qr/^[\d\w\.]+\.\d+$/, 'first visit: the ID passes Generate::ModUsertrack::validate');
ok t_cmp(scalar(() = glob("$dir/*")), 1, 'one session in the store');

# second visit: the cookie sent back
my $sc;
($res, $v, undef, $sc) = visit('session.test', "token=$token2", "Apache=$id");
ok t_cmp(scalar @$sc, 0, 'second visit: no Set-Cookie');
ok t_cmp($v->{state}, 'restored', 'second visit: session restored');
ok t_cmp($v->{session_id}, $id, 'second visit: same session ID');
ok t_cmp($v->{stored}, $token1, 'second visit: the value stored on the first visit');
ok t_cmp(scalar(() = glob("$dir/*")), 1, 'second visit: still one session');

# a new visitor who already carries other cookies
my $id3;
($res, $v, $id3) = visit('session.test', "token=$token3", 'lang=de; theme=dark');
ok t_cmp($id3 // 'no Set-Cookie', qr/^$LEGACY_RE$/, 'new visitor with other cookies: a legacy ID is set');
$id3 //= 'none';
ok t_cmp($id3 ne $id ? 1 : 0, 1, 'new visitor with other cookies: another ID');
ok t_cmp($v->{state}, 'created', 'new visitor with other cookies: a fresh session (' . ($v->{error} // '') . ')');
ok t_cmp($v->{session_id}, $id3, 'new visitor with other cookies: session ID is the new visitor ID');
ok t_cmp($v->{stored}, $token3, 'new visitor with other cookies: its own value');
ok t_cmp(scalar(() = glob("$dir/*")), 2, 'two sessions in the store');

# without CookieInject the first visit cannot get an ID
($res, $v, my $nid) = visit('session-noinject.test', 'token=x');
ok t_cmp($nid // 'none', qr/^$LEGACY_RE$/, 'without CookieInject: the module still sets a cookie');
ok t_cmp($v->{state}, 'error', 'without CookieInject: the first visit fails in Generate::ModUsertrack ("no cookie found")');
