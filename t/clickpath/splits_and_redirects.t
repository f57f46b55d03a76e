# ClickPath: a CGI that flushes mid-tag (split.cgi sends split.html in pieces cut inside tags,
# attribute values and quotes) comes out exactly as the same page served whole; an internal
# redirect from a CGI (`Location: /local`) inherits the session and is filtered with the first
# request's new/existing flag; mod_dir's index of a new session gets the session and the base.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use ClickPathTest;

plan tests => 16, need_module 'mod_usertrack.c', need_cgi;

# The body with the session replaced by ID (after checking there is one session only), and the
# number of links that carry it.
sub normalised {
    my ($body) = @_;
    my %ids = map { $_ => 1 } $body =~ m{/-S:([^/"']+)/}g;
    return ('sessions: ' . join(' ', sort keys %ids), 0) if keys %ids != 1;
    my ($id) = keys %ids;
    my $count = $body =~ s{/-S:\Q$id\E/}{/-S:ID/}g;
    return ($body, $count);
}

# --- new session: the split CGI and the static page agree, link by link
my ($split, $split_links) = normalised(cp_get('/clickpath/split.cgi')->content);
my ($whole, $whole_links) = normalised(cp_get('/clickpath/split.html')->content);
ok t_cmp($whole_links, 8, 'new session, whole page: the 8 own links (relative ones with the base) rewritten');
ok t_cmp($split_links, $whole_links, 'new session, flushed mid-tag: as many links');
ok t_cmp($split, $whole, 'new session, flushed mid-tag: byte for byte the whole page');
ok t_cmp($split, qr{<a href='/-S:ID/clickpath/next\.html'>three</a>}, 'cut between the quote and the value');
ok t_cmp($split, qr{<a href="/-S:ID/clickpath/\.\./up\.html">five</a>}, 'cut between < and a');
ok t_cmp($split, qr{content="5; url=/-S:ID/clickpath/next\.html"}, 'cut inside a meta refresh');

# --- existing session: only root-relative links change, the split changes nothing
my $id = make_id(time => time);
my $split_body = cp_get("/-S:$id/clickpath/split.cgi")->content;
my $whole_body = cp_get("/-S:$id/clickpath/split.html")->content;
ok t_cmp(scalar(() = $whole_body =~ m{/-S:\Q$id\E/}g), 5, 'existing session, whole page: the 5 root-relative links');
ok t_cmp($split_body, $whole_body, 'existing session, flushed mid-tag: byte for byte the whole page');

# --- an internal redirect from a CGI: the session and the first request's flag
my $res = cp_get('/clickpath/redirect.cgi');
ok t_cmp($res->code, 200, 'CGI Location: /local is served internally');
my $new = env_of($res->content)->{SESSION} // '';
ok t_cmp($new, qr/^$ID_RE$/, 'new session: minted for the CGI, inherited by the redirect');
ok t_cmp($res->content, qr{href="/-S:\Q$new\E/clickpath/next\.html">rel}, 'new session: relative links get session and base');
$res = cp_get("/-S:$id/clickpath/redirect.cgi");
ok t_cmp(env_of($res->content)->{SESSION}, $id, 'existing session: inherited by the redirect');
ok t_cmp($res->content, qr{href="/-S:\Q$id\E/clickpath/next\.html">abs}, 'existing session: root-relative links get it');
ok t_cmp($res->content, qr{href="next\.html">rel}, 'existing session: relative links stay');

# --- mod_dir's index for a new visitor
$res = cp_get('/clickpath/dir/');
$new = env_of($res->content)->{SESSION} // '';
ok t_cmp($new, qr/^$ID_RE$/, 'DirectoryIndex, new visitor: a session');
ok t_cmp($res->content, qr{href="/-S:\Q$new\E/clickpath/dir/next\.html">rel}, 'DirectoryIndex, new visitor: the base is the directory');
