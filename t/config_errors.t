# Configuration errors: `apache2 -t` on small standalone configs must fail
# with "AH00526: Syntax error on line N of FILE:" and the exact message;
# valid edge cases pass; CookieExpires above 400 days warns but loads;
# a bad directive in .htaccess gives a 500 without a cookie.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use File::Path ();
use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

my $NAME_MSG = q{is not a valid cookie name: use only letters, digits and !#$%&'*+-.^_`|~};
my $DOM_MSG  = q{may not contain spaces, ';', ',' or control characters};
my $EXP_MSG  = q{seconds (about 68 years), the longest expiry a cookie can carry};

# [config lines (the last one is the faulty directive), expected message]
# expected undef = must load ("Syntax OK"); [warn => TEXT] = must load and warn
my @cases = (
    # --- stock errors
    ['CookieExpires "abc days"',   'bad expires code, numeric value expected.'],
    ['CookieExpires "-5 days"',    'bad expires code, numeric value expected.'],
    ['CookieExpires "plus x hours"', 'bad expires code, numeric value expected.'],
    ['CookieExpires "2weeks"',     'bad expires code, missing <type>'],
    ['CookieExpires "3 "',         'bad expires code, missing <type>'],
    ['CookieExpires "1 day 3x"',   'bad expires code, missing <type>'],
    ['CookieExpires "3 fortnights"', 'bad expires code, unrecognized type'],
    ['CookieExpires "1 m"',        'bad expires code, unrecognized type'],
    ['CookieExpires',              'CookieExpires takes one argument, an expiry date code'],
    ['CookieExpires 1 2',          'CookieExpires takes one argument, an expiry date code'],
    ['CookieStyle Foo',            q{Invalid CookieStyle keyword: 'Foo'}],
    ['CookieStyle Cookie3',        q{Invalid CookieStyle keyword: 'Cookie3'}],
    ['CookieStyle',                q{CookieStyle takes one argument, 'Netscape', 'Cookie' (RFC2109), or 'Cookie2' (RFC2965)}],
    ['CookieSameSite Loose',       q{CookieSameSite accepts 'Strict', 'Lax', or 'None'}],
    ['CookieSameSite off',         q{CookieSameSite accepts 'Strict', 'Lax', or 'None'}],
    ['CookieSameSite',             'CookieSameSite takes one argument, SameSite setting'],
    ['CookieDomain example.com',   'CookieDomain values must begin with a dot'],
    ['CookieDomain "example .com"', 'CookieDomain values must begin with a dot'],
    ['CookieDomain .com',          'CookieDomain values must contain at least one embedded dot'],
    ['CookieDomain ".com x"',      'CookieDomain values must contain at least one embedded dot'],
    ['CookieDomain ""',            'CookieDomain takes one argument, domain to which this cookie applies'],
    ['CookieTracking maybe',       'CookieTracking must be On or Off'],
    ['CookieTracking',             'CookieTracking must be On or Off'],
    ['CookieSecure yes',           'CookieSecure must be On or Off'],
    ['CookieHTTPOnly 1',           'CookieHttpOnly must be On or Off'],
    ['CookieName a b',             'CookieName takes one argument, name of the tracking cookie'],
    ['CookieName',                 'CookieName takes one argument, name of the tracking cookie'],
    ["<Directory />\nCookieStyle Foo", q{Invalid CookieStyle keyword: 'Foo'}],
    ["<VirtualHost 127.0.0.1:80>\nCookieExpires \"1 m\"", 'bad expires code, unrecognized type'],
    # --- new errors (deliberate difference 3)
    ['CookieName "a b"',           qq{CookieName "a b" $NAME_MSG}],
    ['CookieName we;ird',          qq{CookieName "we;ird" $NAME_MSG}],
    ['CookieName a=b',             qq{CookieName "a=b" $NAME_MSG}],
    ['CookieName a,b',             qq{CookieName "a,b" $NAME_MSG}],
    ['CookieName (x)',             qq{CookieName "(x)" $NAME_MSG}],
    ['CookieName a/b',             qq{CookieName "a/b" $NAME_MSG}],
    ['CookieName a@b',             qq{CookieName "a\@b" $NAME_MSG}],
    ['CookieName a?b',             qq{CookieName "a?b" $NAME_MSG}],
    ['CookieName a{b}',            qq{CookieName "a{b}" $NAME_MSG}],
    ['CookieName a:b',             qq{CookieName "a:b" $NAME_MSG}],
    ["CookieName \"a\tb\"",        qq{CookieName "a\tb" $NAME_MSG}],
    ["CookieName caf\xc3\xa9",     qq{CookieName "caf\xc3\xa9" $NAME_MSG}],
    ["<Location />\nCookieName \"x y\"", qq{CookieName "x y" $NAME_MSG}],
    ['CookieDomain ".exa mple.com"', qq{CookieDomain ".exa mple.com" $DOM_MSG}],
    ['CookieDomain .example.com;x', qq{CookieDomain ".example.com;x" $DOM_MSG}],
    ['CookieDomain .a,b.com',      qq{CookieDomain ".a,b.com" $DOM_MSG}],
    ["CookieDomain \".example.com\tx\"", qq{CookieDomain ".example.com\tx" $DOM_MSG}],
    ['CookieExpires "69 years"',   qq{CookieExpires "69 years" is more than 2147483647 $EXP_MSG}],
    ['CookieExpires "100 years"',  qq{CookieExpires "100 years" is more than 2147483647 $EXP_MSG}],
    ['CookieExpires 3000000000',   qq{CookieExpires "3000000000" is more than 2147483647 $EXP_MSG}],
    ['CookieExpires 2147483648',   qq{CookieExpires "2147483648" is more than 2147483647 $EXP_MSG}],
    ['CookieExpires "68 years 36 days"', qq{CookieExpires "68 years 36 days" is more than 2147483647 $EXP_MSG}],
    # --- valid edge cases: must load
    ['CookieName "!#$%&\'*+-.^_`|~Az09"', undef],
    ['CookieName user_id',         undef],
    ['CookieDomain .com.',         undef],
    ['CookieDomain .example.com',  undef],
    ['CookieTracking on extra',    undef],
    ['CookieStyle rfc2965',        undef],
    ['CookieSameSite STRICT',      undef],
    ['CookieExpires "plus 1 yesterday 2 dogs"', undef],
    ['CookieExpires "0 days"',     undef],
    ['CookieExpires "400 days"',   undef],
    ['CookieExpires 34560000',     undef],
    # --- over 400 days: loads, warns
    ['CookieExpires "401 days"',   [warn => q{CookieExpires "401 days" is 34646400 seconds, more than 400 days: browsers cap cookie lifetimes at 400 days}]],
    ['CookieExpires 34560001',     [warn => q{CookieExpires "34560001" is 34560001 seconds, more than 400 days: browsers cap cookie lifetimes at 400 days}]],
    ['CookieExpires "68 years 35 days"', [warn => q{CookieExpires "68 years 35 days" is 2147472000 seconds, more than 400 days}]],
    ['CookieExpires 2147483647',   [warn => q{CookieExpires "2147483647" is 2147483647 seconds, more than 400 days: browsers cap cookie lifetimes at 400 days}]],
    ['CookieExpires "1 y 1 mo 1 w 1 d 1 h 1 mi 1 s"', [warn => q{CookieExpires "1 y 1 mo 1 w 1 d 1 h 1 mi 1 s" is 34822861 seconds, more than 400 days}]],
);

my @htaccess = (
    ['/bad/style/x.html',    q{Invalid CookieStyle keyword: 'Bogus'}],
    ['/bad/tracking/x.html', 'CookieTracking must be On or Off'],
    ['/bad/name/x.html',     qq{CookieName "a b" $NAME_MSG}],
    ['/bad/domain/x.html',   qq{CookieDomain ".exa mple.com" $DOM_MSG}],
    ['/bad/expires/x.html',  qq{CookieExpires "69 years" is more than 2147483647 $EXP_MSG}, 'badexp.test'],
);

plan tests => 3 * @cases + 4 * @htaccess, need_module 'mod_usertrack.c';

my $vars  = Apache::Test::vars();
my $dir   = "$vars->{t_logs}/config_errors";
File::Path::rmtree($dir);
File::Path::mkpath($dir);

# httpd escapes the error message as it logs it (ap_escape_errorlog_item):
# control characters as \t etc., bytes >= 0x80 as \xNN
sub httpd_escaped {
    my $s = shift;
    my %c = ("\b" => '\\b', "\n" => '\\n', "\r" => '\\r', "\t" => '\\t', "\x0b" => '\\v');
    $s =~ s/\\/\\\\/g;
    $s =~ s{([\x00-\x1f\x7f-\xff])}{$c{$1} // sprintf('\\x%02x', ord $1)}ge;
    return $s;
}

my $n = 0;
for my $c (@cases) {
    my ($lines, $want) = @$c;
    $n++;
    my @body = split /\n/, $lines;
    my $run = standalone_config_test($dir, "case$n", $lines);
    my ($out, $status, $file, $line) = @$run{qw(out status file last_line)};   # the faulty directive is the last line
    my @out = split /\n/, $out;
    (my $label = $body[-1]) =~ s/\t/\\t/g;

    if (!defined $want || ref $want) {
        ok t_cmp($status, 0, "$label: loads (exit status)");
        ok t_cmp($out, qr/^Syntax OK$/m, "$label: Syntax OK");
        if (ref $want) {
            my $text = $want->[1];
            my @w = grep { index($_, $text) >= 0 } @out;
            ok t_cmp(scalar(@w) && $w[0] =~ /warn/i ? 1 : 0, 1,
                     "$label: warning line containing '$text'");
        }
        else {
            ok t_cmp(scalar(grep { /CookieExpires|Cookie\w+ / } @out), 0, "$label: no message");
        }
        t_debug("output: $out") if $status;
    }
    else {
        ok t_cmp($status, 1, "$label: rejected (exit status)");
        my ($i) = grep { $out[$_] =~ /^AH00526: Syntax error on line \d+ of / } 0 .. $#out;
        ok t_cmp(defined $i ? $out[$i] : $out,
                 "AH00526: Syntax error on line $line of $file:", "$label: syntax error line");
        ok t_cmp(defined $i ? ($out[$i + 1] // '') : '', httpd_escaped($want), "$label: message");
    }
}

# .htaccess errors: 500, no cookie, message in the error log
my $error_log = "$vars->{t_logs}/error_log";
for my $c (@htaccess) {
    my ($path, $msg, $host) = @$c;
    my $tag = new_tag('htaccess');
    my $res = req(GET => $path, tag => $tag, host => $host);
    ok t_cmp($res->code, 500, "$path: bad .htaccess gives 500");
    ok t_cmp(scalar set_cookies($res) + scalar set_cookie2s($res), 0, "$path: no cookie on the 500");
    ok t_cmp((log_entry($tag) // {})->{cookie}, '-', "$path: no note");
    (my $htdir = $path) =~ s{/[^/]*$}{};
    my $want = "$vars->{documentroot}$htdir/.htaccess: $msg";
    my $found = 0;
    for (1 .. 50) {
        if (open my $fh, '<', $error_log) {
            while (<$fh>) { if (index($_, $want) >= 0) { $found = 1; last } }
            close $fh;
        }
        last if $found;
        select undef, undef, undef, 0.1;
    }
    ok t_cmp($found, 1, "$path: error_log has '$want'");
}
