#!/usr/bin/perl
# Prints what an application sees of the visitor's ID (t/inject.t, t/env.t).
use strict;
use warnings;

print "Content-Type: text/plain\r\n\r\n";
for my $name (qw(HTTP_COOKIE USERTRACK_ID USERTRACK_NEW HTTP_X_VISITOR_ID
                 REDIRECT_USERTRACK_ID REDIRECT_USERTRACK_NEW REDIRECT_STATUS)) {
    my $v = $ENV{$name};
    print "$name=", (defined $v ? $v : '<unset>'), "\n";
}
