#!/usr/bin/env bash
# Makes sure the local services Parley's tests talk to are running on this machine, starting any
# that are installed but stopped. Changes nothing that is already up. Needs: PostgreSQL on
# 127.0.0.1:5432 with trust auth for user "postgres" (Debian's postgresql package).
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "ensure-services: PostgreSQL client tools are missing; install Debian's postgresql package" >&2
  exit 1
fi

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
