# ClickPath config errors: `apache2 -t` on small configs fails with the Perl module's exact
# messages (and ours where the spec lets us decide); valid edge cases load.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use File::Path ();
use Apache::Test;
use Apache::TestUtil;
use ClickPathTest;

# [config lines (the last one is the faulty directive), expected message or undef = loads]
my @cases = (
    ['ClickPathMaxSessionAge 12a',   "ERROR: Argument to ClickPathMaxSessionAge must be a number\\n"],
    ['ClickPathMaxSessionAge -1',    "ERROR: Argument to ClickPathMaxSessionAge must be a number\\n"],
    ['ClickPathMaxSessionAge',       'ClickPathMaxSessionAge takes one argument, ClickPathMaxSessionAge time_in_seconds'],
    ['ClickPathSessionPrefix',       'ClickPathSessionPrefix takes one argument, ClickPathSessionPrefix string'],
    ['ClickPathSessionPrefix a b',   'ClickPathSessionPrefix takes one argument, ClickPathSessionPrefix string'],
    ['ClickPathUAExceptionsFile',    'ClickPathUAExceptionsFile takes one argument, ClickPathUAExceptionsFile filename'],
    ['ClickPathFriendlySessionsFile a b', 'ClickPathFriendlySessionsFile takes one argument, ClickPathFriendlySessionsFile filename'],
    ['</ClickPathUAExceptions>',     '</ClickPathUAExceptions> without matching <ClickPathUAExceptions> section'],
    ['ClickPathMachine "quoted"',    "ClickPathMachine [name] -- name consist of letters, digits or _\\n"],
    ['ClickPathMachine a.b',         "ClickPathMachine [name] -- name consist of letters, digits or _\\n"],
    ['ClickPathSecret ftp://x/key',  "ERROR: ClickPathSecret URL: please specify a http, https, file or data URL\\n"],
    ['ClickPathSecret "data:,x"',    "ERROR: ClickPathSecret URL: please specify a http, https, file or data URL\\n"],
    ['ClickPathSecret file:///nonexistent/key', "ERROR: ClickPathSecret: Cannot fetch secret from file:///nonexistent/key\\n"],
    ['ClickPathSecret http://keys.example/secret',
     'ERROR: ClickPathSecret: http://keys.example/secret: http and https URLs are not supported (this module does not fetch keys over the network while httpd starts); save the key in a file and use a file: URL\\n'],
    ['ClickPathSecret data:,binary:short',
     'ERROR: ClickPathSecret: the key is 5 bytes long; Blowfish needs 8 to 56 (use a hex:, binary: or password: secret, or any other text, which is hashed)\\n'],
    ["<Directory />\nClickPathSessionPrefix -S:", 'ClickPathSessionPrefix not allowed in <Directory> context'],
    ["<Location /x>\nClickPathMaxSessionAge 5", 'ClickPathMaxSessionAge not allowed in <Location> context'],
    # --- valid: must load
    ['ClickPathMachine',             undef],
    ['ClickPathMachine web_1',       undef],
    ['ClickPathSecret data:,So%20long', undef],
    ['ClickPathSecretIV "any text"', undef],
    ["<VirtualHost 127.0.0.1:80>\nClickPathSessionPrefix -S:", undef],
);

plan tests => 2 * @cases + 4, need_module 'mod_usertrack.c';

my $vars  = Apache::Test::vars();
my $httpd = $vars->{httpd};
my $dir   = "$vars->{t_logs}/clickpath_config_errors";
File::Path::rmtree($dir);
File::Path::mkpath($dir);

my %load = loaded_modules();
my ($mpm) = grep { /^mpm_/ } sort keys %load;

my $n = 0;
sub check {
    my ($lines, %o) = @_;
    $n++;
    my @head = (qq{ServerRoot "$dir"}, 'ServerName 127.0.0.1', 'Listen 127.0.0.1:1', qq{DefaultRuntimeDir "$dir"},
                qq{PidFile "$dir/httpd.pid"}, qq{ErrorLog "$dir/error_log"}, qq{DocumentRoot "$dir"},
                qq{LoadModule $mpm "$load{$mpm}"}, qq{LoadModule usertrack_module "$load{usertrack_module}"});
    my @body = split /\n/, $lines;
    my @close = $o{unclosed} ? () : map { m{^<(\w+)} ? ("</$1>") : () } @body;
    my $file = "$dir/case$n.conf";
    open my $fh, '>', $file or die "$file: $!";
    print $fh map { "$_\n" } @head, @body, reverse @close;
    close $fh;
    my $out = qx{"$httpd" -t -f "$file" 2>&1};
    return ($? >> 8, $out, scalar(@head) + scalar(@body));
}

for my $c (@cases) {
    my ($lines, $want) = @$c;
    my ($status, $out) = check($lines);
    my $label = (split /\n/, $lines)[-1];
    if (defined $want) {
        ok t_cmp($status, 1, "$label: rejected");
        # httpd prints a directive's message on its own line, its own parser errors after "...: "
        ok t_cmp($out, qr/(?:^|: )\Q$want\E$/m, "$label: message");
    }
    else {
        ok t_cmp($status, 0, "$label: loads");
        ok t_cmp($out, qr/^Syntax OK$/m, "$label: Syntax OK");
    }
}

# A bad regex in <ClickPathUAExceptions> stops startup and names the regex.
my ($status, $out) = check("<ClickPathUAExceptions>\nbroken (unclosed");
ok t_cmp($status, 1, 'bad UA regex: rejected');
ok t_cmp($out, qr/ClickPathUAExceptions: the regex of broken \(\(unclosed\) does not compile/, 'bad UA regex: message');

# httpd's own message for a container that is never closed.
($status, $out) = check("<ClickPathMachineTable>\n127.0.0.1 web1", unclosed => 1);
ok t_cmp($status, 1, 'unclosed container: rejected');
ok t_cmp($out, qr/<ClickPathMachineTable> was not closed\./, 'unclosed container: message');
