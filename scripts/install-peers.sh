#!/usr/bin/env bash
# Install the peer tools our comparison tests run against, pinned, in a cache directory of ours:
# ansible-core from PyPI in a Python venv (test/unit/ansible-inventory-parity.test.ts compares
# `quorum inventory --list` with `ansible-inventory --list`). Idempotent: a complete venv is
# reused. Prints the path of ansible-inventory on its last line.
# Needs python3 with the venv module (Debian: python3-venv) and access to PyPI.
set -Eeuo pipefail
ANSIBLE_CORE_VERSION="${ANSIBLE_CORE_VERSION:-2.17.7}"
CACHE="${QUORUM_PEERS_DIR:-/var/cache/quorum/peers}"
venv="$CACHE/ansible-core-$ANSIBLE_CORE_VERSION"
if [[ ! -x "$venv/bin/ansible-inventory" || ! -f "$venv/.complete" ]]; then
  command -v python3 >/dev/null || { echo "install-peers: python3 is not installed (apt-get install python3 python3-venv)" >&2; exit 1; }
  rm -rf "$venv"
  mkdir -p "$CACHE"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "ansible-core==$ANSIBLE_CORE_VERSION" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/ansible-inventory"
