# ClickPath sessions beyond the basics: friendly sessions from a partner's Referer, secrets
# (the spec's worked example accepted; a file secret with an IV), a farm table that lacks this
# server (quirk 11), a vhost with only a max age (no sessions), and hostile URLs.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use ClickPathTest;

plan tests => 29, need_module 'mod_usertrack.c';

my $env_page = '/clickpath/env.shtml';

# --- a partner's Referer becomes a friendly session, carried in the new ID
my $res = cp_get($env_page, headers => [Referer => 'http://partner.example/cart/item?x=1;sid=4711']);
my $env = env_of($res->content);
ok t_cmp($res->content, qr/^REMOTE_SESSION=cart\nsid=4711$/m, 'REMOTE_SESSION from the Referer (two lines)');
ok t_cmp($env->{REMOTE_SESSION_HOST}, 'partner.example', 'REMOTE_SESSION_HOST');
my $id = $env->{SESSION};
my $name = rotate('partner,', 13);
ok t_cmp($id, qr/^s9NNNd:[A-Za-z0-9\@,-]{20}M\Q$name\E\S+$/, 'the ID carries the short name');
$res = cp_get("/-S:$id$env_page");
ok t_cmp(env_of($res->content)->{SESSION}, $id, 'continued');
ok t_cmp($res->content, qr/^REMOTE_SESSION=cart\nsid=4711$/m, 'the friendly session comes back from the ID');
ok t_cmp(env_of(cp_get($env_page, headers => [Referer => 'http://stranger.example/a'])->content)->{REMOTE_SESSION},
         '(none)', 'other Referers carry nothing');

# --- the spec's worked example: secret, machine "test"
my $spec_id = '6r56:qHL0wyDpZfpRC189RSdqrNM';
$env = env_of(cp_get("/-S:$spec_id$env_page", host => 'clickpath-secret.test')->content);
ok t_cmp($env->{SESSION}, $spec_id, "the spec's encrypted ID is accepted");
ok t_cmp($env->{SESSION_START}, 1121948902, 'its creation time decrypted');
$res = cp_get($env_page, host => 'clickpath-secret.test');
my $new = env_of($res->content)->{SESSION};
ok t_cmp($new, qr/^6r56:[A-Za-z0-9\@,-]{22}M$/, 'new IDs: machine test, 22-character encrypted body');
ok t_cmp(env_of(cp_get("/-S:$new$env_page", host => 'clickpath-secret.test')->content)->{SESSION}, $new, 'continued');
my $notices = error_log_count('Caught invalid session: CRC checksum failed');
my $plain = make_id(time => time);
$env = env_of(cp_get("/-S:$plain$env_page", host => 'clickpath-secret.test')->content);
ok t_cmp($env->{SESSION} ne $plain ? 'replaced' : 'kept', 'replaced', 'a plain ID is not accepted with a secret (and no 500: quirk 1 fixed)');
ok t_cmp(error_log_count('Caught invalid session: CRC checksum failed'), $notices + 1, 'a plain ID: CRC notice');

# --- a secret from a file and an IV
$res = cp_get($env_page, host => 'clickpath-secret-iv.test');
my $iv_id = env_of($res->content)->{SESSION};
ok t_cmp($iv_id, qr/^s9NNNd:[A-Za-z0-9\@,-]{22}M$/, 'file secret: a 22-character body');
ok t_cmp(env_of(cp_get("/-S:$iv_id$env_page", host => 'clickpath-secret-iv.test')->content)->{SESSION}, $iv_id, 'file secret: continued');
ok t_cmp(env_of(cp_get("/-S:$iv_id$env_page", host => 'clickpath-secret.test')->content)->{SESSION} ne $iv_id ? 'replaced' : 'kept',
         'replaced', 'another secret does not accept it');

# --- a farm table without this server: IP IDs, then rejected as unknown (quirk 11)
my $missing = error_log_count('Cannot find myself (127.0.0.1) in ClickPathMachineTable');
my $farm_id = env_of(cp_get($env_page, host => 'clickpath-farm.test')->content)->{SESSION};
ok t_cmp($farm_id, qr/^$ID_RE$/, 'not in the table: an address ID');
ok t_cmp(error_log_count('Cannot find myself (127.0.0.1) in ClickPathMachineTable'), $missing + 1, 'and an error line');
$env = env_of(cp_get("/-S:$farm_id$env_page", host => 'clickpath-farm.test')->content);
ok t_cmp($env->{INVALID_SESSION}, $farm_id, 'its own ID is an unknown machine');
ok t_cmp(error_log_count("Caught invalid session: Unknown Machine name 'fwAAAQ'") > 0 ? 1 : 0, 1, 'notice names the machine');
my $web2 = make_id(machine => 'web2', time => time - 5);
$env = env_of(cp_get("/-S:$web2$env_page", host => 'clickpath-farm.test')->content);
ok t_cmp($env->{SESSION}, $web2, 'an ID of another farm machine is continued');
ok t_cmp($env->{ClickPathMachineName}, 'web2', 'ClickPathMachineName');
ok t_cmp($env->{ClickPathMachineStore}, 'http://store2.example/', 'ClickPathMachineStore');

# --- a vhost with only a max age has no sessions
$res = cp_get($env_page, host => 'clickpath-off.test');
ok t_cmp($res->content, qr{href="/clickpath/next\.html">abs}, 'no prefix: links untouched');
ok t_cmp(env_of($res->content)->{SESSION}, '(none)', 'no prefix: no SESSION');

# --- cookie tracking and ClickPath on one server: both
$res = cp_get($env_page, host => 'clickpath-cookie.test');
ok t_cmp(scalar(() = $res->header('Set-Cookie')), 1, 'a tracking cookie');
ok t_cmp(env_of($res->content)->{SESSION}, qr/^$ID_RE$/, 'and a URL session');

# --- hostile URLs
my $good = make_id(time => time);
ok t_cmp(env_of(cp_get("/%2D%53%3A$good$env_page")->content)->{SESSION}, $good, 'a percent-encoded prefix matches');
$res = cp_get("/-S:$good/-S:$good$env_page");
ok t_cmp($res->code, 404, 'two sessions: only the first is stripped');
ok t_cmp(env_of($res->content)->{SESSION}, $good, 'two sessions: the first one counts');
