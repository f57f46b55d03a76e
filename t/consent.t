# Issue 9, the README's privacy and consent recipes (extra.conf.in, consent-*.test):
# Sec-GPC / DNT, a consent cookie, crawlers by User-Agent, a 13-month
# non-renewed cookie. Where tracking is off: no Set-Cookie, no notes, no env,
# also for a returning visitor refused with 403/401.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

my @cases = (
    # [host, path, [headers], expected status, tracked?, what]
    ['consent-gpc.test', '/plain.html', [], 200, 1, 'GPC recipe, no signal'],
    ['consent-gpc.test', '/plain.html', ['Sec-GPC' => '1'], 200, 0, 'Sec-GPC: 1'],
    ['consent-gpc.test', '/plain.html', ['DNT' => '1'], 200, 0, 'DNT: 1'],
    ['consent-gpc.test', '/plain.html', ['Sec-GPC' => '0', 'DNT' => '0'], 200, 1, 'Sec-GPC: 0, DNT: 0'],
    ['consent-gpc.test', '/denied/x.html', ['Sec-GPC' => '1'], 403, 0, 'Sec-GPC: 1 on a 403'],
    ['consent-gpc.test', '/auth/x.html', ['DNT' => '1'], 401, 0, 'DNT: 1 on a 401'],
    ['consent-gpc.test', '/denied/x.html', [], 403, 1, 'no signal on a 403'],
    ['consent-cookie.test', '/plain.html', [], 200, 0, 'consent recipe, no cookie'],
    ['consent-cookie.test', '/plain.html', [Cookie => 'consent=no'], 200, 0, 'consent=no'],
    ['consent-cookie.test', '/plain.html', [Cookie => 'xconsent=yes'], 200, 0, 'xconsent=yes'],
    ['consent-cookie.test', '/plain.html', [Cookie => 'consent=yesterday'], 200, 0, 'consent=yesterday'],
    ['consent-cookie.test', '/plain.html', [Cookie => 'consent=yes'], 200, 1, 'consent=yes'],
    ['consent-cookie.test', '/plain.html', [Cookie => 'a=1; consent=yes; b=2'], 200, 1, 'consent=yes among others'],
    ['consent-cookie.test', '/denied/x.html', [], 403, 0, 'no consent on a 403'],
    ['consent-cookie.test', '/denied/x.html', [Cookie => 'consent=yes'], 403, 1, 'consent=yes on a 403'],
    ['consent-bots.test', '/plain.html', ['User-Agent' => 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'], 200, 0, 'Googlebot'],
    ['consent-bots.test', '/plain.html', ['User-Agent' => 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)'], 200, 0, 'bingbot'],
    ['consent-bots.test', '/plain.html', ['User-Agent' => 'ExampleCrawler/1.0'], 200, 0, 'a crawler'],
    ['consent-bots.test', '/plain.html', ['User-Agent' => 'Some-Spider/3'], 200, 0, 'a spider'],
    ['consent-bots.test', '/plain.html', ['User-Agent' => 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'], 200, 1, 'a browser'],
    ['consent-bots.test', '/denied/x.html', ['User-Agent' => 'Googlebot/2.1'], 403, 0, 'Googlebot on a 403'],
    ['consent-bots.test', '/denied/x.html', ['User-Agent' => 'Mozilla/5.0 Firefox/128.0'], 403, 1, 'a browser on a 403'],
);

plan tests => 2 * 5 * @cases + 6, need_module 'mod_usertrack.c', need_module 'mod_auth_basic.c';

for my $c (@cases) {
    my ($host, $path, $headers, $code, $tracked, $what) = @$c;
    # as a new visitor (adding Apache= to the Cookie header for the returning one)
    for my $returning (0, 1) {
        my $r = random_id_key();
        my @h = @$headers;
        if ($returning) {
            my ($i) = grep { $h[$_] eq 'Cookie' } grep { $_ % 2 == 0 } 0 .. $#h;
            if (defined $i) { $h[$i + 1] .= "; Apache=$r" } else { push @h, Cookie => "Apache=$r" }
        }
        my $label = "$host $what, " . ($returning ? 'returning' : 'new') . ' visitor';
        my $tag = new_tag('consent');
        my $res = req(GET => $path, host => $host, tag => $tag, headers => \@h);
        my @sc = set_cookies($res);
        my $l = log_entry($tag) // {};
        my $e = env_entry($tag) // {};
        ok t_cmp($res->code, $code, "$label: status");
        # minted only for a tracked new visitor on a 200
        my $mint = $tracked && !$returning && $code == 200;
        ok t_cmp(scalar @sc, $mint ? 1 : 0, "$label: " . ($mint ? 'one Set-Cookie' : 'no Set-Cookie'));
        my $note = !$tracked ? '-' : $returning ? $r
                 : $mint ? ((($sc[0] // '') =~ /^Apache=([^;]+)/)[0] // 'none') : '-';
        ok t_cmp($l->{cookie}, $note, "$label: %{cookie}n");
        ok t_cmp($e->{id}, $note, "$label: USERTRACK_ID");
        ok t_cmp($e->{new}, $note eq '-' ? '-' : $returning ? '0' : '1', "$label: USERTRACK_NEW");
    }
}

# 13 months (390 days), never renewed
{
    my $t0 = time;
    my $res = req(GET => '/plain.html', host => 'consent-audience.test');
    my @sc = set_cookies($res);
    ok t_cmp(scalar @sc, 1, 'audience: one Set-Cookie');
    my ($id, $date) = ($sc[0] // '') =~ /^Apache=($ID_RE); path=\/; expires=([^;]+)$/;
    my $exp = parse_netscape_date($date) // 0;
    ok t_cmp(abs($exp - ($t0 + 390 * 86400)) <= 3 ? 1 : 0, 1, "audience: expires in 390 days ($sc[0])");
    ok t_cmp($exp - $t0 <= 400 * 86400 ? 1 : 0, 1, 'audience: under the 400-day cap');
    my $tag = new_tag('audience');
    $res = req(GET => '/plain.html', host => 'consent-audience.test', tag => $tag,
               headers => [Cookie => 'Apache=' . ($id // 'x.1')]);
    ok t_cmp(scalar set_cookies($res), 0, 'audience: a returning visitor gets no Set-Cookie (not renewed)');
    ok t_cmp((log_entry($tag) // {})->{cookie}, $id // 'x.1', 'audience: returning visitor noted');
    ok t_cmp((env_entry($tag) // {})->{new}, '0', 'audience: USERTRACK_NEW=0');
}
