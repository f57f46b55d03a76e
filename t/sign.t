# Issue 9, CookieSignKeyFile / CookieSignAcceptUnsigned: values are ID~TAG,
# notes and env hold the ID; forged, altered, unsigned, foreign-name and
# foreign-key values count as absent; rotation (ba.key: b signs, b and a
# verify); the transition (unsigned IDs accepted and re-sent signed).
# Key files: t/keys/{a,b,ba}.key, made by scripts/apache-test.sh.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

plan tests => 5 + 3 + 5 * 5 + 4 + 2 + 4 + 4 + 7 + 2 + 6,
    need_module 'mod_usertrack.c';

my $SIGNED = qr/($ID_RE)~($TAG_RE)/;

sub visit {
    my ($host, $cookie, %o) = @_;
    my $tag = new_tag('sign');
    my $res = req(GET => $o{path} // '/plain.html', host => $host, tag => $tag,
                  headers => [defined $cookie ? (Cookie => $cookie) : ()]);
    my @sc = set_cookies($res);
    my $log = log_entry($tag) // {};
    my $env = env_entry($tag) // {};
    $log->{cookie} //= 'NO-LOG-LINE';
    $env->{$_} //= 'NO-LOG-LINE' for qw(id new);
    return { res => $res, sc => \@sc, log => $log, env => $env };
}

# accepted: no Set-Cookie, note and env hold the ID
sub accepted {
    my ($v, $id, $what) = @_;
    ok t_cmp(scalar @{ $v->{sc} }, 0, "$what: accepted, no Set-Cookie");
    ok t_cmp($v->{log}{cookie}, $id, "$what: note is the ID without the tag");
    ok t_cmp($v->{env}{id} . '|' . $v->{env}{new}, "$id|0", "$what: USERTRACK_ID, USERTRACK_NEW=0");
}

# rejected: a new signed value is set; note/env hold the new ID; logged
sub rejected {
    my ($host, $cookie, $old_id, $what) = @_;
    my $off = error_log_size();
    my $v = visit($host, $cookie);
    my ($value, $id) = @{ $v->{sc} } == 1 ? $v->{sc}[0] =~ /^Apache=($SIGNED); path=\/$/ : ();
    ok t_cmp($value // "@{ $v->{sc} }", qr/^$SIGNED$/, "$what: rejected, a new signed value is set");
    ok t_cmp(defined $id && $id ne $old_id ? 1 : 0, 1, "$what: a new ID (not $old_id)");
    ok t_cmp($v->{log}{cookie}, $id // 'none', "$what: note is the new ID");
    ok t_cmp($v->{env}{new}, '1', "$what: USERTRACK_NEW=1");
    ok t_cmp(scalar(grep { /\[usertrack:info\]/ } error_log_since($off, qr/rejected/)), 1,
             "$what: logged as rejected at info");
}

# --- minting on sign-a.test
my $v = visit('sign-a.test');
my ($value, $id, $tagA) = @{ $v->{sc} } == 1 ? $v->{sc}[0] =~ /^Apache=($SIGNED); path=\/$/ : ();
ok t_cmp(scalar @{ $v->{sc} }, 1, 'signed: one Set-Cookie');
ok t_cmp($value // ($v->{sc}[0] // 'none'), qr/^$SIGNED$/, 'signed: value is ID~TAG (22 base64url characters)');
$value //= 'none.1~AAAAAAAAAAAAAAAAAAAAAA'; ($id, $tagA) = $value =~ /^(.*)~(.*)$/;
ok t_cmp($v->{log}{cookie}, $id, 'signed: %{cookie}n is the ID without the tag');
ok t_cmp($v->{env}{id}, $id, 'signed: USERTRACK_ID is the ID without the tag');
ok t_cmp($v->{env}{new}, '1', 'signed: USERTRACK_NEW=1');

# --- the same value back: accepted
accepted(visit('sign-a.test', "x=1; Apache=$value"), $id, 'signed value sent back');

# --- forged, altered, unsigned, truncated: rejected
(my $forged = $value) =~ s/~.*/~AAAAAAAAAAAAAAAAAAAAAA/;
rejected('sign-a.test', "Apache=$forged", $id, 'forged tag');
my $alt_id = $id; substr($alt_id, -1, 1) = substr($alt_id, -1) eq '1' ? '2' : '1';
rejected('sign-a.test', "Apache=$alt_id~$tagA", $id, 'altered ID with the original tag');
my $alt_tag = $tagA; substr($alt_tag, 0, 1) = substr($alt_tag, 0, 1) eq 'B' ? 'C' : 'B';
rejected('sign-a.test', "Apache=$id~$alt_tag", $id, 'one character of the tag changed');
rejected('sign-a.test', "Apache=$id", $id, 'unsigned ID (no CookieSignAcceptUnsigned)');
rejected('sign-a.test', "Apache=$id~" . substr($tagA, 0, 21), $id, 'tag one character short');

# --- a tag made for another cookie name (same key) does not fit
my $o = visit('sign-a-name.test');
my ($ovalue, $oid) = @{ $o->{sc} } == 1 ? $o->{sc}[0] =~ /^othername=($SIGNED); path=\/$/ : ();
ok t_cmp($ovalue // 'none', qr/^$SIGNED$/, 'othername: minted signed');
$ovalue //= 'none.1~AAAAAAAAAAAAAAAAAAAAAA'; $oid //= 'none.1';
ok t_cmp(scalar @{ visit('sign-a-name.test', "othername=$ovalue")->{sc} }, 0, 'othername value on its own host: accepted');
{
    my $r = visit('sign-a.test', "Apache=$ovalue");
    my ($nv) = ($r->{sc}[0] // '') =~ /^Apache=($SIGNED);/;
    ok t_cmp(defined $nv && $nv ne $ovalue ? 1 : 0, 1, 'a tag made for cookie "othername" is rejected for "Apache"');
    ok t_cmp($r->{log}{cookie} ne $oid ? 1 : 0, 1, 'rejected foreign-name value: note is not its ID');
}

# --- another key: rejected
{
    my $r = visit('sign-b.test', "Apache=$value");
    my ($nv, $nid) = ($r->{sc}[0] // '') =~ /^Apache=($SIGNED);/;
    ok t_cmp(defined $nv && $nid ne $id ? 1 : 0, 1, 'value signed with key a on a host with key b: rejected, new ID');
    ok t_cmp($r->{log}{cookie}, $nid // 'none', 'key b host: note is the new ID');
}

# --- rotation: ba.key (b signs, b and a verify)
my ($tagB, $valueB);
{
    my $r = visit('sign-ba.test', "Apache=$value");
    my ($nv, $nid, $nt) = ($r->{sc}[0] // '') =~ /^Apache=($SIGNED); path=\/$/;
    ok t_cmp(scalar @{ $r->{sc} }, 1, 'rotation: a value signed with the old key gets one Set-Cookie');
    ok t_cmp($nid // 'none', $id, 'rotation: same ID re-sent');
    ok t_cmp(defined $nt && $nt ne $tagA ? 1 : 0, 1, 'rotation: with a new tag (the first key\'s)');
    ok t_cmp($r->{log}{cookie} . '|' . $r->{env}{new}, "$id|0", 'rotation: accepted, note is the ID, USERTRACK_NEW=0');
    ($valueB, $tagB) = ($nv // 'none', $nt // 'none');
}
{
    ok t_cmp(scalar @{ visit('sign-b.test', "Apache=$valueB")->{sc} }, 0, 'rotation: the re-signed value is accepted by key b alone');
    ok t_cmp(scalar @{ visit('sign-ba.test', "Apache=$valueB")->{sc} }, 0, 'rotation: the re-signed value is not re-sent again');
    my $r = visit('sign-a.test', "Apache=$valueB");
    ok t_cmp(($r->{sc}[0] // '') =~ /^Apache=\Q$valueB\E;/ || !@{ $r->{sc} } ? 0 : 1, 1, 'rotation: the key-b value is rejected by key a alone');
    my $m = visit('sign-ba.test');
    my ($mv) = ($m->{sc}[0] // '') =~ /^Apache=($SIGNED);/;
    ok t_cmp(scalar @{ visit('sign-b.test', 'Apache=' . ($mv // 'none'))->{sc} }, 0, 'rotation: minted with ba.key, accepted by key b');
}

# --- CookieSignAcceptUnsigned: well-formed unsigned IDs kept and re-sent signed
{
    my $r0 = random_id_key();
    my $r = visit('sign-transition.test', "Apache=$r0");
    my ($nv, $nid) = ($r->{sc}[0] // '') =~ /^Apache=($SIGNED); path=\/$/;
    ok t_cmp(scalar @{ $r->{sc} }, 1, 'transition: unsigned ID gets one Set-Cookie');
    ok t_cmp($nid // 'none', $r0, 'transition: the same ID, now signed');
    ok t_cmp($r->{log}{cookie} . '|' . $r->{env}{id} . '|' . $r->{env}{new}, "$r0|$r0|0",
             'transition: note and USERTRACK_ID are the ID, USERTRACK_NEW=0');
    ok t_cmp(scalar @{ visit('sign-a.test', 'Apache=' . ($nv // 'none'))->{sc} }, 0,
             'transition: the re-signed value is accepted where unsigned ones are not');
    ok t_cmp(scalar @{ visit('sign-transition.test', 'Apache=' . ($nv // 'none'))->{sc} }, 0,
             'transition: a signed value is not re-sent');
    my $lg = visit('sign-transition.test', 'Apache=127.0.0.1.1206588190123456');
    ok t_cmp($lg->{sc}[0] // '', qr/^Apache=127\.0\.0\.1\.1206588190123456~$TAG_RE; path=\/$/,
             'transition: an unsigned legacy ID is kept and re-sent signed');
    my $f = visit('sign-transition.test', "Apache=$r0~AAAAAAAAAAAAAAAAAAAAAA");
    my ($fid) = ($f->{sc}[0] // '') =~ /^Apache=$SIGNED;/;
    ok t_cmp(defined $fid && $fid ne $r0 ? 1 : 0, 1, 'transition: a forged tag is still rejected');
}
{
    my $j = visit('sign-transition.test', 'Apache=junk!value');
    my ($jid) = ($j->{sc}[0] // '') =~ /^Apache=$SIGNED; path=\/$/;
    ok t_cmp($jid // 'none', qr/^$ID_RE$/, 'transition: an unsigned value of no format is replaced by a new signed ID');
    ok t_cmp($j->{log}{cookie}, $jid // 'none', 'transition: note is the new ID');
}

# --- signing together with CookieValidate; per-directory signing (newmerge.test)
{
    ok t_cmp(scalar @{ visit('sign-validate.test', "Apache=$value")->{sc} }, 0, 'CookieValidate + signing: a valid signed value is accepted');
    my $s = visit('newmerge.test', undef, path => '/newmerge/signed/x.html');
    ok t_cmp($s->{sc}[0] // '', qr/^Apache=$UUID4_RE~$TAG_RE; path=\/newmerge$/, '<Location> CookieSignKeyFile: signed uuid, inherited path');
    my $u = visit('newmerge.test', undef, path => '/newmerge/x.html');
    ok t_cmp($u->{sc}[0] // '', qr/^Apache=$UUID4_RE; path=\/newmerge$/, 'outside the <Location>: unsigned');
    my $uid = ($u->{sc}[0] // '') =~ /^Apache=($UUID4_RE);/ ? $1 : 'none';
    my $t = visit('newmerge.test', "Apache=$uid", path => '/newmerge/transition/x.html');
    ok t_cmp($t->{sc}[0] // '', qr/^Apache=\Q$uid\E~$TAG_RE; path=\/newmerge$/, '<Location> transition: unsigned uuid re-sent signed');
    my $st = visit('newmerge.test', "Apache=$uid", path => '/newmerge/transition/strict/x.html');
    my ($sid) = ($st->{sc}[0] // '') =~ /^Apache=($UUID4_RE)~$TAG_RE;/;
    ok t_cmp(defined $sid && $sid ne $uid ? 1 : 0, 1, 'nested <Location> CookieSignAcceptUnsigned off: the unsigned uuid is rejected (key file inherited)');
    my $sv = ($s->{sc}[0] // '') =~ /^Apache=([^;]+)/ ? $1 : 'none';
    ok t_cmp(scalar @{ visit('newmerge.test', "Apache=$sv", path => '/newmerge/transition/strict/x.html')->{sc} }, 0,
             'nested <Location>: a signed value is accepted (key file inherited)');
}
