#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing presence need, when
# any is missing. Only root can install; anyone else gets the list of what is missing.
set -euo pipefail

packages=(
    build-essential pkg-config git curl python3 procps iproute2
    postgresql-15 postgresql-server-dev-15 postgresql-15-cron libpq-dev
    libfcgi-dev libjsoncpp-dev nginx spawn-fcgi
    libgtest-dev libbenchmark-dev clang libclang-rt-14-dev
    wrk hyperfine postgresql-contrib libipc-run-perl
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "presence: missing Debian packages: ${missing[*]}" >&2
    echo "presence: run 'sudo make deps' or install them yourself" >&2
    exit 1
fi

echo "presence: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# presence runs its own PostgreSQL and nginx: keep the packages from starting the
# machine's services (a cluster on 5432, nginx on 80) while they install.
policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    made_policy=yes
fi
trap '[ "$made_policy" = yes ] && rm -f "$policy"' EXIT
apt-get install -y -q --no-install-recommends "${missing[@]}"
