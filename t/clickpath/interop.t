# ClickPath IDs across implementations. The Perl Apache2::ClickPath cannot be installed here, so
# ClickPathRef (t/clickpath/lib) stands in for it: the spec's codec written in Perl with the
# libraries the Perl module used (Digest::CRC, MIME::Base64, Digest::MD5, Crypt::CBC +
# Crypt::Blowfish, LWP for the secret URL). (a) IDs our module mints on the plain, secret and
# secret+IV vhosts decode there with a good CRC, the creation time of the request, the pid of the
# httpd child that served it and the configured machine; (b) IDs it mints (with and without a
# secret, IV and friendly part) are continued by our module; (c) clickpath-decode reads them
# to the same fields.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use File::Temp ();
use MIME::Base64 ();
use Time::HiRes ();
use Apache::Test;
use Apache::TestUtil;
use ClickPathTest;
use ClickPathRef qw(encode_id decode_id cipher_for);

plan tests => 71, need_module 'mod_usertrack.c', 'Digest::CRC', 'Crypt::CBC', 'Crypt::Blowfish', 'LWP::UserAgent';

my $serverroot = Apache::Test::vars('serverroot');
my $env_page = '/clickpath/env.shtml';
my $fish = 'data:,So%20long%20and%20thanks%20for%20all%20the%20fish';
my $key_file = "file://$serverroot/clickpath/secret.key";    # ClickPathSecret file:clickpath/secret.key

# The ClickPath vhosts of t/conf/extra.conf.in, with the secret URL and IV the reference needs.
my @vhosts = (
    { host => 'clickpath.test',           machine => 'fwAAAQ', label => 'plain' },
    { host => 'clickpath-secret.test',    machine => 'test',   label => 'secret', secret => $fish },
    { host => 'clickpath-secret-iv.test', machine => 'fwAAAQ', label => 'secret+IV', secret => $key_file, iv => 'myiv' },
);
$_->{cipher} = cipher_for(secret => $_->{secret}, iv => $_->{iv}) for @vhosts;

# The clickpath_interop log line of a request (tag|vhost|pid|SESSION|INVALID|EXPIRED), waiting a
# little for it: the access log is written after the response has gone out.
sub log_entry {
    my ($tag) = @_;
    my $file = Apache::Test::vars('t_logs') . '/clickpath_interop_log';
    for (1 .. 100) {
        if (open my $fh, '<', $file) {
            while (<$fh>) {
                chomp;
                my @f = split /\|/, $_, -1;
                return { pid => $f[2], session => $f[3] } if @f == 6 && $f[0] eq $tag;
            }
        }
        Time::HiRes::sleep(0.05);
    }
    return {};
}

my $tags = 0;
sub get_tagged {
    my ($path, $host) = @_;
    my $tag = "interop-$$-" . ++$tags;    # unique across runs: the log may hold an earlier pass's lines
    return (cp_get($path, host => $host, headers => ['X-Test-Tag' => $tag]), $tag);
}

# --- (a) IDs our module mints, read by the reference
my @minted;
for my $v (@vhosts) {
    my $before = time;
    my ($res, $tag) = get_tagged($env_page, $v->{host});
    my $after = time;
    my $env = env_of($res->content);
    my $id = $env->{SESSION} // '';
    my $d = decode_id($id, cipher => $v->{cipher});
    ok t_cmp($d->{crc_ok}, 1, "$v->{label}: our ID decodes in Perl with a good CRC");
    ok t_cmp($d->{machine}, $v->{machine}, "$v->{label}: machine as configured");
    ok t_cmp(($d->{time} // 0) >= $before && ($d->{time} // 0) <= $after ? 'during the request' : $d->{time} // 'none',
             'during the request', "$v->{label}: creation time is the request's");
    ok t_cmp($d->{time}, $env->{SESSION_START}, "$v->{label}: and SESSION_START");
    ok t_cmp($d->{pid}, log_entry($tag)->{pid}, "$v->{label}: pid of the httpd child that served it (%P)");
    ok t_cmp(defined $d->{counter} && defined $d->{conn} ? 'all fields' : 'short', 'all fields', "$v->{label}: counter and connection present");
    push @minted, { %$v, id => $id, decoded => $d };
}
ok t_cmp($minted[0]{decoded}{crc_ok} && !decode_id($minted[1]{id})->{crc_ok} ? 'needs key' : 'readable', 'needs key',
         'a secret ID does not decode without the key');
ok t_cmp(decode_id($minted[2]{id}, cipher => $vhosts[1]{cipher})->{crc_ok}, 0, 'nor with another key');
ok t_cmp(decode_id($minted[2]{id}, cipher => cipher_for(secret => $key_file))->{crc_ok}, 0, 'nor with the right key and the default IV');

# --- (b) IDs the reference mints, continued by our module
my $friendly_text = "cart/a#b\nsid=4=7*1!1,x";    # every character the friendly part escapes, and a comma
my @made;
for my $v (@vhosts) {
    for my $friendly (undef, ['partner', $friendly_text]) {
        my $label = $v->{label} . ($friendly ? ', friendly part' : '');
        my %fields = (machine => 'perl_ref', time => time - 30, pid => 31337, counter => 65535, conn => 4294967295);
        my $id = encode_id(%fields, cipher => $v->{cipher}, $friendly ? (friendly => $friendly) : ());
        my $notices = error_log_count('Caught invalid session');
        my ($res, $tag) = get_tagged("/-S:$id$env_page", $v->{host});
        my $env = env_of($res->content);
        ok t_cmp($env->{SESSION}, $id, "$label: a Perl-minted ID is continued");
        ok t_cmp($env->{SESSION_START}, $fields{time}, "$label: its creation time read");
        ok t_cmp($res->content, qr{href="/-S:\Q$id\E/clickpath/next\.html">abs}, "$label: links carry it");
        ok t_cmp(error_log_count('Caught invalid session') . "|$env->{EXPIRED_SESSION}|$env->{INVALID_SESSION}",
                 "$notices|(none)|(none)", "$label: no notice, not expired, not invalid");
        push @made, { %$v, %fields, id => $id, friendly => $friendly, label => $label };
    }
}
# the friendly part of a Perl-minted ID, on the vhost whose table knows "partner"
my $friendly_res = cp_get("/-S:$made[1]{id}$env_page", host => 'clickpath.test');
ok t_cmp($friendly_res->content, qr/^REMOTE_SESSION=\Q$friendly_text\E$/m, 'the friendly part unescaped into REMOTE_SESSION');
# and the controls: a key or IV other than the vhost's is rejected
ok t_cmp(env_of(cp_get("/-S:$made[2]{id}$env_page", host => 'clickpath.test')->content)->{SESSION} ne $made[2]{id} ? 'rejected' : 'accepted',
         'rejected', 'an ID with a secret is not taken without it');
my $wrong_iv = encode_id(time => time, cipher => cipher_for(secret => $key_file));
ok t_cmp(env_of(cp_get("/-S:$wrong_iv$env_page", host => 'clickpath-secret-iv.test')->content)->{SESSION} ne $wrong_iv ? 'rejected' : 'accepted',
         'rejected', 'an ID with the default IV is not taken where ClickPathSecretIV is set');

# --- (c) clickpath-decode reads what either side minted as the reference does
my $decoder = $ENV{CLICKPATH_DECODE} // '';
my $no_decoder = -x $decoder ? 0 : 'clickpath-decode not built (CLICKPATH_DECODE)';
my $friendly_file = File::Temp->new;
print $friendly_file "partner.example uri(1) param(sid) partner\n";
close $friendly_file;

sub run_decoder {
    my ($v, $input, @extra) = @_;
    my @args = (@extra, $v->{secret} ? ('--secret', $v->{secret}) : (), defined $v->{iv} ? ('--secret-iv', $v->{iv}) : ());
    open my $out, '-|', $decoder, @args, $input or die "$decoder: $!";
    my %fields = map { /^(\w+):\s+(.*)$/ ? ($1, $2) : () } <$out>;
    close $out;
    $fields{creation_time} =~ s/ .*// if defined $fields{creation_time};
    return \%fields;
}

sub fields_of {    # the reference's fields under the decoder's names
    my ($d) = @_;
    return join ' ', map { $_ // '(absent)' } $d->{machine}, @$d{qw(time pid counter conn)};
}

for my $case (@made, @minted) {
    skip($no_decoder,
         sub {
             my $got = run_decoder($case, "http://x/-S:$case->{id}/a.html", '--tag', '-S:', '--friendly', "$friendly_file");
             my $want = fields_of(decode_id($case->{id}, cipher => $case->{cipher}));
             t_cmp(join(' ', map { $_ // '(absent)' } @$got{qw(server_name creation_time server_pid seq_number connection_id)}),
                   $want, "clickpath-decode: $case->{label} " . ($case->{decoded} ? 'ID of our module' : 'ID of the reference'));
         });
}
# Every kind of key material, as LWP and Perl read it and as our key derivation does (the server
# uses the same core code): binary:, hex: with non-hex characters and an odd count, password:,
# keys cut at 56 bytes, data: URLs with %XX and ;base64; with the default IV and with one.
my @secrets = ('data:,binary:12345678abcdefgh', 'data:text/plain;base64,' . MIME::Base64::encode_base64("hex:0123456789abcdefXYZ\n", ''),
               'data:,password:%00%ff%20x', 'data:,hex:' . ('ab' x 60), 'data:,binary:' . ('k' x 60), 'data:;base64,c29tZSBrZXkgdGV4dAo=');
for my $secret (@secrets) {
    for my $iv (undef, 'an IV') {
        my $key = { secret => $secret, iv => $iv, cipher => cipher_for(secret => $secret, iv => $iv) };
        my $id = encode_id(machine => 'keys', time => 1700000000, pid => 77, counter => 5, conn => 9, cipher => $key->{cipher});
        skip($no_decoder,
             sub {
                 my $got = run_decoder($key, $id);
                 t_cmp(join(' ', map { $_ // '(absent)' } @$got{qw(server_name creation_time server_pid seq_number connection_id)}),
                       'keys 1700000000 77 5 9', "clickpath-decode: key from $secret, IV " . ($iv // 'default'));
             });
    }
}
skip($no_decoder,
     sub { t_cmp(scalar keys %{ run_decoder({ secret => $secrets[0] }, encode_id(time => 1, cipher => cipher_for(secret => $secrets[2]))) }, 0,
                 'clickpath-decode: another key prints nothing') });
skip($no_decoder,
     sub {
         (my $want = $friendly_text) =~ s/\n/\\n/g;
         t_cmp(run_decoder($made[1], $made[1]{id}, '--friendly', "$friendly_file")->{remote_session}, $want,
               'clickpath-decode: the friendly part of a Perl-minted ID');
     });
