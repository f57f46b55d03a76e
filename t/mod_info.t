# mod_info lists the module under its stock name with every directive and its stock help text,
# and the directives of issue 9 with theirs.
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

# Issue 9: the new directives are listed, each with a help text (wording is the module's)
my @new = qw(CookieIDFormat CookieInject CookieRenew CookiePath CookieValidate
             CookieSignKeyFile CookieSignAcceptUnsigned);

plan tests => 2 + keys(%help) + 2 * @new, need_module 'mod_usertrack.c', need_module 'mod_info.c';

my $page = GET_BODY('/server-info?mod_usertrack.c');
ok t_cmp($page, qr/Module Name:.*mod_usertrack\.c/s, 'mod_info shows the module as mod_usertrack.c');
# (issue 9: the early look at refused requests moved from post_read_request to
# the error filter and log_transaction hooks, which see <If> sections merged)
ok t_cmp($page, qr/Request Phase Participation:.*Fixups/s, 'fixups hook listed');
for my $directive (sort keys %help) {
    my $text = quotemeta $help{$directive};
    $text =~ s/\\'/(?:'|&#39;|&apos;)/g;
    ok t_cmp($page, qr/\Q$directive\E.*?$text/s, "$directive listed with its help text");
}

# mod_info writes one "<dd><tt>Directive</tt> ... <i>help</i></dd>"-style entry per
# directive: the name, then (before the next directive) a non-empty help text
my @all = (keys(%help), @new);
for my $directive (@new) {
    my ($entry) = $page =~ /\b(\Q$directive\E\b.*?)(?=\b(?:@{[join '|', grep { $_ ne $directive } @all]})\b|<\/dl>|\z)/s;
    ok t_cmp(defined $entry ? 1 : 0, 1, "$directive listed");
    (my $text = $entry // '') =~ s/<[^>]*>//g;
    $text =~ s/^\Q$directive\E//;
    $text =~ s/^[\s:-]+|\s+$//g;
    ok t_cmp(length($text) >= 8 ? 1 : 0, 1, "$directive has a help text ('$text')");
}
