#!/usr/bin/perl
# Sends split.html (beside it) in pieces, flushing and pausing after each, so that the output
# filter gets the page in separate brigades cut inside tags: in the middle of `<a href=`, inside
# an href value, between `=` and the quote, between the quote and the value, between `<` and
# `a`, inside `<form` and inside a meta refresh. t/clickpath/splits.t compares the result with
# split.html served as a static file.
use strict;
use warnings;

(my $file = $ENV{SCRIPT_FILENAME}) =~ s/split\.cgi$/split.html/;
open my $fh, '<', $file or die "$file: $!";
my $html = do { local $/; <$fh> };

# each cut comes right after this text, searched from the previous cut
my @cut_after = ('<a hr', '<a href="/clickpath/ne', "<a href=", "'", "\n<", 'four</a><',
                 '<fo', 'action="post', '<iframe src="/click', 'content="5; u', 'rl=/', '<a href="http://else', '<a href="#');
$| = 1;
print "Content-Type: text/html\r\n\r\n";
my $from = 0;
for my $text (@cut_after) {
    my $at = index($html, $text, $from);
    die "split.cgi: '$text' not found after $from" if $at < 0;
    print substr($html, $from, $at + length($text) - $from);
    $from = $at + length $text;
    select undef, undef, undef, 0.2;
}
print substr($html, $from);
