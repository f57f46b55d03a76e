# Issue 14: cookieless visitors. Where CookielessTracking is on and CookieTracking off, every
# request gets the day's cookieless ID (cl- and 22 base64url characters) in the notes and
# USERTRACK_ID, USERTRACK_COOKIELESS=1, no USERTRACK_NEW, never a Set-Cookie. The same site,
# address and User-Agent give the same ID in every child and thread; any of the three changed
# gives another. The consent recipe gives a cookie to who consented and a cookieless ID to the
# others. (A new day: t/cookieless_day.t.)
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use IO::Socket::INET ();
use POSIX ();
use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

my $UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 cookieless-test';
my $SEQUENTIAL = 5;
my @CONCURRENT = (4, 20);   # clients, requests each

plan tests => 6 * $SEQUENTIAL + 9 + 6 + 13 + 3, need_module 'mod_usertrack.c', need_module 'mod_remoteip.c';

# One request; returns (response, log entry).
sub visit {
    my ($host, $path, @headers) = @_;
    my $tag = new_tag('cl');
    my $res = req(GET => $path, host => $host, tag => $tag, headers => \@headers);
    return ($res, cookieless_entry($tag) // {});
}

sub id_of { my ($host, @h) = @_; my (undef, $e) = visit($host, '/plain.html', @h); $e->{id} // 'none' }

# -- the same visitor, request after request (each on a new connection)
my %seen;
for my $n (1 .. $SEQUENTIAL) {
    my ($res, $e) = visit('cookieless.test', '/plain.html', 'User-Agent' => $UA);
    ok t_cmp($res->code, 200, "request $n: 200");
    ok t_cmp($e->{id} // '', qr/^$COOKIELESS_RE$/, "request $n: USERTRACK_ID is a cookieless ID");
    ok t_cmp($e->{cookie}, $e->{id}, "request $n: the cookie note holds it too");
    ok t_cmp($e->{cookieless}, '1', "request $n: USERTRACK_COOKIELESS=1");
    ok t_cmp($e->{new}, '-', "request $n: no USERTRACK_NEW");
    ok t_cmp(scalar(set_cookies($res)) + (($e->{set_cookie} // '-') ne '-'), 0, "request $n: never a Set-Cookie");
    $seen{$e->{id} // 'none'}++;
}
my ($same) = keys %seen;

# -- what the ID depends on
ok t_cmp(scalar keys %seen, 1, "one ID for $SEQUENTIAL requests of one visitor");
ok t_cmp(id_of('cookieless.test', 'User-Agent' => "$UA 2"), qr/^$COOKIELESS_RE$/, 'another User-Agent: a cookieless ID');
ok t_cmp(id_of('cookieless.test', 'User-Agent' => "$UA 2") ne $same ? 1 : 0, 1, 'another User-Agent: another ID');
ok t_cmp(id_of('cookieless-other.test', 'User-Agent' => $UA) ne $same ? 1 : 0, 1, 'another site: another ID');
my $via_proxy = id_of('cookieless.test', 'User-Agent' => $UA, 'X-Forwarded-For' => '192.0.2.7');
ok t_cmp(id_of('cookieless.test', 'User-Agent' => $UA, 'X-Forwarded-For' => '192.0.2.7'), $via_proxy,
         'the address mod_remoteip gives: the same for the same address');
ok t_cmp($via_proxy ne $same ? 1 : 0, 1, 'another address (mod_remoteip): another ID');
ok t_cmp(id_of('cookieless.test', 'User-Agent' => $UA, 'X-Forwarded-For' => '192.0.2.8') ne $via_proxy ? 1 : 0, 1,
         'another forwarded address: another ID');
{
    # no User-Agent at all (LWP always sends one): a raw request
    my $tag = new_tag('cl-noua');
    my $port = Apache::Test::vars('port');
    my $r = raw_request("GET /plain.html HTTP/1.1\nHost: cookieless.test:$port\nX-Test-Tag: $tag\nConnection: close\n\n");
    my $e = cookieless_entry($tag) // {};
    ok t_cmp($e->{id} // '', qr/^$COOKIELESS_RE$/, 'no User-Agent: a cookieless ID');
    ok t_cmp(($e->{id} // '') ne $same ? 1 : 0, 1, 'no User-Agent: not the ID of a visitor that sends one');
}

# -- a refused request is counted with the same ID
{
    my ($res, $e) = visit('cookieless.test', '/denied/x.html', 'User-Agent' => $UA);
    ok t_cmp($res->code, 403, '403: refused');
    ok t_cmp($e->{id}, $same, '403: the same cookieless ID');
    ok t_cmp($e->{cookieless}, '1', '403: USERTRACK_COOKIELESS=1');
    my ($missing, $e404) = visit('cookieless.test', '/no/such/file.html', 'User-Agent' => $UA);
    ok t_cmp($missing->code, 404, '404');
    ok t_cmp($e404->{id}, $same, '404: the same cookieless ID');
    ok t_cmp(scalar set_cookies($missing), 0, '404: no Set-Cookie');
}

# -- the consent recipe: a cookie for who consented, a cookieless ID for the others
{
    my ($res, $e) = visit('cookieless-consent.test', '/plain.html', 'User-Agent' => $UA);
    ok t_cmp(scalar set_cookies($res), 0, 'no consent: no Set-Cookie');
    ok t_cmp($e->{id} // '', qr/^$COOKIELESS_RE$/, 'no consent: a cookieless ID');
    ok t_cmp($e->{cookieless}, '1', 'no consent: USERTRACK_COOKIELESS=1');
    ok t_cmp($e->{new}, '-', 'no consent: no USERTRACK_NEW');
    ($res, $e) = visit('cookieless-consent.test', '/plain.html', 'User-Agent' => $UA, Cookie => 'consent=no');
    ok t_cmp($e->{id} // '', qr/^$COOKIELESS_RE$/, 'consent=no: a cookieless ID');

    ($res, $e) = visit('cookieless-consent.test', '/plain.html', 'User-Agent' => $UA, Cookie => 'consent=yes');
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, 'consent: one Set-Cookie');
    my ($cookie_id) = ($sc[0] // '') =~ /^Apache=($ID_RE);/;
    ok t_cmp($e->{id}, $cookie_id // 'none', 'consent: USERTRACK_ID is the cookie ID');
    ok t_cmp($e->{cookieless}, '-', 'consent: no USERTRACK_COOKIELESS');
    ok t_cmp($e->{new}, '1', 'consent: USERTRACK_NEW=1');

    ($res, $e) = visit('cookieless-consent.test', '/plain.html', 'User-Agent' => $UA,
                       Cookie => 'consent=yes; Apache=' . ($cookie_id // 'x.1'));
    ok t_cmp(scalar set_cookies($res), 0, 'consent, returning: no Set-Cookie');
    ok t_cmp($e->{id}, $cookie_id // 'x.1', 'consent, returning: the cookie ID');
    ok t_cmp($e->{new}, '0', 'consent, returning: USERTRACK_NEW=0');
    ok t_cmp($e->{cookieless}, '-', 'consent, returning: no USERTRACK_COOKIELESS');
}

# -- one ID across children (prefork) and threads (event): concurrent keep-alive clients
{
    my ($clients, $each) = @CONCURRENT;
    my $run = new_tag('cl-conc');
    my $port = Apache::Test::vars('port');
    my @kids;
    for my $c (1 .. $clients) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $sock;
            for my $i (1 .. $each) {
                my $close = $i % 5 == 0;
                $sock //= IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp', Timeout => 10)
                    or POSIX::_exit(1);
                print $sock "GET /plain.html HTTP/1.1\r\nHost: cookieless.test:$port\r\nUser-Agent: $UA\r\n"
                          . "X-Test-Tag: $run-$c-$i\r\n" . ($close ? "Connection: close\r\n" : '') . "\r\n";
                my $buf = '';
                while ($buf !~ m{</html>}) {
                    my $n = sysread($sock, $buf, 8192, length $buf);
                    last unless $n;
                }
                if ($close) { close $sock; undef $sock }
            }
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    waitpid($_, 0) for @kids;
    my @entries = cookieless_entries(qr/\Q$run\E-\d+-\d+/, $clients * $each, 20);
    my %ids = map { $_->{id} => 1 } @entries;
    my %pids = map { $_->{pid} => 1 } @entries;
    my %tids = map {; "$_->{pid}:$_->{tid}" => 1 } @entries;
    my $mpm = eval { Apache::Test::config()->{server}->{mpm} } // '';
    t_debug("MPM '$mpm': " . scalar(keys %pids) . ' processes, ' . scalar(keys %tids) . ' threads');
    ok t_cmp(scalar @entries, $clients * $each, 'every concurrent request logged');
    ok t_cmp(join(',', sort keys %ids), $same, 'one ID for every concurrent request');
    if ($mpm eq 'prefork') {
        ok t_cmp(scalar(keys %pids) >= 2 ? 1 : 0, 1, 'served by several prefork children (' . scalar(keys %pids) . ')');
    } else {
        ok t_cmp(scalar(keys %tids) >= 2 ? 1 : 0, 1, "served by several threads ($mpm: " . scalar(keys %tids) . ')');
    }
}
