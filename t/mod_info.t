# mod_info lists the module under its stock name with every directive and its stock help text.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use Apache::TestRequest qw(GET_BODY);

my %help = (
    CookieExpires  => 'an expiry date code',
    CookieDomain   => 'domain to which this cookie applies',
    CookieStyle    => "'Netscape', 'Cookie' (RFC2109), or 'Cookie2' (RFC2965)",
    CookieTracking => 'whether or not to enable cookies',
    CookieName     => 'name of the tracking cookie',
    CookieSecure   => 'is cookie secure',
    CookieHttpOnly => 'is cookie http only',
    CookieSameSite => 'SameSite setting',
);

plan tests => 2 + keys %help, need_module 'mod_usertrack.c', need_module 'mod_info.c';

my $page = GET_BODY('/server-info?mod_usertrack.c');
ok t_cmp($page, qr/Module Name:.*mod_usertrack\.c/s, 'mod_info shows the module as mod_usertrack.c');
ok t_cmp($page, qr/Request Phase Participation:.*Post-Read Request.*Fixups/s, 'post_read_request and fixups hooks listed');
for my $directive (sort keys %help) {
    my $text = quotemeta $help{$directive};
    $text =~ s/\\'/(?:'|&#39;|&apos;)/g;
    ok t_cmp($page, qr/\Q$directive\E.*?$text/s, "$directive listed with its help text");
}
