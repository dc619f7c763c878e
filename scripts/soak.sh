#!/usr/bin/env bash
# The longer run of Parley's fault tests (docs/reliability.md): every SIGKILL and outage test of the suite with its
# faults injected N times over (PARLEY_SOAK=N; the suite itself runs them once), on throwaway PostgreSQL and MariaDB
# servers like ./test.sh. Prints each test's own report (how many writes, kills, spooled) and the kill count.
#
#   scripts/soak.sh [N]     # default 3: 105 SIGKILLs and 6 database outages, about 15 minutes on 2 cores
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
times="${1:-3}"
case "$times" in ''|*[!0-9]*) echo "usage: scripts/soak.sh [N]" >&2; exit 2 ;; esac

# shellcheck source=scripts/test-databases.sh
source scripts/test-databases.sh
trap 'parley_db_stop' EXIT
dotnet build Parley.sln -c Release --nologo -v q -clp:ErrorsOnly || exit 1
parley_db_start
[ -n "${PARLEY_TEST_POSTGRES:-}" ] && [ -n "${PARLEY_TEST_MYSQL:-}" ] || { echo "soak: an engine did not start" >&2; exit 1; }

# Kills per pass of the suite: library child 8 + 5 + 5, parley serve 3 per engine, spooling child 8.
echo "soak: PARLEY_SOAK=$times, $(( (8 + 5 + 5 + 9 + 8) * times )) SIGKILLs; outages run $times times per server engine" >&2
started=$(date +%s)
status=0
for pass in $(seq 1 "$times"); do
  PARLEY_SOAK=1 dotnet test tests/Parley.Tests -c Release --no-build --nologo \
    --filter "FullyQualifiedName~ServerOutageTests" --logger "console;verbosity=detailed" 2>&1 \
    | grep -E "acknowledged|Passed!|Failed!|^\s+Failed " || status=1
done
PARLEY_SOAK="$times" dotnet test tests/Parley.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~CrashTests" --logger "console;verbosity=detailed" 2>&1 \
  | grep -E "logged and|Passed |Passed!|Failed!|^\s+Failed " || status=1
echo "soak: finished in $(( $(date +%s) - started )) s, status $status" >&2
exit $status
