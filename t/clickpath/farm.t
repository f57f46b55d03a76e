# ClickPath farms: two more httpd instances share one <ClickPathMachineTable> (web1 on
# 127.0.0.1, web2 on 127.0.0.2) and continue each other's sessions; a third, whose table lacks
# web1, rejects web1's IDs as an unknown machine.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use File::Path ();
use IO::Socket::INET;
use LWP::UserAgent;
use Apache::Test;
use Apache::TestUtil;
use ClickPathTest;

plan tests => 9, need_module 'mod_usertrack.c';

my $vars  = Apache::Test::vars();
my $dir   = "$vars->{t_logs}/clickpath_farm";
File::Path::rmtree($dir);
File::Path::mkpath("$dir/htdocs");
open my $page, '>', "$dir/htdocs/page.html" or die $!;
print $page qq{<html><body><a href="/next.html">next</a></body></html>\n};
close $page;

my %load = loaded_modules();
my ($mpm) = grep { /^mpm_/ } sort keys %load;

sub free_port {
    my ($ip) = @_;
    my $s = IO::Socket::INET->new(LocalAddr => $ip, LocalPort => 0, Listen => 1, ReuseAddr => 1) or die "no port on $ip: $!";
    return $s->sockport;
}

my @started;
sub start_instance {
    my ($name, $ip, @table) = @_;
    my $root = "$dir/$name";
    File::Path::mkpath($root);
    my $port = free_port($ip);
    open my $types, '>', "$root/mime.types" or die $!;   # AddType below is all it needs
    close $types;
    open my $fh, '>', "$root/httpd.conf" or die $!;
    print $fh map { "$_\n" } (
        qq{ServerRoot "$root"}, 'ServerName farm.test', "Listen $ip:$port", qq{PidFile "$root/httpd.pid"},
        qq{ErrorLog "$root/error_log"}, 'LogLevel notice', qq{DocumentRoot "$dir/htdocs"},
        qq{LoadModule $mpm "$load{$mpm}"}, qq{LoadModule authz_core_module "$load{authz_core_module}"},
        qq{LoadModule mime_module "$load{mime_module}"},
        qq{LoadModule usertrack_module "$load{usertrack_module}"}, qq{TypesConfig "$root/mime.types"}, 'AddType text/html .html',
        'StartServers 1', 'ClickPathSessionPrefix -S:', '<ClickPathMachineTable>', @table, '</ClickPathMachineTable>',
    );
    close $fh;
    system($vars->{httpd}, '-f', "$root/httpd.conf", '-k', 'start') == 0 or die "$name did not start";
    push @started, $root;
    for (1 .. 50) {
        last if IO::Socket::INET->new(PeerAddr => $ip, PeerPort => $port, Timeout => 1);
        select undef, undef, undef, 0.1;
    }
    return { url => "http://$ip:$port", log => "$root/error_log" };
}

END {
    for my $root (@started) {
        system($vars->{httpd}, '-f', "$root/httpd.conf", '-k', 'stop');
    }
}

my @table = ('127.0.0.1 web1', '127.0.0.2 web2');
my $web1 = start_instance('web1', '127.0.0.1', @table);
my $web2 = start_instance('web2', '127.0.0.2', @table);
my $other = start_instance('other', '127.0.0.1', '127.0.0.2 web2');

my $ua = LWP::UserAgent->new(max_redirect => 0, timeout => 10);
my $link = sub { my $body = $ua->get(shift)->content; $body =~ m{href="/-S:([^/"]+)/next\.html"} ? $1 : '' };

my $id1 = $link->("$web1->{url}/page.html");
ok t_cmp($id1, qr/^9roB:/, 'web1 mints IDs named web1');
my $id2 = $link->("$web2->{url}/page.html");
ok t_cmp($id2, qr/^9roC:/, 'web2 mints IDs named web2');
ok t_cmp($link->("$web2->{url}/-S:$id1/page.html"), $id1, "web2 continues web1's session");
ok t_cmp($link->("$web1->{url}/-S:$id2/page.html"), $id2, "web1 continues web2's session");
ok t_cmp($link->("$web1->{url}/-S:$id1/page.html"), $id1, 'web1 continues its own');

my $replaced = $link->("$other->{url}/-S:$id1/page.html");
ok t_cmp($replaced ne $id1 ? 'replaced' : 'kept', 'replaced', 'a table without web1 rejects its IDs');
ok t_cmp($replaced, qr/^s9NNNd:/, 'and, not in its own table, mints an address ID');
my $log = do { local $/; open my $fh, '<', $other->{log} or die $!; <$fh> };
ok t_cmp($log, qr/Caught invalid session: Unknown Machine name 'web1'/, 'the notice names the machine');
ok t_cmp($log, qr/Cannot find myself \(127\.0\.0\.1\) in ClickPathMachineTable/, 'and the server is missing from its table');
