#!/usr/bin/perl
# An internal redirect (a local Location without a Status): httpd serves env.shtml in its place,
# which inherits the session and is filtered with this request's new/existing flag.
print "Location: /clickpath/env.shtml\r\n\r\n";
