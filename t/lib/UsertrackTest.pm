package UsertrackTest;
# Shared helpers for the mod_usertrack Apache::Test suite.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use IO::Socket::INET ();
use Time::HiRes ();
use POSIX ();
use Apache::Test ();
use Apache::TestRequest ();

our @EXPORT = qw(
    $ID_RE $VALUE_RE new_tag req raw_request set_cookies set_cookie2s
    log_entry log_entries id_time id_seconds netscape_date keepalive_agent
    env_entry cgi_vars error_log_size error_log_since parse_netscape_date
    $UUID4_RE $UUID7_RE $LEGACY_RE $TAG_RE random_id_key
    $COOKIELESS_RE cookieless_entry cookieless_entries standalone_config_test
);

# Issue 9 ID formats and the signature tag (22 characters of base64url).
our $UUID4_RE  = qr/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;
our $UUID7_RE  = qr/[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;
our $LEGACY_RE = qr/127\.0\.0\.1\.[1-9][0-9]*/;
our $TAG_RE    = qr/[A-Za-z0-9_-]{22}/;

# <1-8 lower-case hex, no zero padding>.<hex of request time in microseconds>
our $ID_RE    = qr/(?:0|[1-9a-f][0-9a-f]{0,7})\.[1-9a-f][0-9a-f]{0,15}/;
our $VALUE_RE = qr/[^;,]+/;

my $counter = 0;
sub new_tag {
    my $what = shift // 't';
    $what =~ s/[^A-Za-z0-9_.-]/_/g;
    return sprintf '%s-%d-%d-%d', $what, $$, time, ++$counter;
}

# req(METHOD, PATH, host => NAME, tag => TAG, headers => [...], same_agent => 1)
# Uses Apache::TestRequest (LWP): never follows redirects, no cookie jar.
# A fresh user agent per request unless same_agent (then the keep-alive agent
# made by keepalive_agent() is reused, so requests share one connection).
sub keepalive_agent {
    Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0,
                                    keep_alive => 1, timeout => 30);
}

sub req {
    my ($method, $path, %o) = @_;
    my @h = @{ $o{headers} || [] };
    push @h, Host => $o{host} . ':' . Apache::Test::vars('port') if $o{host};
    push @h, 'X-Test-Tag' => $o{tag} if $o{tag};
    Apache::TestRequest::user_agent(reset => 1, requests_redirectable => 0,
                                    keep_alive => 0, timeout => 30)
        unless $o{same_agent};
    my $res = $method eq 'HEAD' ? Apache::TestRequest::HEAD($path, @h)
                                : Apache::TestRequest::GET($path, @h);
    return $res;
}

# Raw HTTP over a socket, for what LWP cannot express (HTTP/1.0, repeated
# request headers).  Returns { status, proto, headers => [[name, value]...], body }.
sub raw_request {
    my ($text) = @_;
    my $port = Apache::Test::vars('port');
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                     Proto => 'tcp', Timeout => 10)
        or die "connect 127.0.0.1:$port: $!";
    $text =~ s/\r?\n/\r\n/g;
    print $sock $text;
    my $data = '';
    my $deadline = time + 20;
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 20;
        while (time < $deadline) {
            my $n = sysread($sock, my $buf, 65536);
            last unless $n;
            $data .= $buf;
        }
        alarm 0;
    };
    alarm 0;
    close $sock;
    my ($head, $body) = split /\r\n\r\n/, $data, 2;
    my @lines = split /\r\n/, $head // '';
    my $statusline = shift @lines // '';
    my ($proto, $status) = $statusline =~ m{^(HTTP/\d\.\d)\s+(\d{3})};
    my @headers = map { /^([^:]+):\s*(.*)$/ ? [$1, $2] : () } @lines;
    return { proto => $proto, status => $status // 0, headers => \@headers,
             body => $body // '', raw => $data };
}

sub _header_values {
    my ($res, $name) = @_;
    if (ref $res eq 'HASH') {
        return map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $res->{headers} };
    }
    my @v = $res->headers->header($name);
    return grep { defined } @v;
}
sub set_cookies  { _header_values($_[0], 'Set-Cookie') }
sub set_cookie2s { _header_values($_[0], 'Set-Cookie2') }

# Log line for a tag from t/logs/usertrack_log, written after the response
# (log_transaction phase): poll, bounded.  Fields: tag vhost pid tid cookie
# apache thename orig_cookie status request.
my @FIELDS = qw(tag vhost pid tid cookie apache thename orig_cookie status request);
sub _log_file { Apache::Test::vars('t_logs') . '/usertrack_log' }

sub _parse_line {
    my $line = shift;
    chomp $line;
    my @f = split /\|/, $line, scalar @FIELDS;
    return undef unless @f == @FIELDS;
    my %e; @e{@FIELDS} = @f;
    return \%e;
}

# Once a lookup has timed out (log lines missing altogether), later lookups
# wait only briefly so a broken module cannot stall the suite for long.
my $timed_out = 0;

sub log_entries {
    my ($tag_re, $want, $timeout) = @_;
    $want    //= 1;
    $timeout //= $timed_out ? 0.5 : 5;
    my $deadline = Time::HiRes::time() + $timeout;
    my @found;
    while (1) {
        @found = ();
        if (open my $fh, '<', _log_file()) {
            while (my $line = <$fh>) {
                next unless $line =~ /^$tag_re\|/;
                my $e = _parse_line($line);
                push @found, $e if $e;
            }
            close $fh;
        }
        last if @found >= $want;
        if (Time::HiRes::time() > $deadline) { $timed_out = 1; last }
        Time::HiRes::sleep(0.05);
    }
    return @found;
}

sub log_entry {
    my ($tag, $timeout) = @_;
    my @e = log_entries(qr/\Q$tag\E/, 1, $timeout);
    return $e[0];
}

# The environment log (t/logs/usertrack_env_log) for a tag: fields
# tag vhost id new orig_id orig_new cookie orig_cookie status request.
my @ENV_FIELDS = qw(tag vhost id new orig_id orig_new cookie orig_cookie status request);
sub env_entry {
    my ($tag, $timeout) = @_;
    $timeout //= $timed_out ? 0.5 : 5;
    my $file = Apache::Test::vars('t_logs') . '/usertrack_env_log';
    my $deadline = Time::HiRes::time() + $timeout;
    while (1) {
        if (open my $fh, '<', $file) {
            while (my $line = <$fh>) {
                next unless $line =~ /^\Q$tag\E\|/;
                chomp $line;
                my @f = split /\|/, $line, scalar @ENV_FIELDS;
                next unless @f == @ENV_FIELDS;
                my %e; @e{@ENV_FIELDS} = @f;
                return \%e;
            }
            close $fh;
        }
        if (Time::HiRes::time() > $deadline) { $timed_out = 1; return undef }
        Time::HiRes::sleep(0.05);
    }
}

# KEY=VALUE lines a CGI printed (t/htdocs/cgi/*.cgi) as a hash.
sub cgi_vars {
    my $res = shift;
    my $body = ref $res eq 'HASH' ? $res->{body} : $res->content;
    my %v;
    for (split /\n/, $body // '') {
        $v{$1} = $2 if /^([A-Za-z_]+)=(.*)$/;
    }
    return \%v;
}

# The error_log: its size now, and the lines written after an offset that match
# a pattern (polled, bounded: error_log lines are written during the request).
sub _error_log_file { Apache::Test::vars('t_logs') . '/error_log' }
sub error_log_size { -s _error_log_file() // 0 }
sub error_log_since {
    my ($offset, $re, $timeout) = @_;
    $timeout //= 3;
    my $deadline = Time::HiRes::time() + $timeout;
    while (1) {
        my @lines;
        if (open my $fh, '<', _error_log_file()) {
            binmode $fh;
            seek $fh, $offset, 0;
            while (my $line = <$fh>) { push @lines, $line if $line =~ $re }
            close $fh;
        }
        return @lines if @lines || Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
}

# "Www, DD-Mon-YY hh:mm:ss GMT" back to epoch seconds (years 1970-2069).
sub parse_netscape_date {
    my $s = shift // return undef;
    my %mo; @mo{qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec)} = 0 .. 11;
    my ($d, $m, $y, $H, $M, $S) =
        $s =~ /^\w{3}, (\d\d)-(\w{3})-(\d\d) (\d\d):(\d\d):(\d\d) GMT$/ or return undef;
    return undef unless exists $mo{$m};
    require Time::Local;
    my $t = Time::Local::timegm($S, $M, $H, $d, $mo{$m}, $y < 70 ? 2000 + $y : 1900 + $y);
    return netscape_date($t) eq $s ? $t : undef;
}

# A well-formed apache-format ID nobody minted (a returning visitor's value).
sub random_id_key {
    return sprintf '%x.%x', 1 + int rand 0xfffffff, 1_500_000_000_000_000 + int rand 1e12;
}

# Request time (seconds, float) encoded in an ID's second half.
sub id_time {
    my $id = shift;
    my ($hex) = $id =~ /\.([0-9a-f]{1,15})$/ or return undef;
    no warnings 'portable';
    return hex($hex) / 1e6;
}

# Whole seconds of an ID's request time (integer arithmetic).
sub id_seconds {
    my $id = shift;
    my ($hex) = $id =~ /\.([0-9a-f]{1,15})$/ or return undef;
    no warnings 'portable';
    use integer;
    return hex($hex) / 1000000;
}

# "Www, DD-Mon-YY hh:mm:ss GMT" as mod_usertrack writes it.
sub netscape_date {
    my $t = shift;
    my @g = gmtime($t);
    my @wd = qw(Sun Mon Tue Wed Thu Fri Sat);
    my @mo = qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec);
    return sprintf '%s, %02d-%s-%02d %02d:%02d:%02d GMT',
        $wd[$g[6]], $g[3], $mo[$g[4]], $g[5] % 100, $g[2], $g[1], $g[0];
}

# Issue 14: a cookieless ID, and the lines of t/logs/usertrack_cookieless_log.
our $COOKIELESS_RE = qr/cl-[A-Za-z0-9_-]{22}/;
my @CL_FIELDS = qw(tag vhost pid tid cookie id new cookieless set_cookie status);
sub cookieless_entries {
    my ($tag_re, $want, $timeout) = @_;
    $want //= 1;
    $timeout //= 5;
    my $file = Apache::Test::vars('t_logs') . '/usertrack_cookieless_log';
    my $deadline = Time::HiRes::time() + $timeout;
    while (1) {
        my @found;
        if (open my $fh, '<', $file) {
            while (my $line = <$fh>) {
                next unless $line =~ /^$tag_re\|/;
                chomp $line;
                my @f = split /\|/, $line, scalar @CL_FIELDS;
                next unless @f == @CL_FIELDS;
                my %e; @e{@CL_FIELDS} = @f;
                push @found, \%e;
            }
            close $fh;
        }
        return @found if @found >= $want || Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
}
sub cookieless_entry { (cookieless_entries(qr/\Q$_[0]\E/, 1, $_[1]))[0] }

# `httpd -t` on a standalone config (t/config_errors*.t, t/cookieless_config.t): a minimal
# server in $dir with the suite's MPM and module under test, then $lines (a section left open on
# the first line is closed). Returns { out, status, file, head_lines, last_line }.
sub standalone_config_test {
    my ($dir, $name, $lines) = @_;
    my $conf = Apache::Test::vars('t_conf_file');
    my %load;
    open my $cf, '<', $conf or die "$conf: $!";
    while (<$cf>) {
        $load{$1} = $2 if /^\s*LoadModule\s+(\w+)\s+"?([^"\s]+)"?/;
    }
    close $cf;
    my ($mpm) = grep { /^mpm_/ } sort keys %load;
    die "no MPM/usertrack LoadModule in $conf" unless $mpm && $load{usertrack_module};
    my @head = (
        qq{ServerRoot "$dir"},
        qq{ServerName 127.0.0.1},
        qq{Listen 127.0.0.1:1},
        qq{DefaultRuntimeDir "$dir"},
        qq{PidFile "$dir/httpd.pid"},
        qq{ErrorLog "$dir/error_log"},
        qq{DocumentRoot "$dir"},
        qq{LoadModule $mpm "$load{$mpm}"},
        qq{LoadModule usertrack_module "$load{usertrack_module}"},
    );
    my @body = split /\n/, $lines;
    my @tail;
    push @tail, '</Directory>'   if $lines =~ /^<Directory/;
    push @tail, '</Location>'    if $lines =~ /^<Location/;
    push @tail, '</VirtualHost>' if $lines =~ /^<VirtualHost/;
    my $file = "$dir/$name.conf";
    open my $fh, '>', $file or die "$file: $!";
    print $fh map { "$_\n" } @head, @body, @tail;
    close $fh;
    my $httpd = Apache::Test::vars('httpd');
    my $out = qx{"$httpd" -t -f "$file" 2>&1};
    return { out => $out, status => $? >> 8, file => $file, head_lines => scalar @head,
             last_line => @head + @body };
}

1;
