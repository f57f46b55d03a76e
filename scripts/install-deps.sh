#!/usr/bin/env bash
# Installs the Debian packages the build, tests and benchmarks need, only those missing.
# Usage: scripts/install-deps.sh [build|deb|test|bench|soak]   (each level up to bench includes the
# previous ones; soak, for `make soak` and `make memcheck`, is build's packages and its own)
set -euo pipefail

level=${1:-test}
packages=(apache2 apache2-dev libclang-dev clang)   # build (apache2-dev also provides dh-apache2)
deb=(debhelper)                                     # make deb
test=("${deb[@]}" lintian libapache2-mod-perl2 libwww-perl curl libapache-session-perl libcgi-pm-perl memcached redis-server)
soak=(python3 wrk valgrind libasan8)                # make soak, make memcheck (libasan8: ASan runtime)
case "$level" in
  build) ;;
  deb)   packages+=("${deb[@]}") ;;
  test)  packages+=("${test[@]}") ;;
  bench) packages+=("${test[@]}" valgrind wrk) ;;
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
  ${sudo:-} apt-get update -qq
  DEBIAN_FRONTEND=noninteractive ${sudo:-} apt-get install -y -qq "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "install-deps.sh: cargo not found; install Rust (rustup)" >&2; exit 1; }
