# 10,000 IDs minted by several server processes (prefork) or threads (event),
# requested by parallel clients: all distinct, all of the right shape, random
# parts distinct too (per-child reseeding), and the log agrees.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;
use ParallelMinting;

plan tests => 11, need_module 'mod_usertrack.c';

my $TOTAL = 10_000;
my $run = new_tag('uniq');
my $r = mint_in_parallel(total => $TOTAL, host => '127.0.0.1', tag => $run, id_re => $ID_RE, dir => 'uniqueness');
check_minted($r, $TOTAL, $run);

my %rand;
$rand{ (split /\./)[0] }++ for @{ $r->{ids} };
# 32 random bits: ~0.01 expected collisions among 10,000; a shared or
# unseeded generator across children gives thousands
ok t_cmp(scalar(keys %rand) >= $TOTAL - 5 ? 1 : 0, 1,
         'random parts distinct (got ' . scalar(keys %rand) . ')');

my $bad_time = grep { my $s = id_seconds($_); $s < $r->{t0} - 5 || $s > $r->{t1} + 5 } @{ $r->{ids} };
ok t_cmp($bad_time, 0, 'time part is the request time for every ID');
