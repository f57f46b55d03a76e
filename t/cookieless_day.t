# Issue 14: a new day gives a new cookieless ID. Needs the module built with
# `--features test-clock` (scripts/apache-test.sh runs this file in a pass of its own with such a
# build and USERTRACK_TEST_CLOCK=1): X-Test-Clock-Offset moves the module's clock by that many
# seconds for one request (cookieless-day.test turns the header into the environment variable
# the test build reads). The days are asked for in order, as a server lives them.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

my $UA = 'Mozilla/5.0 cookieless-day-test';

plan tests => 8, need(need_module('mod_usertrack.c'), need_module('mod_setenvif.c'),
    { 'a --features test-clock build (scripts/apache-test.sh runs this file with one)' => ($ENV{USERTRACK_TEST_CLOCK} ? 1 : 0) });

sub id_at {
    my ($days) = @_;
    my $tag = new_tag('cl-day');
    my $res = req(GET => '/plain.html', host => 'cookieless-day.test', tag => $tag,
                  headers => ['User-Agent' => $UA, 'X-Test-Clock-Offset' => $days * 86_400]);
    return (cookieless_entry($tag) // {})->{id} // 'none';
}

my $today = id_at(0);
ok t_cmp($today, qr/^$COOKIELESS_RE$/, 'today: a cookieless ID');
ok t_cmp(id_at(0), $today, 'today again: the same ID');
my $tomorrow = id_at(1);
ok t_cmp($tomorrow, qr/^$COOKIELESS_RE$/, 'tomorrow: a cookieless ID');
ok t_cmp($tomorrow ne $today ? 1 : 0, 1, "tomorrow: another ID ($today, $tomorrow)");
ok t_cmp(id_at(1), $tomorrow, 'tomorrow again: the same ID');
my $after = id_at(2);
ok t_cmp($after, qr/^$COOKIELESS_RE$/, 'the day after: a cookieless ID');
ok t_cmp($after ne $tomorrow && $after ne $today ? 1 : 0, 1, 'the day after: another ID again');
ok t_cmp(id_at(2), $after, 'the day after, again: the same ID');
