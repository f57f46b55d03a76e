# Issue 9, CookieIDFormat legacy (<client IP>.<decimal microseconds>): 6,000 IDs
# minted by several server processes (prefork) or threads (event) for one
# client address, requested by parallel clients: all distinct (the time part is
# all that tells them apart), all of the right shape and time, and the log agrees.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;
use ParallelMinting;

plan tests => 10, need_module 'mod_usertrack.c';

my $TOTAL = 6_000;
my $run = new_tag('uniqlegacy');
my $r = mint_in_parallel(total => $TOTAL, host => 'fmt-legacy.test', tag => $run,
                         id_re => qr/127\.0\.0\.1\.[1-9][0-9]*/, dir => 'uniqueness_legacy');
check_minted($r, $TOTAL, $run);

my $bad_time = grep { my ($us) = /\.(\d+)$/; $us / 1e6 < $r->{t0} - 5 || $us / 1e6 > $r->{t1} + 5 } @{ $r->{ids} };
ok t_cmp($bad_time, 0, 'the digits are the minting time in microseconds for every ID');
