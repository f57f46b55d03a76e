# Issue 14, configuration of cookieless visitors: `apache2 -t` on small standalone configs (as
# t/config_errors_new.t) refuses a malformed CookielessSaltCache, a provider whose module is not
# loaded, the directive in a virtual host, bad provider arguments, and CookielessTracking on
# without mod_socache_shmcb for the default; it accepts the good ones.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use File::Basename ();
use File::Path ();
use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

my $vars  = Apache::Test::vars();
my $dir   = "$vars->{t_logs}/cookieless_config";
File::Path::rmtree($dir);
File::Path::mkpath($dir);

# the stock modules' directory, from the MPM the suite loads
my ($mpm_so) = map { /^\s*LoadModule\s+mpm_\w+\s+"?([^"\s]+)"?/ ? $1 : () } do {
    open my $cf, '<', $vars->{t_conf_file} or die "$vars->{t_conf_file}: $!";
    <$cf>;
};
my $moddir = File::Basename::dirname($mpm_so // die "no MPM in $vars->{t_conf_file}");
my $shmcb = qq{LoadModule socache_shmcb_module "$moddir/mod_socache_shmcb.so"};
my $memcache = qq{LoadModule socache_memcache_module "$moddir/mod_socache_memcache.so"};

# [config lines, expected]: expected = [regex of the message, syntax error line or undef (a
# check failure, not a syntax error)], or undef: must load
my @cases = (
    ["$shmcb\nCookielessSaltCache \"shmcb:\"", [qr/CookielessSaltCache "shmcb:": nothing after ':'/, 2]],
    ["$shmcb\nCookielessSaltCache \"shm cb\"", [qr/CookielessSaltCache "shm cb": give a socache provider/, 2]],
    ["$shmcb\nCookielessSaltCache memcache:127.0.0.1:11211",
     [qr/CookielessSaltCache: the socache provider "memcache" is not available; load mod_socache_memcache/, 2]],
    ["$shmcb\n<VirtualHost 127.0.0.1:1>\nCookielessSaltCache shmcb\n</VirtualHost>",
     [qr/CookielessSaltCache is allowed only in the main server config/, 3]],
    ["$shmcb\nCookielessSaltCache \"shmcb:$dir/salt(100)\"", [qr/CookielessSaltCache: the shmcb provider refused its arguments: .*size/i, 2]],
    ["CookielessTracking maybe", [qr/CookielessTracking must be On or Off/, 1]],
    ["CookielessTracking on", [qr/CookielessTracking needs a salt cache: load mod_socache_shmcb/, undef]],
    ["<VirtualHost 127.0.0.1:1>\nCookielessTracking on",
     [qr/CookielessTracking needs a salt cache: load mod_socache_shmcb/, undef]],
    # --- valid: must load
    ["CookielessTracking off", undef],
    ["$shmcb\nCookielessTracking on", undef],
    ["$shmcb\n<Location /x>\nCookielessTracking on\n</Location>", undef],
    ["$shmcb\nCookielessSaltCache \"shmcb:$dir/salt(65536)\"\nCookielessTracking on", undef],
    ["$memcache\nCookielessSaltCache memcache:127.0.0.1:11211,127.0.0.2:11211\nCookielessTracking on", undef],
);

plan tests => 2 * @cases, need_module 'mod_usertrack.c';

while (my ($index, $case) = each @cases) {
    my ($lines, $want) = @$case;
    my $run = standalone_config_test($dir, "case$index", $lines);
    my ($out, $status, $file) = @$run{qw(out status file)};
    (my $label = join ' / ', grep { !/^LoadModule/ } split /\n/, $lines) =~ s/\Q$dir\E/DIR/g;
    if (!defined $want) {
        ok t_cmp($status, 0, "$label: loads");
        ok t_cmp($out, qr/^Syntax OK$/m, "$label: Syntax OK");
        next;
    }
    my ($message, $line) = @$want;
    ok t_cmp($status != 0 ? 1 : 0, 1, "$label: refused ($out)");
    if (defined $line) {
        my $at = $run->{head_lines} + $line;
        ok t_cmp($out, qr/Syntax error on line $at of \Q$file\E:\n$message/, "$label: the message");
    } else {
        ok t_cmp($out, qr/$message.*\n.*Configuration check failed/s, "$label: the message, then the check fails");
    }
}
