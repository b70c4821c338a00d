"""loop_asyncio_block — an asyncio server whose handler blocks the loop.

The handler answers a request after time.sleep(1.0): a synchronous call
inside a coroutine, so for that second the event loop serves nobody.
"""
import asyncio
import time


async def handle(reader, writer):
    request = await reader.readline()
    time.sleep(1.0)  # the bug: blocks the whole event loop
    writer.write(request.upper())
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    for _ in range(5):
        await asyncio.sleep(0.01)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"ping\n")
    await writer.drain()
    reply = await reader.readline()
    print("loop_asyncio_block: reply %s" % reply.decode().strip(), flush=True)
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()


asyncio.run(main())
