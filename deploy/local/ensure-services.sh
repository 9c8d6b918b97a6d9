#!/usr/bin/env bash
# Makes sure the local services Parley's tests talk to are running on this machine: PostgreSQL on
# 127.0.0.1:5432 (trust auth for user "postgres") and Redis on 127.0.0.1:6379. Installs a missing
# one from Debian packages (needs root and apt), starts one that is installed but stopped, and
# changes nothing that is already up.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

install_pkg() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-services: installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
  else
    echo "ensure-services: $* missing; install it (Debian: apt-get install $*)" >&2
    exit 1
  fi
}

# --- PostgreSQL ---------------------------------------------------------------------------------
command -v pg_isready >/dev/null 2>&1 || install_pkg postgresql
if ! pg_up; then
  echo "ensure-services: PostgreSQL is not answering on 127.0.0.1:5432; starting it"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "ensure-services: PostgreSQL did not come up" >&2; exit 1; }
fi
# Tests create and drop their own throw-away databases as this user.
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  echo "ensure-services: cannot connect to PostgreSQL as user postgres on 127.0.0.1 (trust auth expected)" >&2
  exit 1
fi
echo "ensure-services: PostgreSQL is up on 127.0.0.1:5432"

# --- Redis --------------------------------------------------------------------------------------
command -v redis-server >/dev/null 2>&1 || install_pkg redis-server redis-tools
if ! redis_up; then
  echo "ensure-services: Redis is not answering on 127.0.0.1:6379; starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/parley-ensure.log
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  redis_up || { echo "ensure-services: Redis did not come up" >&2; exit 1; }
fi
echo "ensure-services: Redis is up on 127.0.0.1:6379"
