# ClickPath: a CGI's output passes through the filter as it comes (in pieces of up to 1 KB), not
# when the CGI ends. wait.cgi sends its first link and 4 KB more, then waits until this test has read that link (rewritten)
# and created the file it waits for: a filter that held the CGI's whole output never shows the
# first link before then (it did: a brigade was passed on only after its last bucket was read).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use IO::Socket::INET;

use Apache::Test;
use Apache::TestUtil;
use ClickPathTest;

plan tests => 3, need_module 'mod_usertrack.c', need_cgi;

my $token = $$ . time;
my $go = Apache::Test::vars('documentroot') . "/clickpath/wait-$token";
unlink $go;
my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => Apache::Test::vars('port'), Proto => 'tcp',
                                 Timeout => 10) or die "connect: $!";
print $sock "GET /clickpath/wait.cgi?$token HTTP/1.0\r\nHost: clickpath.test\r\n\r\n";
my $select = IO::Select->new($sock);

# Reads until $pattern matches what came so far, the connection ends, or 20 s pass without data
# (wait.cgi waits 25 s: a filter that holds its output cannot show the first link in time).
my $got = '';
sub read_until {
    my ($pattern) = @_;
    for (1 .. 10000) {
        return 1 if $got =~ $pattern;
        return 0 unless $select->can_read(20);
        return $got =~ $pattern if !sysread($sock, $got, 65536, length $got);
    }
    return 0;
}

my $first = read_until(qr{first</a>});
ok t_cmp($first ? 'first link before the CGI ended' : "not before the CGI ended: got [$got]",
         'first link before the CGI ended', 'the CGI\'s first bytes pass the filter while it runs');
open my $fh, '>', $go or die "$go: $!";
close $fh;
read_until(qr{second</a>\n\z});
unlink $go;
my ($id) = $got =~ m{href="/-S:([^/"]+)/clickpath/first\.html"};
ok t_cmp($id // '', qr/^$ID_RE$/, 'the first link carries a new session');
ok t_cmp($got, qr{href="/-S:\Q${\($id // 'none')}\E/clickpath/second\.html"}, 'the second one the same session');
