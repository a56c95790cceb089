# Workload 0 of `npm run bench` (bench/README.md), pyinfra's side: reach every host and run one
# command as root, nothing else (no facts). pyinfra reports a shell command as a change (it
# cannot know), so the bench checks only that every host ran it.
from pyinfra.operations import server

server.shell(name="one command as root", commands=["true"], _sudo=True)
