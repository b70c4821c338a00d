"""loop_asyncio_healthy — an asyncio program that keeps its loop free.

Thousands of short callbacks and tasks, and short sleeps: the loop comes
back to epoll_wait every few microseconds to milliseconds.
"""
import asyncio


async def worker(n):
    for _ in range(5):
        await asyncio.sleep(0)
    await asyncio.sleep(0.001 * (n % 10))
    return n


async def main():
    loop = asyncio.get_running_loop()
    finished = loop.create_future()
    count = 0

    def tick():
        nonlocal count
        count += 1
        if count < 5000:
            loop.call_soon(tick)
        else:
            finished.set_result(count)

    loop.call_soon(tick)
    results = await asyncio.gather(*(worker(n) for n in range(2000)))
    await finished
    for _ in range(20):
        await asyncio.sleep(0.02)
    print("loop_asyncio_healthy: %d callbacks, %d tasks" % (count, len(results)), flush=True)


asyncio.run(main())
