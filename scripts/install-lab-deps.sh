#!/usr/bin/env bash
# Install the Debian packages the lab and the tests need, only those missing (python3-venv: the
# pinned ansible-core of scripts/install-peers.sh for the inventory parity test; strace: the unit
# test of durable writes watches the fsync calls; time: the invalid-input test measures peak RSS).
# Used by `npm run demo` and `npm test` so that both work on a fresh Debian machine as root.
set -euo pipefail
packages=(debootstrap systemd-container openssh-client etcd-client iproute2 openssl strace time python3 python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) != 0 ]]; then
  echo "the lab needs: apt-get install -y ${missing[*]} (run it as root)" >&2
  exit 1
fi
echo "installing the lab's packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
