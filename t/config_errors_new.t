# Issue 9, configuration errors of the new directives: `apache2 -t` on small
# standalone configs (as t/config_errors.t) must fail with "AH00526: Syntax
# error on line N of FILE:" and a message naming the directive and the value
# (for key files: the file); valid values load; bad values in .htaccess give a
# 500 without a cookie and the message in the error_log.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use File::Path ();
use MIME::Base64 ();
use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

my $vars  = Apache::Test::vars();
my $dir   = "$vars->{t_logs}/config_errors_new";
File::Path::rmtree($dir);
File::Path::mkpath($dir);

# key files, made here (mode 0600 unless said otherwise)
sub rand_b64 {
    my $n = shift;
    open my $fh, '<:raw', '/dev/urandom' or die "/dev/urandom: $!";
    read($fh, my $bytes, $n) == $n or die 'short read';
    return MIME::Base64::encode_base64($bytes, '');
}
sub key_file {
    my ($name, $text, $mode) = @_;
    my $f = "$dir/$name";
    open my $fh, '>', $f or die "$f: $!";
    print $fh $text;
    close $fh;
    chmod $mode // 0600, $f or die "chmod $f: $!";
    return $f;
}
my $good        = key_file('good.key', rand_b64(32) . "\n");
my $good2       = key_file('good2.key', "# comment\n\n" . rand_b64(48) . "\n  \n# old key\n" . rand_b64(32) . "\n");
my $world       = key_file('world.key', rand_b64(32) . "\n", 0644);
my $empty       = key_file('empty.key', '');
my $comments    = key_file('comments.key', "# only a comment\n\n");
my $short       = key_file('short.key', rand_b64(16) . "\n");
my $short2      = key_file('short2.key', rand_b64(32) . "\n" . rand_b64(31) . "\n");
my $notb64      = key_file('notb64.key', "this is not base64!!\n");
my $unreadable  = key_file('unreadable.key', rand_b64(32) . "\n", 0200);
my $missing     = "$dir/missing.key";

# [config lines (the last one is the faulty directive), expected]
# expected: [words the message must contain..., optionally a regex for the problem]; undef = must load
my @cases = (
    ['CookieIDFormat bogus',          ['CookieIDFormat', 'bogus']],
    ['CookieIDFormat uuid8',          ['CookieIDFormat', 'uuid8']],
    ['CookieIDFormat ""',             ['CookieIDFormat']],
    ['CookieIDFormat',                ['CookieIDFormat']],
    ['CookieIDFormat uuid legacy',    ['CookieIDFormat']],
    ['CookieInject yes',              ['CookieInject']],
    ['CookieInject',                  ['CookieInject']],
    ['CookieRenew maybe',             ['CookieRenew']],
    ['CookieValidate 1',              ['CookieValidate']],
    ['CookieSignAcceptUnsigned sure', ['CookieSignAcceptUnsigned']],
    ['CookiePath app',                ['CookiePath', 'app']],
    ['CookiePath "/a b"',             ['CookiePath', '/a b']],
    ['CookiePath /a;b',               ['CookiePath', '/a;b']],
    ['CookiePath /a,b',               ['CookiePath', '/a,b']],
    ["CookiePath \"/a\tb\"",          ['CookiePath', '/a\\tb']],
    ['CookiePath ""',                 ['CookiePath']],
    ['CookiePath',                    ['CookiePath']],
    ["<Directory />\nCookiePath x/y", ['CookiePath', 'x/y']],
    ["<Location />\nCookieIDFormat nope", ['CookieIDFormat', 'nope']],
    ["<VirtualHost 127.0.0.1:80>\nCookiePath ./", ['CookiePath', './']],
    ["CookieSignKeyFile \"$missing\"",    ['CookieSignKeyFile', $missing, qr/no such file|does not exist|not found/i]],
    ["CookieSignKeyFile \"$world\"",      ['CookieSignKeyFile', $world, qr/readable by (?:everyone|all|others)|world|0?644/i]],
    ["CookieSignKeyFile \"$empty\"",      ['CookieSignKeyFile', $empty, qr/no key|empty/i]],
    ["CookieSignKeyFile \"$comments\"",   ['CookieSignKeyFile', $comments, qr/no key|empty/i]],
    ["CookieSignKeyFile \"$short\"",      ['CookieSignKeyFile', $short, qr/\b32\b|too short/i]],
    ["CookieSignKeyFile \"$short2\"",     ['CookieSignKeyFile', $short2, qr/line 2|\b31\b/i]],
    ["CookieSignKeyFile \"$notb64\"",     ['CookieSignKeyFile', $notb64, qr/base64/i]],
    ["CookieSignKeyFile \"$unreadable\"", ['CookieSignKeyFile', $unreadable, qr/permission denied|cannot be read|unreadable/i]],
    ["CookieSignKeyFile \"$dir\"",        ['CookieSignKeyFile', $dir, qr/directory|cannot be read|not a (?:regular )?file/i]],
    ['CookieSignKeyFile',                 ['CookieSignKeyFile']],
    # --- valid: must load
    ['CookieIDFormat apache',         undef],
    ['CookieIDFormat LEGACY',         undef],
    ['CookieIDFormat Uuid',           undef],
    ['CookieIDFormat uuid7',          undef],
    ['CookieInject on',               undef],
    ['CookieRenew Off',               undef],
    ['CookieValidate ON',             undef],
    ['CookieSignAcceptUnsigned off',  undef],
    ['CookiePath /',                  undef],
    ['CookiePath /app/sub.dir/x-y_z~', undef],
    ["CookieSignKeyFile \"$good\"",   undef],
    ["CookieSignKeyFile \"$good2\"",  undef],
    ["<Location /x>\nCookieSignKeyFile \"$good\"", undef],
);

my @htaccess = (
    ['/bad/idformat/x.html',       ['CookieIDFormat', 'bogus']],
    ['/bad/path/x.html',           ['CookiePath', 'nope']],
    ['/bad/pathsemi/x.html',       ['CookiePath', '/a;b']],
    ['/bad/renew/x.html',          ['CookieRenew']],
    ['/bad/validate/x.html',       ['CookieValidate']],
    ['/bad/inject/x.html',         ['CookieInject']],
    ['/bad/acceptunsigned/x.html', ['CookieSignAcceptUnsigned']],
    ['/bad/keyfile/x.html',        ['CookieSignKeyFile', '/nonexistent/usertrack-test.key']],
);

plan tests => 3 * @cases + 4 * @htaccess + 2, need_module 'mod_usertrack.c';

# the file permissions above must hold for the error cases to mean anything
ok t_cmp((stat $world)[2] & 07777, 0644, 'world.key is world-readable');
ok t_cmp(-r $unreadable ? 'readable' : 'unreadable', 'unreadable', 'unreadable.key cannot be read by the test user');


my $n = 0;
for my $c (@cases) {
    my ($lines, $want) = @$c;
    $n++;
    my @body = split /\n/, $lines;
    my $run = standalone_config_test($dir, "case$n", $lines);
    my ($out, $status, $file, $line) = @$run{qw(out status file last_line)};   # the faulty directive is the last line
    my @out = split /\n/, $out;
    (my $label = $body[-1]) =~ s/\t/\\t/g;
    $label =~ s/\Q$dir\E/DIR/g;

    if (!defined $want) {
        ok t_cmp($status, 0, "$label: loads (exit status)");
        ok t_cmp($out, qr/^Syntax OK$/m, "$label: Syntax OK");
        ok t_cmp(scalar(grep { /Cookie\w+/ } @out), 0, "$label: no message");
        t_debug("output: $out") if $status;
    }
    else {
        ok t_cmp($status, 1, "$label: rejected (exit status)");
        my ($i) = grep { $out[$_] =~ /^AH00526: Syntax error on line \d+ of / } 0 .. $#out;
        ok t_cmp(defined $i ? $out[$i] : $out,
                 "AH00526: Syntax error on line $line of $file:", "$label: syntax error line");
        my $msg = defined $i ? ($out[$i + 1] // '') : '';
        my @words = grep { !ref } @$want;
        my @res   = grep { ref } @$want;
        # the problem is looked for in the message without the directive and the file name
        my $rest = $msg;
        $rest =~ s/\Q$_\E//g for sort { length $b <=> length $a } @words;
        my @missing = ((grep { index($msg, $_) < 0 } @words), (grep { $rest !~ $_ } @res));
        ok t_cmp(scalar(@missing) ? "missing '@missing' in: $msg" : 'names all', 'names all',
                 "$label: message names " . join(' and ', map { my $w = "$_"; $w =~ s/\Q$dir\E/DIR/; "'$w'" } @$want));
    }
}

my $error_log = "$vars->{t_logs}/error_log";
for my $c (@htaccess) {
    my ($path, $want) = @$c;
    my $tag = new_tag('htaccess-new');
    my $res = req(GET => $path, tag => $tag);
    ok t_cmp($res->code, 500, "$path: bad .htaccess gives 500");
    ok t_cmp(scalar set_cookies($res) + scalar set_cookie2s($res), 0, "$path: no cookie on the 500");
    ok t_cmp((env_entry($tag) // {})->{id}, '-', "$path: new visitor: no USERTRACK_ID");
    (my $htdir = $path) =~ s{/[^/]*$}{};
    my $prefix = "$vars->{documentroot}$htdir/.htaccess: ";
    my $found = '';
    for (1 .. 50) {
        if (open my $fh, '<', $error_log) {
            while (<$fh>) {
                my $p = index($_, $prefix);
                next if $p < 0;
                my $msg = substr($_, $p + length $prefix);
                if (!grep { index($msg, $_) < 0 } @$want) { $found = 'found'; last }
            }
            close $fh;
        }
        last if $found;
        select undef, undef, undef, 0.1;
    }
    ok t_cmp($found, 'found', "$path: error_log has '$prefix' with @$want");
}
