# A Cookie header another module edits, removes or adds between
# post_read_request and fixups (mod_headers' "early" edits run right after our
# early look): fixups notices the change, uses the header as edited, and
# replaces the early notes, as stock, which reads the header only in fixups,
# would see it.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

plan tests => 24, need_module 'mod_usertrack.c', need_module 'mod_headers.c';

my $tag = new_tag('edited');
my $res = req(GET => '/index.html', host => 'editedcookie.test', tag => $tag,
              headers => [Cookie => 'x=1; Apache=orig.value']);
ok t_cmp($res->code, 200, 'edited header: status');
ok t_cmp(scalar set_cookies($res), 0, 'edited header: the edited cookie is found, none minted');
my $e = log_entry($tag) // {};
ok t_cmp($e->{cookie}, 'edited.value', 'edited header: %{cookie}n is the edited value');
ok t_cmp($e->{apache}, 'edited.value', 'edited header: %{Apache}n is the edited value');

$tag = new_tag('unset');
$res = req(GET => '/index.html', host => 'unsetcookie.test', tag => $tag,
           headers => [Cookie => 'Apache=orig.value']);
ok t_cmp($res->code, 200, 'removed header: status');
my @sc = set_cookies($res);
ok t_cmp(scalar @sc, 1, 'removed header: a new cookie is minted');
my ($id) = ($sc[0] // '') =~ /^Apache=($ID_RE); path=\/$/;
ok t_cmp($id // 'no match', qr/^$ID_RE$/, 'removed header: Set-Cookie shape');
$e = log_entry($tag) // {};
ok t_cmp($e->{cookie}, $id // 'none', 'removed header: %{cookie}n is the new ID, not the early one');
ok t_cmp($e->{apache}, $id // 'none', 'removed header: %{Apache}n is the new ID');

# The same host without a Cookie header: nothing to edit, a cookie is minted.
$tag = new_tag('edited-none');
$res = req(GET => '/index.html', host => 'editedcookie.test', tag => $tag);
ok t_cmp($res->code, 200, 'no header to edit: status');
@sc = set_cookies($res);
ok t_cmp(scalar @sc, 1, 'no header to edit: a cookie is minted');
$e = log_entry($tag) // {};
ok t_cmp(($sc[0] // '') =~ /^Apache=\Q$e->{cookie}\E;/ ? 1 : 0, 1, 'no header to edit: the note is the minted ID');

# Headers added after the early look found no tracking cookie: fixups finds
# the cookie in them and mints none.
for my $case (['added', 'addedcookie.test', []],
              ['swapped', 'swappedcookie.test', ['X-Drop' => 'gone']],
              ['appended', 'appendedcookie.test', [Cookie => 'x=1']]) {
    my ($name, $host, $headers) = @$case;
    $tag = new_tag($name);
    $res = req(GET => '/index.html', host => $host, tag => $tag, headers => $headers);
    ok t_cmp($res->code, 200, "$name header: status");
    ok t_cmp(scalar set_cookies($res), 0, "$name header: the cookie is found, none minted");
    $e = log_entry($tag) // {};
    ok t_cmp($e->{cookie}, "$name.value", "$name header: %{cookie}n is the added value");
    ok t_cmp($e->{apache}, "$name.value", "$name header: %{Apache}n is the added value");
}
