# Issue 9, CookieRenew and CookiePath: a returning visitor gets the same value
# with a fresh expiry on every main request (not derived from the ID's time);
# without CookieRenew nothing is re-sent; CookiePath sets path=.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

plan tests => 3 + 2 * 5 + 2 + 2 + 2 + 3 + 1, need_module 'mod_usertrack.c';

my $TWO_DAYS = 2 * 86400;
sub expires_of { my ($sc) = @_; ($sc // '') =~ /; expires=([^;]+)/ ? parse_netscape_date($1) : undef }

# new visitor on renew.test: the usual cookie
{
    my $t0 = time;
    my $res = req(GET => '/plain.html', host => 'renew.test');
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, 'renew.test new visitor: one Set-Cookie');
    ok t_cmp($sc[0] // '', qr/^Apache=$ID_RE; path=\/; expires=[^;]+$/, 'renew.test new visitor: shape');
    my $exp = expires_of($sc[0]) // 0;
    ok t_cmp(abs($exp - ($t0 + $TWO_DAYS)) <= 3 ? 1 : 0, 1, "renew.test new visitor: expires now + 2 days ($exp vs $t0)");
}

# returning visitor with an old ID (minted 2020): re-sent with a fresh expiry, twice
{
    my $old = sprintf '%x.%x', 0x1234abcd, 1_577_836_800_000_000;    # 2020-01-01
    my @exp;
    for my $round (1, 2) {
        my $tag = new_tag('renew');
        my $t0 = time;
        my $res = req(GET => '/plain.html', host => 'renew.test', tag => $tag,
                      headers => [Cookie => "Apache=$old"]);
        my @sc = set_cookies($res);
        ok t_cmp(scalar @sc, 1, "renew round $round: one Set-Cookie");
        ok t_cmp($sc[0] // '', qr/^Apache=\Q$old\E; path=\/; expires=[^;]+$/, "renew round $round: the same value re-sent");
        my $exp = expires_of($sc[0]) // 0;
        push @exp, $exp;
        ok t_cmp(abs($exp - ($t0 + $TWO_DAYS)) <= 3 ? 1 : 0, 1,
                 "renew round $round: expires is now + 2 days ($exp vs $t0), not the ID's time + 2 days");
        ok t_cmp((log_entry($tag) // {})->{cookie}, $old, "renew round $round: note");
        ok t_cmp((env_entry($tag) // {})->{new}, '0', "renew round $round: USERTRACK_NEW=0");
        sleep 2 if $round == 1;
    }
    ok t_cmp($exp[1] - $exp[0] >= 1 ? 1 : 0, 1, "renew: the second expiry is later ($exp[0], $exp[1])");
    # a main request with an SSI subrequest: one Set-Cookie
    my $res = req(GET => '/ssi/page.shtml', host => 'renew.test', headers => [Cookie => "Apache=$old"]);
    ok t_cmp(scalar set_cookies($res), 1, 'renew with an SSI include: one Set-Cookie (main request only)');
}

# max-age style
{
    my $r = random_id_key();
    my $res = req(GET => '/plain.html', host => 'renew-max-age.test', headers => [Cookie => "x=1; Apache=$r"]);
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, 'renew (CookieStyle Cookie): one Set-Cookie');
    ok t_cmp($sc[0] // '', "Apache=$r; path=/; max-age=7200", 'renew (CookieStyle Cookie): same value, max-age');
}

# without CookieRenew nothing is re-sent (same value as above, on the main host)
{
    my $r = random_id_key();
    my $res = req(GET => '/plain.html', headers => [Cookie => "Apache=$r"]);
    ok t_cmp(scalar set_cookies($res), 0, 'no CookieRenew: a returning visitor gets no Set-Cookie');
    $res = req(GET => '/plain.html', host => 'renew.test', headers => [Cookie => "Apache=$r"]);
    ok t_cmp(scalar set_cookies($res), 1, 'CookieRenew on: the same visitor gets one');
}

# CookiePath
{
    my $tag = new_tag('path');
    my $res = req(GET => '/plain.html', host => 'path.test', tag => $tag);
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, 'CookiePath /app: one Set-Cookie');
    ok t_cmp($sc[0] // '', qr/^Apache=$ID_RE; path=\/app$/, 'CookiePath /app: path=/app');
    my ($id) = ($sc[0] // '') =~ /^Apache=([^;]+)/;
    ok t_cmp((log_entry($tag) // {})->{cookie}, $id // 'none', 'CookiePath /app: note');
    $res = req(GET => '/plain.html', host => 'path.test', headers => [Cookie => 'Apache=' . ($id // 'x.1')]);
    ok t_cmp(scalar set_cookies($res), 0, 'CookiePath /app: returning visitor, nothing sent');
}
