#!/usr/bin/env bash
# npm test: typecheck, build (some tests run the built executable), the unit suite, then the lab
# suite on real hosts (started if needed).
# The lab suite runs even when unit tests failed, so one failure never hides the rest; the
# exit status is non-zero when anything failed.
# Each stage that fails prints "npm test: stage failed: NAME": .ci/run counts such a stage as a
# failure when ava reported none for it (a typecheck error, a lab that did not start, a test
# file that crashed on load), so its summary never says "0 failed" when tests did not run.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
stage() {
  local name=$1
  shift
  echo "npm test: stage started: $name"
  if "$@"; then return 0; fi
  echo "npm test: stage failed: $name"
  status=1
  return 1
}
# The Debian packages first: some unit tests use them too (strace for the durable writes).
stage lab:deps npm run lab:deps
stage typecheck npm run typecheck
stage build npm run build
stage test:unit npm run test:unit
if stage lab:up npm run lab:up; then
  stage test:lab npm run test:lab
else
  echo "npm test: the lab could not start; the lab suite did not run" >&2
fi
# Thin hosts are a lab of another kind: the suite brings up its own, on a lab id of its own.
thin_lab_id=${QUORUM_THIN_LAB_ID:-$(( ${QUORUM_LAB_ID:-0} + 100 ))}
stage test:lab-thin env QUORUM_LAB_ID="$thin_lab_id" npx ava --concurrency=1 test/lab/thin-lab.test.ts
exit $status
