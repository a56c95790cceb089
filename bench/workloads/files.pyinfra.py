# Workload 1/2/4 of `npm run bench` (bench/README.md), pyinfra's side: facts + 20 file tasks,
# 4 directories and 16 small files with content under /var/tmp/qbench, as files.quorum.yaml.
#
# Written the way pyinfra's docs show it: a deploy file of operations with `name=` and `_sudo=True`,
# file content from a file-like object (`files.put(src=StringIO(...))`), run with
# `pyinfra -y INVENTORY files.pyinfra.py` (and `--dry` without `-y` for the check job).
#
# Facts: pyinfra gathers none up front; operations read the facts they need (File, Directory,
# Sha1File...) as they go. Equal work with quorum's facts (hostname, os-release, kernel,
# architecture, CPUs, memory, interfaces and addresses, systemd) is asked for here with
# host.get_fact, the documented way to read facts in a deploy file.
from io import StringIO

from pyinfra import host
from pyinfra.facts.hardware import Cpus, Memory, NetworkDevices
from pyinfra.facts.server import Arch, Hostname, KernelVersion, LinuxDistribution, Which
from pyinfra.operations import files

for fact in (Hostname, LinuxDistribution, KernelVersion, Arch, Cpus, Memory, NetworkDevices):
    host.get_fact(fact)
host.get_fact(Which, command="systemctl")

for d in range(4):
    files.directory(name=f"directory /var/tmp/qbench/d{d}", path=f"/var/tmp/qbench/d{d}", mode="755", _sudo=True)

for i in range(16):
    path = f"/var/tmp/qbench/d{i % 4}/f{i:02d}.conf"
    files.put(name=f"file {path}", src=StringIO(f"# bench file {i}\nkey{i} = value {i}\n"), dest=path, mode="644", _sudo=True)
