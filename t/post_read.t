# Deliberate difference 5: a returning visitor's ID is logged even when the
# request is refused before fixups (403 Require all denied, 401 auth); a new
# visitor refused that way gets no cookie.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";

use Apache::Test;
use Apache::TestUtil;
use UsertrackTest;

plan tests => 23, need_module 'mod_usertrack.c', need_module 'mod_auth_basic.c';

sub check {
    my (%o) = @_;
    my $tag = new_tag('postread');
    my $res = req(GET => $o{path}, tag => $tag, host => $o{host},
                  headers => [$o{cookie} ? (Cookie => $o{cookie}) : ()]);
    ok t_cmp($res->code, $o{code}, "$o{what}: status");
    ok t_cmp(scalar set_cookies($res) + scalar set_cookie2s($res), 0, "$o{what}: no cookie header");
    my $e = log_entry($tag) // {};
    ok t_cmp($e->{cookie}, $o{note}, "$o{what}: %{cookie}n");
    ok t_cmp($e->{apache}, $o{note}, "$o{what}: %{Apache}n") if $o{apache};
}

check(path => '/denied/x.html', code => 403, cookie => 'Apache=known.value', note => 'known.value',
      apache => 1, what => '403 with cookie');
check(path => '/denied/x.html', code => 403, note => '-', what => '403 without cookie');
check(path => '/denied/x.html', code => 403, cookie => 'x=1; Apache=known.two', note => 'known.two',
      what => '403 with cookie among others');
check(path => '/auth/x.html', code => 401, cookie => 'Apache=known.auth', note => 'known.auth',
      apache => 1, what => '401 with cookie');
check(path => '/auth/x.html', code => 401, note => '-', what => '401 without cookie');
# server-level tracking off: nothing noted
check(path => '/denied/x.html', host => 'offhost.test', code => 403, cookie => 'Apache=known.off',
      note => '-', what => '403 on a host with CookieTracking off');
# per-dir tracking off where fixups runs: note cleared (as stock)
check(path => '/off/x.html', code => 200, cookie => 'Apache=known.offdir', note => '-',
      what => '<Location> CookieTracking off with cookie');
