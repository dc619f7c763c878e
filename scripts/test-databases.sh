#!/usr/bin/env bash
# Throwaway PostgreSQL and MariaDB servers for the test suite: installed from Debian's packages when missing,
# started on loopback with their data in a temporary directory, stopped and deleted by `stop`.
#
#   source scripts/test-databases.sh; parley_db_start   # exports PARLEY_TEST_POSTGRES and PARLEY_TEST_MYSQL
#   parley_db_stop
#   parley_db_private postgres|mysql    # a server of its own (for outage tests): prints "URL DIR"; DIR/stop, DIR/start
#
# Each engine that cannot be installed or started is reported; the caller decides (test.sh fails on CI).

parley_db_dir=""

parley_db_install() {
  local missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v mariadbd >/dev/null 2>&1 || missing+=(mariadb-server)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "test-databases: installing ${missing[*]} from Debian's packages" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

parley_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Runs a command as the servers' owner: root may not run PostgreSQL.
parley_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

parley_pg_start() {
  local bin port dir
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  [ -x "$bin/initdb" ] || { echo "test-databases: PostgreSQL is not installed" >&2; return 1; }
  dir="$parley_db_dir/pg"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir" "$parley_db_dir"
  port="$(parley_free_port)"
  echo parley > "$parley_db_dir/pgpass" && chmod 644 "$parley_db_dir/pgpass"
  parley_as_owner "$bin/initdb" -D "$dir/data" -U parley --pwfile="$parley_db_dir/pgpass" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  # start and stop scripts beside the data, so that a test can take this server down and bring it back
  local owner=""
  [ "$(id -u)" -eq 0 ] && owner="runuser -u postgres --"
  cat > "$dir/start" <<EOS
#!/bin/sh
exec $owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=300 -c fsync=on" start >/dev/null
EOS
  cat > "$dir/stop" <<EOS
#!/bin/sh
exec $owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
EOS
  chmod 755 "$dir/start" "$dir/stop"
  "$dir/start" || { cat "$dir/server.log" >&2; return 1; }
  export PARLEY_TEST_POSTGRES="postgres://parley:parley@127.0.0.1:$port/postgres"
  export PARLEY_TEST_POSTGRES_CTL="$bin/pg_ctl -D $dir/data"
  echo "test-databases: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
}

parley_mysql_start() {
  command -v mariadbd >/dev/null 2>&1 || { echo "test-databases: MariaDB is not installed" >&2; return 1; }
  local port dir
  dir="$parley_db_dir/mysql"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown mysql "$dir"
  port="$(parley_free_port)"
  mariadb-install-db --user=mysql --datadir="$dir/data" --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 \
    || { cat "$dir/install.log" >&2; return 1; }
  cat > "$dir/start" <<EOS
#!/bin/sh
mariadbd --no-defaults --user=mysql --datadir="$dir/data" --socket="$dir/mysqld.sock" --port="$port" --bind-address=127.0.0.1 \\
  --pid-file="$dir/mysqld.pid" --log-error="$dir/server.log" --max-connections=300 --innodb-buffer-pool-size=256M \\
  --character-set-server=utf8mb4 --collation-server=utf8mb4_bin --skip-name-resolve >/dev/null 2>&1 </dev/null &
for i in \$(seq 1 120); do
  mariadb --no-defaults -S "$dir/mysqld.sock" -u root -e "SELECT 1" >/dev/null 2>&1 && exit 0
  sleep 0.5
done
exit 1
EOS
  cat > "$dir/stop" <<EOS
#!/bin/sh
[ -f "$dir/mysqld.pid" ] || exit 0
kill "\$(cat "$dir/mysqld.pid")" 2>/dev/null
for i in \$(seq 1 120); do [ -f "$dir/mysqld.pid" ] || exit 0; sleep 0.25; done
exit 1
EOS
  chmod 755 "$dir/start" "$dir/stop"
  "$dir/start" || { cat "$dir/server.log" >&2; return 1; }
  mariadb --no-defaults -S "$dir/mysqld.sock" -u root -e \
    "CREATE USER 'parley'@'127.0.0.1' IDENTIFIED BY 'parley'; GRANT ALL ON *.* TO 'parley'@'127.0.0.1' WITH GRANT OPTION;" \
    || { cat "$dir/server.log" >&2; return 1; }
  export PARLEY_TEST_MYSQL="mysql://parley:parley@127.0.0.1:$port/mysql"
  export PARLEY_TEST_MYSQL_SOCKET="$dir/mysqld.sock"
  echo "test-databases: MariaDB $(mariadbd --version | awk '{print $3}') on 127.0.0.1:$port" >&2
}

parley_db_start() {
  parley_db_dir="$(mktemp -d /tmp/parley-db.XXXXXX)"
  chmod 755 "$parley_db_dir"
  parley_db_install || echo "test-databases: installing the database servers failed" >&2
  parley_pg_start || echo "test-databases: PostgreSQL did not start" >&2
  parley_mysql_start || echo "test-databases: MariaDB did not start" >&2
}

parley_db_private() {
  parley_db_dir="$(mktemp -d /tmp/parley-db.XXXXXX)"
  chmod 755 "$parley_db_dir"
  case "$1" in
    postgres) parley_pg_start >/dev/null 2>&1 && echo "$PARLEY_TEST_POSTGRES $parley_db_dir/pg" ;;
    mysql) parley_mysql_start >/dev/null 2>&1 && echo "$PARLEY_TEST_MYSQL $parley_db_dir/mysql" ;;
    *) echo "parley_db_private: postgres or mysql" >&2; return 2 ;;
  esac
}

parley_db_stop() {
  [ -n "$parley_db_dir" ] || return 0
  if [ -n "${PARLEY_TEST_POSTGRES_CTL:-}" ]; then
    parley_as_owner $PARLEY_TEST_POSTGRES_CTL -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -f "$parley_db_dir/mysql/mysqld.pid" ]; then
    kill "$(cat "$parley_db_dir/mysql/mysqld.pid")" 2>/dev/null || true
    for _ in $(seq 1 40); do [ -f "$parley_db_dir/mysql/mysqld.pid" ] || break; sleep 0.25; done
  fi
  rm -rf "$parley_db_dir"
}
