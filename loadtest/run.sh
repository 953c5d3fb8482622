#!/usr/bin/env bash
# Month-end load test: Locust (headless) against gunicorn with the production settings, PostgreSQL
# and Redis, all on loopback. See "Load test" in README.md and docs/performance.md.
#
# DATABASE_URL / REDIS_URL set: those are used (the database is migrated and topped up to
# LOADTEST_BRANCHES with `bench --build-only`, which reuses a big enough dataset).
# Unset: a throwaway PostgreSQL 15 cluster (PG_BIN, default /usr/lib/postgresql/15/bin) and a
# throwaway redis-server are started in a temporary directory and removed afterwards.
#
# LOADTEST_USERS (100), LOADTEST_TIME (5m), LOADTEST_SPAWN_RATE (10/s), LOADTEST_BRANCHES (20000),
# LOADTEST_WORKERS (gunicorn processes, 2 x cores + 1), LOADTEST_WAIT ("0.2,1.0": seconds between a
# user's requests), LOADTEST_PORT (18300). Exit code: non-zero if any request failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV_BIN=${VENV_BIN:-$ROOT/.venv/bin}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
USERS=${LOADTEST_USERS:-100}
RUN_TIME=${LOADTEST_TIME:-5m}
SPAWN_RATE=${LOADTEST_SPAWN_RATE:-10}
BRANCHES=${LOADTEST_BRANCHES:-20000}
WORKERS=${LOADTEST_WORKERS:-$(($(nproc) * 2 + 1))}
export LOADTEST_WAIT=${LOADTEST_WAIT:-0.2,1.0}

WORK_DIR=$(mktemp -d -t twinning-loadtest.XXXXXXXX)
chmod 755 "$WORK_DIR"
PG_DATA="" REDIS_PID="" GUNICORN_PID="" CELERY_PID=""

as_pg() { if [ "$(id -u)" -eq 0 ]; then (cd "$WORK_DIR" && runuser -u postgres -- "$@"); else "$@"; fi; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p=$1; while port_in_use "$p"; do p=$((p + 1)); done; echo "$p"; }

cleanup() {
    local rc=$?
    set +e
    if [ -n "$GUNICORN_PID" ]; then
        kill -TERM -- "-$GUNICORN_PID" 2>/dev/null || kill -TERM "$GUNICORN_PID" 2>/dev/null
        for _ in $(seq 1 20); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.5; done
        kill -KILL -- "-$GUNICORN_PID" 2>/dev/null
    fi
    if [ -n "$CELERY_PID" ]; then
        kill -TERM -- "-$CELERY_PID" 2>/dev/null || kill -TERM "$CELERY_PID" 2>/dev/null
        for _ in $(seq 1 20); do kill -0 "$CELERY_PID" 2>/dev/null || break; sleep 0.5; done
        kill -KILL -- "-$CELERY_PID" 2>/dev/null
    fi
    [ -n "$REDIS_PID" ] && kill -TERM "$REDIS_PID" 2>/dev/null && wait "$REDIS_PID" 2>/dev/null
    if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1
    fi
    rm -rf "$WORK_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "${DATABASE_URL:-}" ]; then
    [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL 15 not found in $PG_BIN (set DATABASE_URL or PG_BIN)"; exit 1; }
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin postgres
    fi
    PG_DATA=$WORK_DIR/pgdata
    PG_PORT=$(free_port 54350)
    mkdir -p "$PG_DATA" "$WORK_DIR/pgsock"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$PG_DATA" "$WORK_DIR/pgsock"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --no-locale >"$WORK_DIR/initdb.log" 2>&1 ||
        { cat "$WORK_DIR/initdb.log"; exit 1; }
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK_DIR/pgsock -c fsync=off -c synchronous_commit=off -c max_connections=200" \
        start >/dev/null || { cat "$PG_DATA/server.log"; exit 1; }
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres twinning
    export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/twinning"
fi
if [ -z "${REDIS_URL:-}" ]; then
    REDIS_PORT=$(free_port 63800)
    mkdir -p "$WORK_DIR/redis"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize no \
        --dir "$WORK_DIR/redis" --logfile "$WORK_DIR/redis/redis.log" &
    REDIS_PID=$!
    for _ in $(seq 1 40); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.25; done
    export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
fi
echo "-- DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL"

# The production settings on plain-HTTP loopback (production keeps SSL redirect and secure cookies on).
unset DJANGO_SETTINGS_MODULE
export DEBUG=0 ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0
export SECRET_KEY=${SECRET_KEY:-"loadtest-only-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"}
export STATIC_ROOT=$WORK_DIR/static MEDIA_ROOT=${LOADTEST_MEDIA_ROOT:-$WORK_DIR/media}
export LOADTEST_PLAN=$WORK_DIR/plan.json
mkdir -p "$STATIC_ROOT" "$MEDIA_ROOT"

echo "-- migrate, collectstatic, dataset ($BRANCHES branches), load-test accounts"
"$VENV_BIN/python" manage.py migrate --noinput -v 0
"$VENV_BIN/python" manage.py collectstatic --noinput -v 0
"$VENV_BIN/python" manage.py bench --branches "$BRANCHES" --build-only | grep -E '^Dataset'
"$VENV_BIN/python" manage.py shell -v 0 -c "exec(open('loadtest/prepare.py').read())"

# A Celery worker as in production: work deferred by the pages (photo copies, notices) runs on it.
setsid "$VENV_BIN/celery" -A twinning worker --loglevel=WARNING --concurrency=1 --pool=prefork \
    --hostname "loadtest@%h" >"$WORK_DIR/celery.log" 2>&1 </dev/null &
CELERY_PID=$!

PORT=$(free_port "${LOADTEST_PORT:-18300}")
setsid "$VENV_BIN/gunicorn" twinning.wsgi -b "127.0.0.1:$PORT" --workers "$WORKERS" --timeout 60 \
    >"$WORK_DIR/gunicorn.log" 2>&1 </dev/null &
GUNICORN_PID=$!
for _ in $(seq 1 60); do
    "$VENV_BIN/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/healthz', timeout=5)" \
        >/dev/null 2>&1 && break
    kill -0 "$GUNICORN_PID" 2>/dev/null || { cat "$WORK_DIR/gunicorn.log"; exit 1; }
    sleep 0.5
done
echo "-- gunicorn on 127.0.0.1:$PORT ($WORKERS workers); Locust: $USERS users for $RUN_TIME"

# From here on every outcome is reported, not fatal: `set -e` would stop at the first non-zero status
# (a grep that finds nothing is one) and skip the summary, the kept logs and the exit code below.
locust_rc=0 summary_rc=0
"$VENV_BIN/locust" -f loadtest/locustfile.py --headless --host "http://127.0.0.1:$PORT" \
    --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "$RUN_TIME" --stop-timeout 10 \
    --csv "$WORK_DIR/stats" --only-summary --loglevel WARNING || locust_rc=$?
"$VENV_BIN/python" loadtest/summary.py "$WORK_DIR/stats_stats.csv" || summary_rc=$?
if [ -n "${LOADTEST_KEEP_LOGS:-}" ]; then
    mkdir -p "$LOADTEST_KEEP_LOGS"
    cp "$WORK_DIR"/*.log "$WORK_DIR"/stats_*.csv "$LOADTEST_KEEP_LOGS"/ 2>/dev/null || true
    echo "-- logs and CSVs kept in $LOADTEST_KEEP_LOGS"
fi
if grep -qE "ERROR|Traceback" "$WORK_DIR/celery.log"; then
    echo "-- the Celery worker logged errors (first lines):"
    grep -E "ERROR|Traceback" "$WORK_DIR/celery.log" | head -n 5 || true
fi
echo "-- locust exit $locust_rc, summary exit $summary_rc"
[ "$locust_rc" -eq 0 ] && [ "$summary_rc" -eq 0 ]
