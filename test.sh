#!/usr/bin/env bash
# Runs Parley's whole test suite from a clean clone: restore, build (warnings are errors), throwaway PostgreSQL
# and MariaDB servers (installed from Debian's packages when missing, on loopback, data in a temporary directory,
# stopped at the end), then every test on every engine.
# Prints one closing line "tests: N passed, N failed, N skipped" and exits non-zero on any failure. An engine that
# cannot be started fails the run (its tests fail, saying why); nothing is skipped.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log="$(mktemp)"
# A test that runs longer than this is taken to hang: the run is stopped with a dump of the test host, instead of
# waiting out CI's job timeout. The dump and the sequence of tests run go to a throwaway directory, kept only then.
hang_timeout="${PARLEY_TEST_HANG_TIMEOUT:-10m}"
blame="$(mktemp -d "${TMPDIR:-/tmp}/parley-test-hang.XXXXXX")"
# shellcheck source=scripts/test-databases.sh
source scripts/test-databases.sh
trap 'parley_db_stop; rm -f "$log"; [ -n "${keep_blame:-}" ] || rm -rf "$blame"' EXIT

# The OpenAPI validator the suite runs (tests/openapi, from npm).
if ! command -v npm >/dev/null 2>&1; then
  echo "test.sh: npm is required (Node.js 20+) for the OpenAPI check" >&2
  echo "tests: 0 passed, 1 failed"
  exit 1
fi
if ! (cd tests/openapi && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
  echo "test.sh: npm ci in tests/openapi failed" >&2
  echo "tests: 0 passed, 1 failed"
  exit 1
fi

if ! dotnet build Parley.sln -c Release --nologo -v q -clp:ErrorsOnly; then
  echo "test.sh: the build failed" >&2
  echo "tests: 0 passed, 1 failed"
  exit 1
fi

parley_db_start
missing=()
[ -n "${PARLEY_TEST_POSTGRES:-}" ] || missing+=(PostgreSQL)
[ -n "${PARLEY_TEST_MYSQL:-}" ] || missing+=(MariaDB)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: ${missing[*]} could not be started; their tests will fail (see the messages above)" >&2
fi

# The console logger at minimal prints each failure with its message and stack, and nothing for passing tests.
dotnet test Parley.sln -c Release --no-build --nologo -v q --logger "console;verbosity=minimal" \
  --blame-hang-timeout "$hang_timeout" --blame-hang-dump-type mini --results-directory "$blame" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# dotnet test prints one summary per test assembly: "Failed: 0, Passed: 12, Skipped: 0, Total: 12".
read -r passed failed skipped < <(awk '
  /Failed:[[:space:]]*[0-9]+, Passed:/ {
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") f += $(i+1)
      if ($i == "Passed:") p += $(i+1)
      if ($i == "Skipped:") s += $(i+1)
    }
  }
  END { printf "%d %d %d\n", p, f, s }' "$log")

# A hang stops the test host: the hung test is counted in no summary (which may even say "Passed!") and the tests
# after it do not run. Count it as failed, and say which it was and where the dump is.
if grep -q "Data collector 'Blame' message: The specified inactivity time" "$log"; then
  keep_blame=1
  hung="$(awk '/^The tests? running when the crash occurred:/ { on = 1; next } on && NF == 0 { exit } on { print }' "$log" | paste -sd ',' -)"
  echo "test.sh: a test ran longer than ${hang_timeout} and was stopped as hung: ${hung:-unknown} (the tests after it did not run); hang dump and test sequence in ${blame}" >&2
  failed=$((failed + 1))
  status=1
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: missing engines: ${missing[*]}" >&2
  status=1
fi
if [ "$skipped" -ne 0 ]; then
  echo "test.sh: ${skipped} test(s) skipped; the suite skips nothing" >&2
  status=1
fi
if [ "$passed" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  status=1
fi
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
