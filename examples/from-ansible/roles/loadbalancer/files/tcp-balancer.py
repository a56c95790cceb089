#!/usr/bin/python3
"""A round-robin TCP balancer: small, so the example needs no package the lab cannot install."""
import asyncio
import itertools
import sys


def read_config(path):
    listen, backends = None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words[:1] == ["listen"]:
                listen = (words[1], int(words[2]))
            elif words[:1] == ["backend"]:
                backends.append((words[1], int(words[2])))
    if listen is None or not backends:
        sys.exit(f"{path}: needs a listen line and at least one backend")
    return listen, backends


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def main(path):
    (host, port), backends = read_config(path)
    ring = itertools.cycle(backends)

    async def serve(client_reader, client_writer):
        for _ in backends:
            backend = next(ring)
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(*backend), 3)
                break
            except (OSError, asyncio.TimeoutError):
                continue
        else:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, writer), pipe(reader, client_writer), return_exceptions=True)

    server = await asyncio.start_server(serve, host, port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
