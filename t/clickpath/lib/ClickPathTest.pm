package ClickPathTest;
# Helpers for t/clickpath/*.t: requests to the ClickPath vhosts, the variables an SSI page
# echoes, and session IDs made here in Perl from the spec (§3), independently of the module.
use strict;
use warnings;
use Exporter 'import';
use ClickPathRef qw(rotate);
use Apache::Test ();
use Apache::TestRequest ();

our @EXPORT = qw(cp_get env_of id_of make_id rotate error_log_count loaded_modules $ID_RE);

# A minted ID of this server (127.0.0.1 → s9NNNd) with a plain body: 20 characters and the comma.
our $ID_RE = qr/s9NNNd:[A-Za-z0-9\@,-]{20}M/;

# cp_get(PATH, host => 'clickpath.test', headers => [...])
sub cp_get {
    my ($path, %o) = @_;
    my $host = $o{host} // 'clickpath.test';
    Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0, keep_alive => 0, timeout => 30);
    return Apache::TestRequest::GET($path, Host => "$host:" . Apache::Test::vars('port'), @{ $o{headers} || [] });
}

# NAME=value lines of env.shtml
sub env_of {
    my ($body) = @_;
    my %env = $body =~ /^(\w+)=(.*)$/mg;
    return \%env;
}

# the ID in the first rewritten link of a body
sub id_of {
    my ($body) = @_;
    return $body =~ m{href="/-S:([^/"]+)/} ? $1 : undef;
}

# make_id(machine => 'fwAAAQ', time => T, pid => P, counter => C, conn => N): a plain ID made
# by the reference codec (ClickPathRef, from the spec and the Perl module's libraries).
sub make_id { return ClickPathRef::encode_id(@_) }

# module name => .so path, as Apache::Test loaded them (for configs of extra httpd runs)
sub loaded_modules {
    my $conf = Apache::Test::vars('t_conf_file');
    my %load;
    open my $fh, '<', $conf or die "$conf: $!";
    while (<$fh>) { $load{$1} = $2 if /^\s*LoadModule\s+(\w+)\s+"?([^"\s]+)"?/ }
    return %load;
}

sub error_log_count {
    my ($text) = @_;
    my $count = 0;
    open my $fh, '<', Apache::Test::vars('t_logs') . '/error_log' or return 0;
    while (<$fh>) { $count++ if index($_, $text) >= 0 }
    return $count;
}

1;
