package ClickPathRef;
# A reference codec for ClickPath session IDs, written in Perl from the spec (§3) with the
# libraries Apache2::ClickPath 1.901 itself used: Digest::CRC (crc8), MIME::Base64,
# Digest::MD5, Crypt::CBC with Crypt::Blowfish, and LWP to fetch a ClickPathSecret URL. It
# stands in for the Perl module (not installable here) in t/clickpath/interop.t: IDs our
# module mints must decode here, and IDs minted here must be accepted by our module.
# Crypt::CBC and LWP are loaded only when a secret is used.
use strict;
use warnings;
use Exporter 'import';
use Digest::CRC ();
use Digest::MD5 ();
use MIME::Base64 ();

our @EXPORT_OK = qw(encode_id decode_id rotate crc8 cipher_for escape_friendly unescape_friendly);

my @ALPHABET = ('A' .. 'Z', 'a' .. 'z', '0' .. '9', '@', '-', ',');
my %POSITION = map { $ALPHABET[$_] => $_ } 0 .. $#ALPHABET;

# §3.3: every alphabet character moves BY places (13 to encode, 52 = -13 to decode).
sub rotate {
    my ($text, $by) = @_;
    return join '', map { exists $POSITION{$_} ? $ALPHABET[($POSITION{$_} + $by) % @ALPHABET] : $_ } split //, $text;
}

# §3.2: CRC-8/SMBUS, as the Perl module computed it.
sub crc8 { return Digest::CRC::crc8(shift) }

# §4.7: the friendly part's escapes and their reverse.
my %ESCAPE = ('*' => '**', '!' => '*!', '=' => '*.', "\n" => '!', '/' => '*x', '#' => '*y');
my %UNESCAPE = ('*' => '*', '!' => '!', '.' => '=', 'x' => '/', 'y' => '#');
sub escape_friendly   { (my $text = shift) =~ s{([*!=\n/#])}{$ESCAPE{$1}}g; return $text }
sub unescape_friendly { (my $text = shift) =~ s{\*([*!.xy])|!}{defined $1 ? $UNESCAPE{$1} : "\n"}ge; return $text }

# §3.4: the key a ClickPathSecret URL gives, fetched with LWP as the Perl module did.
sub key_from_url {
    my ($url) = @_;
    require LWP::UserAgent;
    my $response = LWP::UserAgent->new->get($url);
    die "ClickPathRef: cannot fetch secret from $url: " . $response->status_line . "\n" unless $response->is_success;
    my $content = $response->content;
    return substr($1, 0, 56) if $content =~ /^binary:(.*)\z/s;
    return substr(pack('H*', $1), 0, 56) if $content =~ /^hex:(.*)\z/s;
    return Digest::MD5::md5($1) if $content =~ /^password:(.*)\z/s;
    return Digest::MD5::md5($content);
}

# cipher_for(secret => URL, iv => ClickPathSecretIV argument or undef): Blowfish-CBC with the
# key used literally, no salt or header, PKCS#5 padding and the given IV.
sub cipher_for {
    my %o = @_;
    return undef unless defined $o{secret};
    require Crypt::CBC;
    my $key = key_from_url($o{secret});
    my $iv = defined $o{iv} ? substr(Digest::MD5::md5($o{iv}), 0, 8) : 'abcd1234';
    return Crypt::CBC->new(
        -cipher => 'Blowfish', -key => $key, -keysize => length $key, -pbkdf => 'none',
        -header => 'none', -iv => $iv, -padding => 'standard',
    );
}

# encode_id(machine => TEXT, time => T, pid => P, counter => C, conn => N,
#           friendly => [NAME, TEXT], cipher => cipher_for(...))
sub encode_id {
    my %f = @_;
    my $body = pack 'NNnN', $f{time}, $f{pid} // 1, $f{counter} // 1, $f{conn} // 0;
    $body = pack('C', crc8($body)) . $body;
    $body = $f{cipher}->encrypt($body) if $f{cipher};
    (my $b64 = MIME::Base64::encode_base64($body, '')) =~ s/=+$//;
    my $main = ($f{machine} // 'fwAAAQ') . ':' . $b64;
    $main =~ tr{+/}{@-};
    my $friendly = $f{friendly} ? "$f{friendly}[0]," . escape_friendly($f{friendly}[1]) : '';
    return rotate("$main,$friendly", 13);
}

# §3.5, leniently: returns { machine, crc_ok, time, pid, counter, conn, fname, ftext } (fields
# a short body lacks are undef).
sub decode_id {
    my ($id, %o) = @_;
    my ($main, $fname, $fdata) = split /,/, rotate($id, 52), 3;
    $main //= '';
    $main =~ tr{@-}{+/};
    my ($machine, $b64) = $main =~ /^([^:]*):(.*)\z/s ? ($1, $2) : ($main, '');
    $b64 .= '=' x (-length($b64) % 4);
    my $body = MIME::Base64::decode_base64($b64);
    if ($o{cipher}) {
        $body = eval { $o{cipher}->decrypt($body) } // '';
    }
    my %d = (machine => $machine, fname => $fname, ftext => defined $fdata ? unescape_friendly($fdata) : undef);
    my $rest = length($body) > 0 ? substr($body, 1) : '';
    $d{crc_ok} = length($body) > 0 && crc8($rest) == ord($body) ? 1 : 0;
    my $fields = $rest . "\0" x 14;
    @d{qw(time pid counter conn)} = unpack 'NNnN', $fields;
    my @present = (length($body) >= 5, length($body) >= 9, length($body) >= 11, length($body) >= 15);
    $d{$_} = undef for map { (qw(time pid counter conn))[$_] } grep { !$present[$_] } 0 .. 3;
    return \%d;
}

1;
