#!/usr/bin/env bash
# npm test: typecheck, build (some tests run the built executable), the unit suite, then the lab
# suite on real hosts (started if needed).
# The lab suite runs even when unit tests failed, so one failure never hides the rest; the
# exit status is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
# The Debian packages first: some unit tests use them too (strace for the durable writes).
npm run lab:deps || status=1
npm run typecheck || status=1
npm run build || status=1
npm run test:unit || status=1
if npm run lab:up; then
  npm run test:lab || status=1
else
  echo "npm test: the lab could not start; the lab suite did not run" >&2
  status=1
fi
exit $status
