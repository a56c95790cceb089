#!/usr/bin/env bash
# Install the peer tools our comparisons run against, pinned, each in its own Python venv in a
# cache directory of ours. Idempotent: a complete venv (marked .complete) is reused.
#
#   scripts/install-peers.sh          ansible-core for test/unit/ansible-inventory-parity.test.ts
#                                     (compares `quorum inventory --list` with `ansible-inventory
#                                     --list`); prints the path of ansible-inventory on its last line.
#   scripts/install-peers.sh --bench  also the peers of `npm run bench` (bench/README.md): the
#                                     current ansible-core, ansible-core + Mitogen, pyinfra 3;
#                                     prints one line per peer, NAME=VENV (bench/peers.ts reads them).
#
# Needs python3 with the venv module (Debian: python3-venv) and access to PyPI.
set -Eeuo pipefail
ANSIBLE_CORE_VERSION="${ANSIBLE_CORE_VERSION:-2.17.7}"
# The bench's peers. Newest releases on PyPI (2026-12-07) that run on Debian 12's Python 3.11,
# controller and hosts: ansible-core 2.20 needs Python 3.12 on the controller, so 2.19 is the
# current line here. Mitogen's docs (docs/ansible_detailed.rst, "Noteworthy Differences") list
# Ansible 12 = ansible-core 2.19 with Python 3.11 - 3.14 as supported by 0.3.x, so Mitogen runs on
# the same ansible-core as "current".
BENCH_ANSIBLE_CORE_VERSION=2.19.14
BENCH_MITOGEN_VERSION=0.3.54
BENCH_MITOGEN_ANSIBLE_CORE_VERSION=2.19.14
BENCH_PYINFRA_VERSION=3.10.0
CACHE="${QUORUM_PEERS_DIR:-/var/cache/quorum/peers}"

# make_venv DIR CHECK_FILE PACKAGE==VERSION...: a venv with exactly these pins, made once.
make_venv() {
  local venv="$1" check="$2"
  shift 2
  if [[ -x "$venv/$check" && -f "$venv/.complete" ]]; then return; fi
  command -v python3 >/dev/null || { echo "install-peers: python3 is not installed (apt-get install python3 python3-venv)" >&2; exit 1; }
  rm -rf "$venv"
  mkdir -p "$CACHE"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
  touch "$venv/.complete"
}

if [[ "${1:-}" == --bench ]]; then
  make_venv "$CACHE/ansible-core-$BENCH_ANSIBLE_CORE_VERSION" bin/ansible-playbook "ansible-core==$BENCH_ANSIBLE_CORE_VERSION"
  mitogen="$CACHE/mitogen-$BENCH_MITOGEN_VERSION-ansible-core-$BENCH_MITOGEN_ANSIBLE_CORE_VERSION"
  make_venv "$mitogen" bin/ansible-playbook "ansible-core==$BENCH_MITOGEN_ANSIBLE_CORE_VERSION" "mitogen==$BENCH_MITOGEN_VERSION"
  make_venv "$CACHE/pyinfra-$BENCH_PYINFRA_VERSION" bin/pyinfra "pyinfra==$BENCH_PYINFRA_VERSION"
  echo "ansible=$CACHE/ansible-core-$BENCH_ANSIBLE_CORE_VERSION"
  echo "mitogen=$mitogen"
  echo "pyinfra=$CACHE/pyinfra-$BENCH_PYINFRA_VERSION"
  exit 0
fi

venv="$CACHE/ansible-core-$ANSIBLE_CORE_VERSION"
make_venv "$venv" bin/ansible-inventory "ansible-core==$ANSIBLE_CORE_VERSION"
echo "$venv/bin/ansible-inventory"
