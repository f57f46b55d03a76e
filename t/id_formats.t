# Issue 9, CookieIDFormat: the four shapes, their time parts, case-insensitive
# keywords, mod_remoteip's address in legacy IDs, and (with CookieValidate on)
# returning visitors of every format kept after a change of format.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Time::HiRes ();
use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

my $N = 6;    # IDs minted per format
plan tests => 4 * 3 + 6 + 1 + 2 + 5 * 5 + 2 + 3 * 2, need_module 'mod_usertrack.c';

# mints $N IDs on a host; returns the values, the start and end time (float s)
sub mint {
    my ($host, $path, $re, $what) = @_;
    my (@ids, $bad_sc, $bad_note);
    $bad_sc = $bad_note = 0;
    my $t0 = Time::HiRes::time();
    for (1 .. $N) {
        my $tag = new_tag('fmt');
        my $res = req(GET => $path, host => $host, tag => $tag);
        my @sc = set_cookies($res);
        my ($v) = @sc == 1 ? $sc[0] =~ /^Apache=($re); path=\/$/ : ();
        if (!defined $v) { $bad_sc++; t_debug("$what: Set-Cookie: @sc"); next }
        push @ids, $v;
        $bad_note++ unless ((log_entry($tag) // {})->{cookie} // '') eq $v;
        Time::HiRes::sleep(0.003);    # distinct milliseconds for the time-ordered formats
    }
    my $t1 = Time::HiRes::time();
    ok t_cmp($bad_sc, 0, "$what: every response has one Set-Cookie of the format's shape");
    ok t_cmp($bad_note, 0, "$what: %{cookie}n is the value sent");
    my %seen; $seen{$_}++ for @ids;
    ok t_cmp(scalar keys %seen, $N, "$what: $N distinct IDs");
    return (\@ids, $t0, $t1);
}

# apache
{
    my ($ids, $t0, $t1) = mint('fmt-apache.test', '/plain.html', $ID_RE, 'CookieIDFormat apache');
    my $bad = grep { my $t = id_time($_); !defined $t || $t < $t0 - 1 || $t > $t1 + 1 } @$ids;
    ok t_cmp($bad, 0, 'apache: the hex time part is the request time in microseconds');
}
# legacy: 127.0.0.1.<decimal microseconds>, strictly increasing
{
    my ($ids, $t0, $t1) = mint('fmt-legacy.test', '/plain.html', $LEGACY_RE, 'CookieIDFormat legacy');
    my @us = map { /^127\.0\.0\.1\.(\d+)$/ ? $1 : 0 } @$ids;
    my $bad = grep { $_ / 1e6 < $t0 - 1 || $_ / 1e6 > $t1 + 1 } @us;
    ok t_cmp($bad, 0, 'legacy: the digits are the minting time in microseconds'
             . " (first $us[0], window $t0..$t1)");
}
# uuid (v4)
{
    my ($ids) = mint('fmt-uuid.test', '/plain.html', $UUID4_RE, 'CookieIDFormat uuid');
    # 122 random bits: the random parts all differ, and not just the last characters
    my %head = map { substr($_, 0, 8) => 1 } @$ids;
    ok t_cmp(scalar keys %head, scalar @$ids, 'uuid: the first 32 bits differ between IDs (random)');
}
# uuid7: the first 48 bits are the unix time in ms, IDs sort by time
{
    my ($ids, $t0, $t1) = mint('fmt-uuid7.test', '/plain.html', $UUID7_RE, 'CookieIDFormat uuid7');
    my @ms = do { no warnings "portable"; map { (my $h = $_) =~ s/-//g; hex(substr $h, 0, 12) } @$ids };
    my $bad = grep { $_ < ($t0 - 1) * 1000 || $_ > ($t1 + 1) * 1000 } @ms;
    ok t_cmp($bad, 0, "uuid7: the first 48 bits are the unix time in ms (first $ms[0])");
    ok t_cmp(join(' ', sort @$ids), join(' ', @$ids), 'uuid7: IDs minted one after another sort in order');
    my %rand = map { substr($_, 24) => 1 } @$ids;
    ok t_cmp(scalar keys %rand, scalar @$ids, 'uuid7: the random tails differ');
}
# legacy: the digits increase with each ID (one clock for the server)
{
    # (checked on the legacy IDs again, minted one after another)
    my @v;
    for (1 .. 3) {
        my $res = req(GET => '/plain.html', host => 'fmt-legacy.test');
        push @v, ((set_cookies($res))[0] // '') =~ /^Apache=127\.0\.0\.1\.(\d+);/ ? $1 : 0;
    }
    ok t_cmp(($v[0] < $v[1] && $v[1] < $v[2]) ? 1 : 0, 1, "legacy: increasing digits (@v)");
}
# keywords are case-insensitive: "UUID7" and "LeGaCy" (<Location>)
{
    my $res = req(GET => '/plain.html', host => 'fmt-case.test');
    ok t_cmp((set_cookies($res))[0] // '', qr/^Apache=$UUID7_RE; path=\/$/, 'CookieIDFormat UUID7');
    $res = req(GET => '/fmtcase/legacy/x.html', host => 'fmt-case.test');
    ok t_cmp((set_cookies($res))[0] // '', qr/^Apache=$LEGACY_RE; path=\/$/, 'CookieIDFormat LeGaCy in <Location>');
}
# returning visitors of every format are kept on a uuid7 host with CookieValidate on
{
    my %values = (
        apache => random_id_key(),
        legacy => '127.0.0.1.' . int(Time::HiRes::time() * 1e6 - 5e9),
        'legacy (another address)' => '192.0.2.44.1206588190123456',
        uuid   => 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
        uuid7  => '0190163d-8694-739b-aea5-966c26f8ad91',
    );
    for my $fmt (sort keys %values) {
        my $v = $values{$fmt};
        my $tag = new_tag('fmtkeep');
        my $res = req(GET => '/plain.html', host => 'fmt-validate.test', tag => $tag,
                      headers => [Cookie => "x=1; Apache=$v"]);
        ok t_cmp($res->code, 200, "returning $fmt visitor: 200");
        ok t_cmp(scalar set_cookies($res), 0, "returning $fmt visitor ($v): kept, no Set-Cookie");
        ok t_cmp((log_entry($tag) // {})->{cookie}, $v, "returning $fmt visitor: note");
        my $e = env_entry($tag) // {};
        ok t_cmp($e->{id}, $v, "returning $fmt visitor: USERTRACK_ID");
        ok t_cmp($e->{new}, '0', "returning $fmt visitor: USERTRACK_NEW=0");
    }
    # control: a value of no format is replaced by a new uuid7
    my $tag = new_tag('fmtkeep');
    my $res = req(GET => '/plain.html', host => 'fmt-validate.test', tag => $tag,
                  headers => [Cookie => 'Apache=no-format!']);
    my ($v) = ((set_cookies($res))[0] // '') =~ /^Apache=($UUID7_RE); path=\/$/;
    ok t_cmp($v // 'none', qr/^$UUID7_RE$/, 'a value of no format: a new uuid7 is set');
    ok t_cmp((log_entry($tag) // {})->{cookie}, $v // 'none', 'a value of no format: the note is the new ID');
}
# legacy IDs carry mod_remoteip's useragent_ip
for my $c (['203.0.113.7', qr/^203\.0\.113\.7\.\d+$/, 'IPv4 from X-Forwarded-For'],
           ['::ffff:198.51.100.3', qr/^198\.51\.100\.3\.\d+$/, 'IPv4-mapped IPv6 written as IPv4'],
           ['2001:db8::1', qr/^[\w.]+\.\d+$/, 'IPv6: still the legacy pattern, cookie-safe']) {
    my ($xff, $re, $what) = @$c;
    my $res = req(GET => '/plain.html', host => 'fmt-remoteip.test',
                  headers => ['X-Forwarded-For' => $xff]);
    my ($v) = ((set_cookies($res))[0] // '') =~ /^Apache=([^;]*); path=\/$/;
    ok t_cmp($v // 'no Set-Cookie', $re, "legacy behind a proxy, $what");
    ok t_cmp(($v // '') =~ /^127\.0\.0\.1\./ ? 'the proxy address' : 'not the proxy address',
             'not the proxy address', "legacy behind a proxy, $what: not 127.0.0.1");
}
