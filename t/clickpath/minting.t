# ClickPath: a new visitor gets a session in every link; following a link continues it;
# the session is stripped before mod_alias sees the URI; Referer, host and port are kept
# as the request had them (quirks 2 and 3 fixed); tampered and expired IDs start anew.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use ClickPathTest;

plan tests => 40, need_module 'mod_usertrack.c';

my $port = Apache::Test::vars('port');

# --- a first visit mints a session
my $res = cp_get('/clickpath/env.shtml');
ok t_cmp($res->code, 200, 'first visit: 200');
my $body = $res->content;
my $env = env_of($body);
my $id = $env->{SESSION} // '';
ok t_cmp($id, qr/^$ID_RE$/, 'SESSION is a new ID of this machine');
ok t_cmp($env->{CGI_SESSION}, "/-S:$id", 'CGI_SESSION = /prefix + ID');
ok t_cmp($env->{SESSION_AGE}, 0, 'SESSION_AGE 0');
ok abs(($env->{SESSION_START} // 0) - time) <= 5;
ok t_cmp($env->{HTTP_REFERER}, '(none)', 'no Referer stays none');
ok t_cmp($body, qr{href="/-S:\Q$id\E/clickpath/next\.html">abs}, 'root-relative link gets the session');
ok t_cmp($body, qr{href="/-S:\Q$id\E/clickpath/next\.html">rel}, 'relative link: session + base');
ok t_cmp($body, qr{href="http://elsewhere\.example/x"}, 'other host unchanged');
ok t_cmp($body, qr{action="/-S:\Q$id\E/clickpath/post\.cgi"}, 'form action');

# --- following a link continues the session
my $referer = "http://clickpath.test:$port/-S:$id/clickpath/env.shtml";
$res = cp_get("/-S:$id/clickpath/env.shtml?x=1", headers => [Referer => $referer]);
ok t_cmp($res->code, 200, 'continued: 200');
$body = $res->content;
$env = env_of($body);
ok t_cmp($env->{SESSION}, $id, 'same SESSION');
ok t_cmp($env->{CGI_SESSION}, "/-S:$id", 'same CGI_SESSION');
ok $env->{SESSION_AGE} >= 0 && $env->{SESSION_AGE} <= 5;
ok t_cmp($env->{HTTP_REFERER}, "http://clickpath.test:$port/clickpath/env.shtml", 'Referer without the session');
ok t_cmp($env->{SERVER_PORT}, $port, 'the port is kept (quirk 3 fixed)');
ok t_cmp($body, qr{href="/-S:\Q$id\E/clickpath/next\.html">abs}, 'existing session: root-relative link');
ok t_cmp($body, qr{href="next\.html">rel}, 'existing session: relative link unchanged');

# --- the URI mod_alias sees has no session; mod_dir finds the index
$res = cp_get("/-S:$id/aliased/env.shtml");
ok t_cmp($res->code, 200, 'Alias on a session URL');
ok t_cmp(env_of($res->content)->{SESSION}, $id, 'Alias: same session');
$res = cp_get("/-S:$id/clickpath/dir/");
ok t_cmp(env_of($res->content)->{SESSION}, $id, 'DirectoryIndex sub-request: same session');
ok t_cmp($res->content, qr{href="/-S:\Q$id\E/clickpath/next\.html">abs}, 'DirectoryIndex: links rewritten');

# --- a tampered ID is a CRC failure (notice) and a new session
my $notices = error_log_count('Caught invalid session: CRC checksum failed');
(my $tampered = $id) =~ s/^(s9NNNd:)(.)/$1 . ($2 eq 'A' ? 'B' : 'A')/e;
$res = cp_get("/-S:$tampered/clickpath/env.shtml");
$env = env_of($res->content);
ok t_cmp($env->{SESSION}, qr/^$ID_RE$/, 'tampered: a new ID');
ok $env->{SESSION} ne $tampered;
ok t_cmp($env->{EXPIRED_SESSION}, '(none)', 'tampered: not expired');
ok t_cmp(error_log_count('Caught invalid session: CRC checksum failed'), $notices + 1, 'tampered: one notice');

# --- IDs made from the spec in Perl are accepted; too old and future ones expire
my $made = make_id(time => time - 60, pid => 4242, counter => 7);
$env = env_of(cp_get("/-S:$made/clickpath/env.shtml")->content);
ok t_cmp($env->{SESSION}, $made, 'an ID made in Perl is accepted');
ok $env->{SESSION_AGE} >= 60 && $env->{SESSION_AGE} <= 65;
my $old = make_id(time => time - 7200);
$env = env_of(cp_get("/-S:$old/clickpath/env.shtml")->content);
ok t_cmp($env->{EXPIRED_SESSION}, $old, 'older than ClickPathMaxSessionAge: EXPIRED_SESSION');
ok $env->{SESSION} ne $old;
my $future = make_id(time => time + 600);
ok t_cmp(env_of(cp_get("/-S:$future/clickpath/env.shtml")->content)->{EXPIRED_SESSION}, $future, 'from the future: expired');
# without ClickPathMaxSessionAge (clickpath-cookie.test) age has no limit, but the future still
# expires (quirk 12: clock skew between farm machines)
my $ancient = make_id(time => time - 10 * 365 * 86400);
ok t_cmp(env_of(cp_get("/-S:$ancient/clickpath/env.shtml", host => 'clickpath-cookie.test')->content)->{SESSION}, $ancient,
         'no max age: a ten-year-old session continues');
ok t_cmp(env_of(cp_get("/-S:$future/clickpath/env.shtml", host => 'clickpath-cookie.test')->content)->{EXPIRED_SESSION}, $future,
         'no max age: one from the future still expires');

# --- hostile URLs
ok t_cmp(cp_get('/-S:/clickpath/env.shtml')->code, 404, 'empty ID: no session, 404');
# a 3,000-character ID and garbage are stripped, fail the CRC (one notice each) and start anew
for my $bad ('A' x 3000, '!!garbage**') {
    my $label = length $bad > 100 ? '3,000-character ID' : 'garbage after the prefix';
    $notices = error_log_count('Caught invalid session: CRC checksum failed');
    $res = cp_get("/-S:$bad/clickpath/env.shtml");
    ok t_cmp($res->code, 200, "$label: stripped, 200");
    ok t_cmp(env_of($res->content)->{SESSION}, qr/^$ID_RE$/, "$label: a new session");
    ok t_cmp(error_log_count('Caught invalid session: CRC checksum failed'), $notices + 1, "$label: a CRC notice");
}
