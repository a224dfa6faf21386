#!/bin/sh
# install-deps.sh PKG...: makes sure Debian packages are installed.  As
# root it runs apt-get itself (apt-get update once); otherwise it prints the
# exact command to run and fails.
set -eu
missing=
for p in "$@"; do
    if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" != 0 ]; then
    echo "husk needs these Debian packages:$missing" >&2
    echo "run: sudo apt-get update && sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
