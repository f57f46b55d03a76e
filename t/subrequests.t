# Subrequests (SSI include virtual, DirectoryIndex lookups) never mint:
# exactly one Set-Cookie per response.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

plan tests => 19, need_module 'mod_usertrack.c', need_module 'mod_include.c', need_module 'mod_dir.c';

sub check {
    my ($path, $body_re, $what) = @_;
    my $tag = new_tag($what);
    my $res = req(GET => $path, tag => $tag);
    ok t_cmp($res->code, 200, "$what: 200");
    ok t_cmp($res->content, $body_re, "$what: body");
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, "$what: exactly one Set-Cookie");
    my ($id) = ($sc[0] // '') =~ /^Apache=($ID_RE); path=\/$/;
    ok t_cmp($id // 'no match', qr/^$ID_RE$/, "$what: shape");
    my $e = log_entry($tag) // {};
    ok t_cmp($e->{cookie}, $id // 'none', "$what: %{cookie}n is the value");
    return $id;
}

check('/ssi/page.shtml', qr/before.*included fragment.*plain.*after/s, 'SSI include virtual');
check('/dir/', qr/dir index/, 'DirectoryIndex');
check('/ssi/idx/', qr/index via DirectoryIndex.*included fragment/s, 'DirectoryIndex + SSI');

# returning visitor: SSI page with includes sends nothing
my $tag = new_tag('ssi-return');
my $res = req(GET => '/ssi/page.shtml', tag => $tag, headers => [Cookie => 'Apache=r.ssi']);
ok t_cmp($res->content, qr/included fragment/, 'SSI return visit: body');
ok t_cmp(scalar set_cookies($res), 0, 'SSI return visit: no Set-Cookie');
ok t_cmp((log_entry($tag) // {})->{cookie}, 'r.ssi', 'SSI return visit: note');

# only one log line per tag: subrequests are not logged separately
ok t_cmp(scalar log_entries(qr/\Q$tag\E/, 2, 1), 1, 'one log line for the SSI request');
