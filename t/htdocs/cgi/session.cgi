#!/usr/bin/perl
# Apache::Session on top of the tracking cookie (t/session.t), as the
# Apache::Session::Generate::ModUsertrack POD shows it: the session ID is the
# visitor's mod_usertrack ID. The store is Apache::Session::Store::File in
# $ENV{SESSION_DIR}. ?token=T stores T in a new session.
use strict;
use warnings;
use CGI::Cookie ();
use Apache::Session::Flex ();

my $dir = $ENV{SESSION_DIR} or die "SESSION_DIR not set\n";
my %args = (
    Store         => 'File',
    Lock          => 'Null',
    Generate      => 'ModUsertrack',
    Serialize     => 'Storable',
    Directory     => $dir,
    ModUsertrackCookieName => 'Apache',
);
my ($token) = ($ENV{QUERY_STRING} // '') =~ /(?:^|&)token=([\w.-]+)/;
$token //= '';

my %cookies = CGI::Cookie->fetch;
my $sid = $cookies{Apache} ? $cookies{Apache}->value : undef;

my (%session, $state);
if (defined $sid && eval { tie %session, 'Apache::Session::Flex', $sid, \%args; 1 }) {
    $state = 'restored';
}
elsif (eval { tie %session, 'Apache::Session::Flex', undef, \%args; 1 }) {
    $state = 'created';
    $session{token} = $token;
}
else {
    (my $err = $@) =~ s/\s+/ /g;
    print "Content-Type: text/plain\r\n\r\nstate=error\nerror=$err\n";
    exit 0;
}
my $id = $session{_session_id};
my $stored = $session{token} // '<none>';
untie %session;
print "Content-Type: text/plain\r\n\r\n";
print "state=$state\nsession_id=$id\nstored=$stored\n";
