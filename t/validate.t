# Issue 9, CookieValidate: values of no ID format count as absent (a new ID is
# minted and set, notes and env hold it) and are logged at info with the
# module's tag, escaped and cut short; values of every format are kept.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

my $n = 0;
sub marker { sprintf 'rej%d%d', $$, ++$n }

# [cookie value, what]; the log line must contain the value's first 12 characters
my @bad = (
    [marker() . '!bad',                    'punctuation'],
    [marker() . '<script>',                'markup'],
    ['1234abcd.' . ('f' x 17),             'hex time part too long'],
    ['123456789.5e0f1a2b3c4d5',            'nine hex digits'],
    ['f47ac10b-58cc-4372-a567-0e02b2c3d47', 'uuid one character short'],
    ['f47ac10b58cc4372a5670e02b2c3d479',   'uuid without dashes'],
    ['x' x 7168,                           '7 KB value'],
    ['127.0.0.1.' . ('1' x 7158),          '7 KB legacy-looking value'],
);
my @good = (
    [random_id_key(),                         'apache'],
    ['127.0.0.1.1206588190123456',            'legacy'],
    ['f47ac10b-58cc-4372-a567-0e02b2c3d479',  'uuid'],
    ['0190163d-8694-739b-aea5-966c26f8ad91',  'uuid7'],
);

plan tests => 6 * @bad + 4 + 4 * @good + 2, need_module 'mod_usertrack.c';

for my $c (@bad) {
    my ($value, $what) = @$c;
    my $tag = new_tag('validate');
    my $off = error_log_size();
    my $res = req(GET => '/plain.html', host => 'validate.test', tag => $tag,
                  headers => [Cookie => "a=1; Apache=$value"]);
    my @sc = set_cookies($res);
    my ($id) = @sc == 1 ? $sc[0] =~ /^Apache=($ID_RE); path=\/$/ : ();
    ok t_cmp($id // "@sc", qr/^$ID_RE$/, "$what: rejected, one Set-Cookie with a new ID");
    $id //= 'none';
    ok t_cmp((log_entry($tag) // {})->{cookie}, $id, "$what: note holds the new ID");
    my $e = env_entry($tag) // {};
    ok t_cmp(($e->{id} // '') . '|' . ($e->{new} // ''), "$id|1", "$what: USERTRACK_ID is the new ID, USERTRACK_NEW=1");
    my @lines = error_log_since($off, qr/rejected/);
    ok t_cmp(scalar(grep { /\[usertrack:info\]/ } @lines), 1, "$what: one 'rejected' line at info with the module's tag");
    my $line = $lines[0] // '';
    ok t_cmp(index($line, substr($value, 0, 12)) >= 0 ? 1 : 0, 1, "$what: the line shows the value ($line)");
    ok t_cmp(length($line) < 1024 ? 1 : 0, 1, "$what: the line is bounded (" . length($line) . ' bytes)');
}

# escaping: a quote, a backslash and bytes >= 0x80 (raw request, so they reach httpd as is)
{
    my $m = marker();
    my $off = error_log_size();
    my $port = Apache::Test::vars('port');
    my $r = raw_request("GET /plain.html HTTP/1.0\nHost: validate.test:$port\n"
                        . "Cookie: Apache=$m\"q\\b\xc3\xa9\xff\n\n");
    ok t_cmp($r->{status}, 200, 'escaping: 200');
    ok t_cmp(scalar set_cookies($r), 1, 'escaping: rejected, new cookie');
    my ($line) = error_log_since($off, qr/\Q$m\E/);
    $line //= '';
    ok t_cmp($line =~ /[\x80-\xff]/ ? 'raw bytes' : 'escaped', 'escaped', "escaping: no raw byte >= 0x80 in the log line ($line)");
    ok t_cmp($line, qr/\Q$m\E.*\\x(?:c3|C3)/, 'escaping: bytes written as \\xNN');
}

# every format's shape is kept (the host mints apache IDs)
for my $c (@good) {
    my ($value, $what) = @$c;
    my $tag = new_tag('validate-ok');
    my $off = error_log_size();
    my $res = req(GET => '/plain.html', host => 'validate.test', tag => $tag,
                  headers => [Cookie => "Apache=$value"]);
    ok t_cmp(scalar set_cookies($res), 0, "$what value kept: no Set-Cookie");
    ok t_cmp((log_entry($tag) // {})->{cookie}, $value, "$what value kept: note");
    ok t_cmp((env_entry($tag) // {})->{new}, '0', "$what value kept: USERTRACK_NEW=0");
    ok t_cmp(scalar error_log_since($off, qr/rejected/, 0.3), 0, "$what value kept: nothing logged");
}

# without CookieValidate the same bad value is a returning visitor (as stock)
{
    my $tag = new_tag('novalidate');
    my $v = marker() . '!bad';
    my $res = req(GET => '/plain.html', tag => $tag, headers => [Cookie => "Apache=$v"]);
    ok t_cmp(scalar set_cookies($res), 0, 'CookieValidate off: no Set-Cookie');
    ok t_cmp((log_entry($tag) // {})->{cookie}, $v, 'CookieValidate off: the value is noted');
}
