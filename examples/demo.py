"""The main job on the embedded local store: no account, no server.

Creates a few hundred files, then runs the ``acloud`` command to sync them into a local
store, change a few, sync again (only the changes move), and sync everything back.

Run: python examples/demo.py
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile


def acloud(*args: str, root: pathlib.Path) -> None:
    cmd = [os.path.join(os.path.dirname(sys.executable), "acloud"), *args]
    print("$ acloud", " ".join(args))
    env = {**os.environ, "ACLOUD_LOCAL_ROOT": str(root)}
    subprocess.run(cmd, check=True, env=env)


def _tree(root: pathlib.Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def main() -> None:
    work = pathlib.Path(tempfile.mkdtemp(prefix="acloud-demo-"))
    photos, store, restored = work / "photos", work / "store", work / "restored"
    for i in range(300):
        path = photos / f"{2020 + i % 5}" / f"img-{i:04d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(2_000 + 37 * i))
    print(f"made 300 files under {photos}\n")

    acloud("mb", "local://backups", root=store)
    acloud("sync", str(photos), "local://backups/photos", root=store)
    acloud("ls", "local://backups/photos/", root=store)

    (photos / "2020" / "img-0000.jpg").write_bytes(b"edited" * 1000)
    (photos / "2021" / "img-0001.jpg").unlink()
    print("\nedited one file, deleted another")
    acloud("sync", "--delete", str(photos), "local://backups/photos", root=store)

    acloud("sync", "local://backups/photos", str(restored), root=store)
    if _tree(photos) != _tree(restored):
        sys.exit("the restored tree differs from the source")
    print(f"\nrestored tree is identical to the source ({restored})")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
