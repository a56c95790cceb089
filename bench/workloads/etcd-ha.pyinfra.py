# Workload 3 of `npm run bench` (bench/README.md), pyinfra's side of the etcd-ha RE-RUN: the same
# idempotent checks as etcd-ha.ansible.yaml against hosts that quorum has already configured.
#   - facts (the same set as files.pyinfra.py); the kubeadm config directory and file; every PKI
#     file the host holds, each with its own mode (ca.key only on the first host); the list of PKI
#     files on the host checked against the expected one; the etcd systemd unit file; etcd enabled
#     and running; the cluster health with etcdctl (once, from the first host).
# What it does NOT do (as the Ansible side): render templates or check the certificates' contents
# (validity, SANs, issuer) as quorum's certs module does; pyinfra has no such operation. It compares
# the files the bench fetched from the hosts after quorum's first run (bench_files_dir/HOST/etc/...,
# given with `--data bench_files_dir=DIR`), so every tool compares the same bytes.
#
# pyinfra has no assert operation; checks are Python over facts (host.get_fact), the documented way
# to read a host's state in a deploy file, and a failed check fails the deploy. pyinfra reads facts
# while it prepares the deploy, before any operation runs: on a re-run the state they check is the
# one the operations leave, so the order does not change what is checked. The health check is the
# `Command` fact, which fails the host when etcdctl exits non-zero and, unlike server.shell, does not
# count as a change.
import os

from pyinfra import host, inventory
from pyinfra.facts.files import FindFiles
from pyinfra.facts.hardware import Cpus, Memory, NetworkDevices
from pyinfra.facts.server import Arch, Command, Hostname, KernelVersion, LinuxDistribution, Which
from pyinfra.operations import files, systemd

PKI = "/etc/kubernetes/pki"
host_files = os.path.join(host.data.bench_files_dir, host.name)
first_host = host.name == inventory.get_group("etcd")[0].name

for fact in (Hostname, LinuxDistribution, KernelVersion, Arch, Cpus, Memory, NetworkDevices):
    host.get_fact(fact)
host.get_fact(Which, command="systemctl")

files.directory(name="kubeadm config directory", path="/etc/kubernetes", mode="755", _sudo=True)
files.put(
    name="kubeadm config for this member",
    src=f"{host_files}/etc/kubernetes/kubeadmcfg.yaml",
    dest="/etc/kubernetes/kubeadmcfg.yaml",
    mode="644",
    _sudo=True,
)
files.directory(name="etcd PKI directory", path=f"{PKI}/etcd", mode="755", _sudo=True)

# The same operations in the same order on every host (pyinfra orders operations by where they
# are called); ca.key, held by the first host only, is the last call of the loop there.
expected = [
    f"{PKI}/apiserver-etcd-client.crt",
    f"{PKI}/apiserver-etcd-client.key",
    f"{PKI}/etcd/ca.crt",
    f"{PKI}/etcd/healthcheck-client.crt",
    f"{PKI}/etcd/healthcheck-client.key",
    f"{PKI}/etcd/peer.crt",
    f"{PKI}/etcd/peer.key",
    f"{PKI}/etcd/server.crt",
    f"{PKI}/etcd/server.key",
] + ([f"{PKI}/etcd/ca.key"] if first_host else [])
for remote in expected:
    local = f"{host_files}{remote}"
    mode = format(os.stat(local).st_mode & 0o777, "o")
    files.put(name=f"PKI file {remote}", src=local, dest=remote, mode=mode, _sudo=True)

found = host.get_fact(FindFiles, path=PKI, _sudo=True)
if sorted(found) != sorted(expected):
    raise ValueError(f"{host.name}: PKI files {sorted(found)}, expected {sorted(expected)}")

files.put(
    name="etcd unit file",
    src=f"{host_files}/etc/systemd/system/etcd.service",
    dest="/etc/systemd/system/etcd.service",
    mode="644",
    _sudo=True,
)
systemd.service(name="etcd as a systemd service", service="etcd", running=True, enabled=True, _sudo=True)

if first_host:
    health = host.get_fact(
        Command,
        command=(
            f"etcdctl --cert {PKI}/etcd/peer.crt --key {PKI}/etcd/peer.key --cacert {PKI}/etcd/ca.crt"
            f" --endpoints https://{host.data.ssh_hostname}:2379 endpoint health --cluster 2>&1"
        ),
        _sudo=True,
    )
    if "unhealthy" in health or health.count("is healthy") != len(inventory.get_group("etcd")):
        raise ValueError(f"etcd cluster health: {health}")
