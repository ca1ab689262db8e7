#!/usr/bin/env bash
# Starts PostgreSQL, MariaDB, Redis and RabbitMQ on this machine when they are not already answering.
# The commands are the machine's own service start commands; each is skipped when the port answers.
set -uo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do answers "$port" && { echo "$name is up on :$port"; return 0; }; sleep 1; done
  echo "$name did not come up on :$port" >&2
  return 1
}

if ! answers 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
wait_for PostgreSQL 5432

if ! answers 3306; then
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
wait_for MariaDB 3306

if ! answers 6379; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
wait_for Redis 6379

if ! answers 5672; then
  rabbitmq-server -detached || true
fi
wait_for RabbitMQ 5672
