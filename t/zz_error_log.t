# Runs last: the server's error_log so far shows no crash, panic or
# abnormal child exit (scripts/apache-test.sh checks again after shutdown).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;

plan tests => 3, need_module 'mod_usertrack.c';

# one more request so every child has served something after the tests
my $res = Apache::TestRequest::GET('/plain.html');
ok t_cmp($res->code, 200, 'server still answering');

my $log = Apache::Test::vars('t_logs') . '/error_log';
ok -s $log;
my @bad;
if (open my $fh, '<', $log) {
    while (<$fh>) {
        push @bad, $_ if /exit signal|panic|Segmentation fault|AH00052/;
    }
    close $fh;
}
t_debug("crash lines:\n" . join '', @bad) if @bad;
ok t_cmp(scalar @bad, 0, 'no "exit signal", "panic", "Segmentation fault" or AH00052 in error_log');
