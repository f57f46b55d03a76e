# First visit mints a cookie of the right shape; a return visit does not;
# the notes (cookie, and the cookie-name note) carry the ID into the log.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

plan tests => 30, need_module 'mod_usertrack.c';

my $t0 = time;

# --- first visit, default settings
my $tag = new_tag('first');
my $res = req(GET => '/plain.html', tag => $tag);
ok t_cmp($res->code, 200, 'first visit: 200');
my @sc = set_cookies($res);
ok t_cmp(scalar @sc, 1, 'first visit: exactly one Set-Cookie');
my $h = $sc[0] // '';
ok t_cmp($h, qr/^Apache=$ID_RE; path=\/$/, 'first visit: Set-Cookie shape "Apache=<hex>.<hex>; path=/"');
my ($id) = $h =~ /^Apache=($ID_RE);/;
$id //= '';
ok t_cmp(scalar set_cookie2s($res), 0, 'first visit: no Set-Cookie2');
my $it = id_time($id) // 0;
ok $it >= $t0 - 5 && $it <= time + 5;
t_debug("id $id encodes request time $it (test started $t0)");

my $e = log_entry($tag) // {};
ok t_cmp($e->{cookie}, $id, 'log: %{cookie}n is the minted value');
ok t_cmp($e->{apache}, $id, 'log: %{Apache}n is the minted value (note named after the cookie)');
ok t_cmp($e->{status}, 200, 'log: status');

# --- a second first visit gets a different ID
my $tag2 = new_tag('second');
my $res2 = req(GET => '/plain.html', tag => $tag2);
my ($id2) = (set_cookies($res2))[0] =~ /^Apache=($ID_RE);/;
ok t_cmp(scalar set_cookies($res2), 1, 'second visitor: one Set-Cookie');
ok defined $id2 && $id2 ne $id;

# --- return visit: cookie sent back, no new cookie, note = sent value
my $tag3 = new_tag('return');
my $res3 = req(GET => '/plain.html', tag => $tag3, headers => [Cookie => "Apache=$id"]);
ok t_cmp($res3->code, 200, 'return visit: 200');
ok t_cmp(scalar set_cookies($res3), 0, 'return visit: no Set-Cookie');
my $e3 = log_entry($tag3) // {};
ok t_cmp($e3->{cookie}, $id, 'return visit: %{cookie}n is the sent value');
ok t_cmp($e3->{apache}, $id, 'return visit: %{Apache}n is the sent value');

# --- return visit with a made-up value: accepted as is
my $tag4 = new_tag('return-other');
my $res4 = req(GET => '/plain.html', tag => $tag4, headers => [Cookie => 'Apache=whatever.value']);
ok t_cmp(scalar set_cookies($res4), 0, 'any value is accepted: no Set-Cookie');
ok t_cmp((log_entry($tag4) // {})->{cookie}, 'whatever.value', 'any value is logged verbatim');

# --- CookieName: name.test uses "thename"
my $tag5 = new_tag('name');
my $res5 = req(GET => '/plain.html', host => 'name.test', tag => $tag5);
my @sc5 = set_cookies($res5);
ok t_cmp(scalar @sc5, 1, 'CookieName: one Set-Cookie');
ok t_cmp($sc5[0] // '', qr/^thename=$ID_RE; path=\/$/, 'CookieName: "thename=<id>; path=/"');
my ($id5) = ($sc5[0] // '') =~ /^thename=($ID_RE);/;
$id5 //= 'none';
my $e5 = log_entry($tag5) // {};
ok t_cmp($e5->{cookie},  $id5, 'CookieName: %{cookie}n is the value');
ok t_cmp($e5->{thename}, $id5, 'CookieName: %{thename}n is the value');
ok t_cmp($e5->{apache},  '-',  'CookieName: no %{Apache}n note');

my $tag6 = new_tag('name-return');
my $res6 = req(GET => '/plain.html', host => 'name.test', tag => $tag6,
               headers => [Cookie => "thename=$id5"]);
ok t_cmp(scalar set_cookies($res6), 0, 'CookieName return visit: no Set-Cookie');
my $e6 = log_entry($tag6) // {};
ok t_cmp($e6->{cookie},  $id5, 'CookieName return visit: %{cookie}n');
ok t_cmp($e6->{thename}, $id5, 'CookieName return visit: %{thename}n');

my $tag7 = new_tag('name-wrong');
my $res7 = req(GET => '/plain.html', host => 'name.test', tag => $tag7,
               headers => [Cookie => "Apache=$id5"]);
my @sc7 = set_cookies($res7);
ok t_cmp(scalar @sc7, 1, 'CookieName: an "Apache" cookie is not ours: new cookie');
ok t_cmp($sc7[0] // '', qr/^thename=$ID_RE; path=\/$/, 'CookieName: new cookie shape');
my ($id7) = ($sc7[0] // '') =~ /^thename=($ID_RE);/;
ok t_cmp((log_entry($tag7) // {})->{cookie}, $id7 // 'none', 'CookieName: note is the new value');

# --- default vhost by Host name too (name-based vhost selection works)
my $tag8 = new_tag('hostname');
my $res8 = req(GET => '/plain.html', host => 'unknown-host.test', tag => $tag8);
ok t_cmp($res8->code, 200, 'unknown Host: served by the default host');
ok t_cmp(scalar set_cookies($res8), 1, 'unknown Host: one Set-Cookie');
ok t_cmp((log_entry($tag8) // {})->{vhost}, '127.0.0.1', 'unknown Host: default vhost');
