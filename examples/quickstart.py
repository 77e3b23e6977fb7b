"""A first look at acloud on the embedded local store: no account, no server.

Run: python examples/quickstart.py
"""

from __future__ import annotations

import asyncio
import pathlib
import tempfile

import acloud


async def main() -> None:
    root = pathlib.Path(tempfile.mkdtemp(prefix="acloud-quickstart-"))
    async with acloud.Session() as cloud:
        store = cloud.local(root)
        created = await store.ensure_bucket("demo")
        print(f"bucket 'demo' created: {created}")

        # write 200 small objects concurrently, under two prefixes
        await asyncio.gather(
            *(
                store.put_object("demo", f"{kind}/{i:03d}.txt", f"{kind} {i}\n".encode())
                for kind in ("reports", "logs")
                for i in range(100)
            )
        )

        # stream a listing page by page, or collect it with await
        first = [key async for key in store.list_objects("demo", prefix="reports/")][:3]
        print("first report keys:", first)
        print("top level:", await store.list_objects("demo", delimiter="/"))

        info = await store.stat_object("demo", "reports/007.txt")
        print(f"reports/007.txt: {info.size} bytes, etag {info.etag}")
        print("content:", await store.get_object("demo", "reports/007.txt"))

        try:
            await store.get_object("demo", "nope.txt")
        except acloud.NotFoundError as err:
            print("typed error:", err)

        await store.delete_objects("demo", await store.list_objects("demo", prefix="logs/"))
        print("objects left:", len(await store.list_objects("demo")))
    print(f"store root: {root}")


if __name__ == "__main__":
    asyncio.run(main())
