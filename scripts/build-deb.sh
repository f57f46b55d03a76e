#!/usr/bin/env bash
# `make deb`: builds the Debian package with debhelper (debian/rules) and prints its path.
#
#   scripts/build-deb.sh
#
# Environment:
#   DEB_OUT_DIR       where the .deb goes (default: target/debian in the repo); older builds of
#                     the package there are removed, so ./target/debian/*.deb is the new one
#   DEB_VERSION       package version (default: scripts/deb-version.sh)
#   CARGO_TARGET_DIR  cargo's output directory, as for cargo (default: target)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
package=libapache2-mod-usertrack-rs

DEB_PACKAGE_VERSION=$(scripts/deb-version.sh)
DEB_OUT_DIR=$(realpath -m "${DEB_OUT_DIR:-$repo/target/debian}")
export DEB_PACKAGE_VERSION DEB_OUT_DIR
# debian/control says Rules-Requires-Root: no, so dh_builddeb makes the files root-owned without
# fakeroot; dpkg-buildpackage would say so through this variable.
export DEB_RULES_REQUIRES_ROOT=no

command -v cargo >/dev/null || { echo "build-deb.sh: cargo not found; install Rust (rustup)" >&2; exit 1; }
dpkg-checkbuilddeps   # debian/control's Build-Depends (cargo, from rustup, is not one)

# debian/rules is run as dpkg-buildpackage runs it, but without dpkg-buildpackage, which can only
# put the .deb in the parent directory of the repo. debhelper's files in debian/ go on exit.
trap 'debian/rules clean >/dev/null' EXIT
debian/rules clean
debian/rules build
rm -f "$DEB_OUT_DIR/${package}_"*.deb
debian/rules binary

deb="$DEB_OUT_DIR/${package}_${DEB_PACKAGE_VERSION}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || { echo "build-deb.sh: $deb was not built" >&2; exit 1; }
echo "build-deb.sh: built $deb"
