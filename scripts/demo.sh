#!/usr/bin/env bash
# npm run demo: a 3-member HA etcd cluster on 3 lab hosts with playbooks/etcd-ha.yaml, the doc's
# way (etcd_runtime: static-pod: kubelet runs etcd from the manifest `kubeadm init phase etcd
# local` writes). kubeadm, kubelet, etcd and the images are built first from the Go module proxy
# (scripts/build-k8s-tools.sh; the first build takes about 13 min here, later ones a second).
# Without Go 1.24+ the demo says why and runs etcd as a systemd service instead.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run lab:deps
npm run build
quorum=(node dist/bundle/quorum.cjs)
# `lab up` ends with "inventory: PATH" (.lab/inventory.yaml, or .lab-N/ with QUORUM_LAB_ID=N).
inventory_of() { sed -n 's/^inventory: //p' | tail -1; }
if tools=$(scripts/build-k8s-tools.sh); then
  inventory=$("${quorum[@]}" lab up --hosts 3 --node-tools "$tools" | tee /dev/stderr | inventory_of)
  "${quorum[@]}" run playbooks/etcd-ha.yaml -i "$inventory"
else
  echo "demo: the Kubernetes node tools could not be built (see above): running etcd as a systemd service (etcd_runtime=systemd) instead" >&2
  inventory=$("${quorum[@]}" lab up | tee /dev/stderr | inventory_of)
  "${quorum[@]}" run playbooks/etcd-ha.yaml -i "$inventory" -e etcd_runtime=systemd
fi
