#!/usr/bin/perl
# Sends its first link and 4 KB more (the filter rewrites in pieces of up to 1 KB and holds an
# unfinished one), then waits (at most 25 s, under the suite's Timeout 30) for the file named by
# the query string (digits only) in the document root before sending the second:
# t/clickpath/streaming.t reads the first link through the ClickPath filter before it lets this
# script go on, so a filter that held a CGI's output until its end fails there.
use strict;
use warnings;

my ($token) = ($ENV{QUERY_STRING} // '') =~ /^(\d+)$/ or die "wait.cgi: no token";
my $go = "$ENV{DOCUMENT_ROOT}/clickpath/wait-$token";
$| = 1;
print "Content-Type: text/html\r\n\r\n<a href=\"/clickpath/first.html\">first</a>\n", "<p>filler</p>\n" x 300;
for (1 .. 250) {
    last if -e $go;
    select undef, undef, undef, 0.1;
}
print "<a href=\"/clickpath/second.html\">second</a>\n";
