#!/usr/bin/env bash
# Installs the Debian packages the build, tests and benchmarks need, only those missing.
# Usage: scripts/install-deps.sh [build|deb|test|bench|soak]   (each level up to bench includes the
# previous ones; soak, for `make soak` and `make memcheck`, is build's packages and its own)
set -euo pipefail

level=${1:-test}
packages=(apache2 apache2-dev libclang-dev clang libpcre2-dev)   # build (apache2-dev also provides dh-apache2; libpcre2-dev: the pcre2 crate links the system PCRE2)
deb=(debhelper)                                     # make deb
# (libcrypt-cbc-perl, libcrypt-blowfish-perl, libdigest-crc-perl: the libraries Apache2::ClickPath
# used, for t/clickpath's reference codec that stands in for it)
test=("${deb[@]}" lintian libapache2-mod-perl2 libwww-perl curl openssl libapache-session-perl libcgi-pm-perl memcached redis-server
      libcrypt-cbc-perl libcrypt-blowfish-perl libdigest-crc-perl)
soak=(python3 wrk valgrind libasan8)                # make soak, make memcheck (libasan8: ASan runtime)
case "$level" in
  build) ;;
  deb)   packages+=("${deb[@]}") ;;
  test)  packages+=("${test[@]}") ;;
  # nginx: its userid module is the bench's peer column; nghttp2-client: h2load for the HTTP/2 row
  bench) packages+=("${test[@]}" valgrind wrk nginx nghttp2-client) ;;
  soak)  packages+=("${soak[@]}") ;;
  *) echo "install-deps.sh: unknown level '$level' (build, deb, test, bench or soak)" >&2; exit 2 ;;
esac

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done

if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo=sudo; else
      echo "install-deps.sh: missing packages ${missing[*]}; run as root to install them" >&2; exit 1
    fi
  fi
  echo "install-deps.sh: installing ${missing[*]}"
  # Debian's nginx package starts its system service on install. The bench runs its own nginx on a
  # free 127.0.0.1 port and wants no system one on port 80: unless the machine already has a policy
  # (containers usually do), deny service starts while nginx (bench level) is installed.
  policy=/usr/sbin/policy-rc.d
  own_policy=
  if [[ " ${missing[*]} " == *" nginx "* ]] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# install-deps.sh: no service starts during this install\nexit 101\n' | ${sudo:-} tee "$policy" >/dev/null
    ${sudo:-} chmod 755 "$policy"
    own_policy=1
    trap '${sudo:-} rm -f "$policy"' EXIT
  fi
  ${sudo:-} apt-get update -qq
  DEBIAN_FRONTEND=noninteractive ${sudo:-} apt-get install -y -qq "${missing[@]}" >/dev/null
  if [ -n "$own_policy" ]; then ${sudo:-} rm -f "$policy"; trap - EXIT; fi
  # nginx must not start at boot either (where there is an init system to ask).
  if [[ " ${missing[*]} " == *" nginx "* ]]; then
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
      ${sudo:-} systemctl disable --now nginx >/dev/null 2>&1 || true
    elif command -v update-rc.d >/dev/null; then
      ${sudo:-} update-rc.d nginx disable >/dev/null 2>&1 || true
    fi
  fi
fi

command -v cargo >/dev/null || { echo "install-deps.sh: cargo not found; install Rust (rustup)" >&2; exit 1; }
