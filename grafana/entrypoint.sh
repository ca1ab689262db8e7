#!/bin/sh
# Grafana's admin password without a built-in default, and without making `docker compose up`
# fail when nobody set one: GRAFANA_ADMIN_PASSWORD when given, otherwise a random password
# generated at first start and kept in the data volume, so it survives restarts and is
# readable only by whoever can exec into the container:
#   docker compose exec grafana cat /var/lib/grafana/admin-password
# Grafana applies it when it creates the admin user (first start); to change it later use
# `docker compose exec grafana grafana cli admin reset-admin-password <new>`.
set -eu

file="${GF_PATHS_DATA:-/var/lib/grafana}/admin-password"

if [ -n "${GRAFANA_ADMIN_PASSWORD:-}" ]; then
  GF_SECURITY_ADMIN_PASSWORD="$GRAFANA_ADMIN_PASSWORD"
else
  if [ ! -s "$file" ]; then
    umask 077
    LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 >"$file"
    echo "Generated a Grafana admin password (user admin). Read it with: docker compose exec grafana cat $file"
  fi
  GF_SECURITY_ADMIN_PASSWORD="$(cat "$file")"
fi
export GF_SECURITY_ADMIN_PASSWORD
unset GRAFANA_ADMIN_PASSWORD

exec /run.sh "$@"
