#!/usr/bin/env bash
# Prints the Debian package version: $DEB_VERSION if set, else Cargo.toml's version, "+", the UTC
# time of the newest change and the commit, e.g. 0.1.0+20261202070102.g5473e02. The time is the
# commit's, or now if tracked files have uncommitted changes (then ".dirty" follows), so a later
# build sorts later and `apt install` upgrades from the previous one.
set -euo pipefail

if [ -n "${DEB_VERSION:-}" ]; then echo "$DEB_VERSION"; exit 0; fi

repo=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$repo/Cargo.toml" | head -n 1)
[ -n "$version" ] || { echo "deb-version.sh: no version in $repo/Cargo.toml" >&2; exit 1; }

now=$(date -u +%Y%m%d%H%M%S)
if commit=$(git -C "$repo" rev-parse --short=7 HEAD 2>/dev/null); then
  if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
    echo "$version+$now.g$commit.dirty"
  else
    echo "$version+$(TZ=UTC git -C "$repo" log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S).g$commit"
  fi
else
  echo "$version+$now"   # not a git checkout (e.g. an exported tarball)
fi
