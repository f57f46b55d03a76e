# ClickPath: Location and Refresh from a handler get the session (new and existing);
# text/plain bodies are not touched; crawlers by User-Agent and by the exceptions file
# (edited while the server runs) get their name as SESSION and no rewriting.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use ClickPathTest;

plan tests => 24, need_module 'mod_usertrack.c';

my $ua_file = Apache::Test::vars('t_logs') . '/clickpath_ua_exceptions';
unlink $ua_file;

# --- Location from a handler: new session (relative resolved against the base)
my $res = cp_get('/clickpath/redirect.asis');
ok t_cmp($res->code, 302, 'asis redirect: 302');
my $location = $res->header('Location') // '';
ok t_cmp($location, qr{^/-S:$ID_RE/clickpath/next\.html$}, 'new session: relative Location gets session + base');
my ($id) = $location =~ m{^/-S:([^/]+)/};
ok t_cmp($res->content, qr{href="/-S:\Q$id\E/clickpath/moved\.html"}, 'the redirect body too');

# --- existing session: a relative Location stays, Refresh gets the session
$res = cp_get("/-S:$id/clickpath/redirect.asis");
ok t_cmp($res->header('Location'), 'next.html', 'existing session: relative Location unchanged');
$res = cp_get("/-S:$id/clickpath/refresh.asis");
ok t_cmp($res->header('Refresh'), "5; url=/-S:$id/clickpath/next.html", 'Refresh gets the session');
ok t_cmp($res->header('Location'), 'http://elsewhere.example/x', 'another host stays');
ok t_cmp($res->content, qr{href="/x"}, 'text/plain body untouched');

# --- SSI includes are rewritten as part of the page
$res = cp_get("/-S:$id/clickpath/ssi.shtml");
ok t_cmp($res->content, qr{href="/-S:\Q$id\E/clickpath/links\.html">included}, 'SSI include rewritten');
ok t_cmp($res->content, qr{SESSION=\Q$id\E}, 'SSI echo of SESSION');
ok t_cmp($res->content, qr{<a href="/-S:\Q$id\E/clickpath/next\.html">split}, 'a link split across buckets by an SSI echo');
ok t_cmp($res->content, qr{<a href="/-S:\Q$id\E/clickpath/next\.html">joined}, 'a tag begun in an include and ended in the page');

# --- autoindex listings: relative links of a new session get the session and the base
$res = cp_get('/clickpath/listing/');
ok t_cmp($res->content, qr{href="/-S:$ID_RE/clickpath/listing/a\.html"}, 'autoindex listing rewritten');

# --- ErrorDocument (internal redirect) keeps the session
$res = cp_get("/-S:$id/clickpath/nothing-here.html");
ok t_cmp($res->code, 404, 'missing page: 404');
ok t_cmp(env_of($res->content)->{SESSION}, $id, 'ErrorDocument: the session is inherited');
ok t_cmp($res->content, qr{href="/-S:\Q$id\E/clickpath/next\.html">abs}, 'ErrorDocument: links rewritten');

# --- crawlers from the container
my $crawler = sub { env_of(cp_get('/clickpath/env.shtml', headers => ['User-Agent' => shift])->content) };
my $env = $crawler->('Mozilla/5.0 (compatible; Googlebot/2.1)');
ok t_cmp($env->{SESSION}, 'google', 'Googlebot: SESSION = google');
ok t_cmp($env->{CGI_SESSION}, '(none)', 'crawler: no CGI_SESSION');
$res = cp_get('/clickpath/env.shtml', headers => ['User-Agent' => 'Googlebot']);
ok t_cmp($res->content, qr{href="/clickpath/next\.html">abs}, 'crawler: links untouched');
ok t_cmp($crawler->('MSNBOT/1.0')->{SESSION}, 'msn', '(?i) in a regex works');
ok t_cmp($crawler->('DirBot')->{SESSION}, qr/^$ID_RE$/, 'a name with a dot is ignored (quirk 5)');

# --- the exceptions file replaces the container while it exists. A process looks at the file
# once per second at most: after each change the test lets a second pass.
open my $fh, '>', $ua_file or die "$ua_file: $!";
print $fh "filebot Mozilla\n";
close $fh;
sleep 1;
ok t_cmp($crawler->('Mozilla/5.0')->{SESSION}, 'filebot', 'exceptions file read');
ok t_cmp($crawler->('Googlebot')->{SESSION}, qr/^$ID_RE$/, 'the file replaces the container');
sleep 1;
open $fh, '>', $ua_file or die "$ua_file: $!";
print $fh "editedbot Mozilla\n";
close $fh;
utime time + 5, time + 5, $ua_file;
ok t_cmp($crawler->('Mozilla/5.0')->{SESSION}, 'editedbot', 'an edited file is read again');
unlink $ua_file;
sleep 1;
ok t_cmp($crawler->('Googlebot')->{SESSION}, 'google', 'file gone: the container again');
