package ParallelMinting;
# Shared by t/uniqueness.t and t/uniqueness_legacy.t: thousands of new visitors
# sent by parallel client processes over keep-alive connections, the IDs their
# Set-Cookie headers carry, and the checks every format's uniqueness test makes.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Path ();
use IO::Socket::INET ();
use Time::HiRes ();
use POSIX ();
use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

our @EXPORT = qw(mint_in_parallel check_minted);

my $CLIENTS  = 4;
my $PER_CONN = 25;          # requests per keep-alive connection
my $DEADLINE = 90;          # seconds, per client

# mint_in_parallel(total => N, host => HOST, tag => TAG, id_re => qr/.../, dir => NAME)
# Returns { ids => [...], t0, t1, failed_kids, bad_status, bad_count, bad_shape }.
sub mint_in_parallel {
    my (%o) = @_;
    my $vars = Apache::Test::vars();
    my $port = $vars->{port};
    my $dir  = "$vars->{t_logs}/$o{dir}";
    File::Path::rmtree($dir);
    File::Path::mkpath($dir);
    my ($TOTAL, $host, $run, $id_re) = @o{qw(total host tag id_re)};

    my $client = sub {
        my ($n, $out) = @_;
        open my $fh, '>', $out or die "$out: $!";
        local $SIG{ALRM} = sub { die "client timeout\n" };
        alarm $DEADLINE;
        my ($sock, $on_conn, $errors) = (undef, 0, 0);
        my $i = 0;
        while ($i < $n) {
            if (!$sock || $on_conn >= $PER_CONN) {
                close $sock if $sock;
                $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                              Proto => 'tcp', Timeout => 10) or die "connect: $!";
                $on_conn = 0;
            }
            my $close = $on_conn == $PER_CONN - 1 || $i == $n - 1;
            print $sock "GET /u.txt HTTP/1.1\r\nHost: $host\r\nX-Test-Tag: $run\r\n"
                      . ($close ? "Connection: close\r\n" : '') . "\r\n";
            # read the head
            my $buf = '';
            while ($buf !~ /\r\n\r\n/) {
                my $r = sysread($sock, $buf, 8192, length $buf);
                last unless $r;
            }
            my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
            if (!defined $rest) {             # server closed the connection: retry on a new one
                undef $sock;
                $errors++;
                die "too many connection errors\n" if $errors > 50;
                next;
            }
            my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
            $len //= 0;
            while (length($rest) < $len) {
                my $r = sysread($sock, $rest, 8192, length $rest) or last;
            }
            my ($status) = $head =~ m{^HTTP/1\.\d (\d{3})};
            my @sc = $head =~ /^Set-Cookie:\s*(.*?)\s*$/mgi;
            print $fh join("\t", $status // 0, scalar(@sc), @sc), "\n";
            $i++;
            $on_conn++;
            undef $sock if $close || $head =~ /^Connection:\s*close/mi;
        }
        alarm 0;
        close $fh or die;
    };

    my %r = (t0 => time, failed_kids => 0, bad_status => 0, bad_count => 0, bad_shape => 0, ids => []);
    my %kids;
    for my $c (1 .. $CLIENTS) {
        my $n = int($TOTAL / $CLIENTS) + ($c <= $TOTAL % $CLIENTS ? 1 : 0);
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $ok = eval { $client->($n, "$dir/client$c"); 1 };
            print STDERR "# client $c: $@" unless $ok;
            POSIX::_exit($ok ? 0 : 1);
        }
        $kids{$pid} = $c;
    }
    my $wait_until = time + $DEADLINE + 15;
    while (%kids && time < $wait_until) {
        my $pid = waitpid(-1, POSIX::WNOHANG());
        if ($pid > 0) { $r{failed_kids}++ if $?; delete $kids{$pid}; next }
        Time::HiRes::sleep(0.05);
    }
    if (%kids) { kill 'KILL', keys %kids; waitpid($_, 0) for keys %kids; $r{failed_kids} += keys %kids }
    $r{t1} = time;
    t_debug("$TOTAL requests by $CLIENTS clients in " . ($r{t1} - $r{t0}) . " s");

    for my $c (1 .. $CLIENTS) {
        open my $fh, '<', "$dir/client$c" or next;
        while (<$fh>) {
            chomp;
            my ($status, $count, @sc) = split /\t/;
            $r{bad_status}++ unless $status == 200;
            $r{bad_count}++  unless $count == 1;
            for (@sc) {
                if (/^Apache=($id_re); path=\/$/) { push @{ $r{ids} }, $1 } else { $r{bad_shape}++ }
            }
        }
    }
    return \%r;
}

# The checks every format's test makes (9): the clients finished, every response
# was a 200 with one well-shaped Set-Cookie, all IDs distinct, and the log has one
# line per request noting the ID, written by several children or threads.
sub check_minted {
    my ($r, $total, $run) = @_;
    my @ids = @{ $r->{ids} };
    ok t_cmp($r->{failed_kids}, 0, 'all client processes finished');
    ok t_cmp(scalar @ids, $total, "$total IDs received");
    ok t_cmp($r->{bad_status}, 0, 'every response was 200');
    ok t_cmp($r->{bad_count}, 0, 'every response had exactly one Set-Cookie');
    ok t_cmp($r->{bad_shape}, 0, 'every Set-Cookie had the right shape');
    my %seen;
    $seen{$_}++ for @ids;
    ok t_cmp(scalar keys %seen, $total, 'all IDs distinct');

    # the log: one line per request, note = the ID sent
    my @entries = log_entries(qr/\Q$run\E/, $total, 30);
    ok t_cmp(scalar @entries, $total, "$total log lines");
    my %logged = map { $_->{cookie} => 1 } @entries;
    ok t_cmp(scalar(grep { !$logged{$_} } @ids), 0, 'every ID appears as %{cookie}n');

    my %pids = map { $_->{pid} => 1 } @entries;
    my %tids = map {; "$_->{pid}:$_->{tid}" => 1 } @entries;
    my $mpm = eval { Apache::Test::config()->{server}->{mpm} } // '';
    t_debug("MPM '$mpm': " . scalar(keys %pids) . ' processes, ' . scalar(keys %tids) . ' threads');
    if ($mpm eq 'prefork') {
        ok t_cmp(scalar(keys %pids) >= 2 ? 1 : 0, 1,
                 'IDs minted by several prefork children (' . scalar(keys %pids) . ')');
    }
    else {
        ok t_cmp(scalar(keys %tids) >= 2 ? 1 : 0, 1,
                 "IDs minted by several threads ($mpm: " . scalar(keys %tids) . ')');
    }
}

1;
