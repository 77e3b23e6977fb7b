"""Two sides of one comparison: aws-cli (or rclone) and acloud, each with its own bucket
and folder on the same moto server, seeded alike."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from ..cli import MOTO_ENV
from ..servers import moto_reset

ROOT = Path(__file__).resolve().parents[2]
#: where the README's test command installs aws-cli (its own virtualenv: aws-cli pins a
#: botocore that aiobotocore's range does not admit)
AWS_CLI = ROOT / ".cache" / "awscli" / "bin" / "aws"


def aws_cli() -> str:
    if not AWS_CLI.exists():
        raise RuntimeError(f"aws-cli is not at {AWS_CLI}: run the README's test command")
    return str(AWS_CLI)


def rclone() -> str:
    found = shutil.which("rclone")
    if not found:
        raise RuntimeError("rclone is not installed: run the README's test command (apt)")
    return found


@dataclass
class Side:
    """One tool's bucket and folder."""

    tool: str
    bucket: str
    local: Path
    endpoint: str

    def fill(self, text: str) -> str:
        return text.replace("{B}", self.bucket).replace("{L}", str(self.local))

    def run(
        self, args: list[str], stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        argv = [self.fill(a) for a in args]
        env = {**os.environ, **MOTO_ENV, "AWS_DEFAULT_REGION": "us-east-1"}
        if self.tool == "aws":
            command = [aws_cli(), "--endpoint-url", self.endpoint, "s3", *argv]
        elif self.tool == "rclone":
            command = [rclone(), *argv]
            env.update(
                RCLONE_CONFIG_MOTO_TYPE="s3",
                RCLONE_CONFIG_MOTO_PROVIDER="Other",
                RCLONE_CONFIG_MOTO_ENDPOINT=self.endpoint,
                RCLONE_CONFIG_MOTO_ACCESS_KEY_ID=MOTO_ENV["AWS_ACCESS_KEY_ID"],
                RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY=MOTO_ENV["AWS_SECRET_ACCESS_KEY"],
                RCLONE_CONFIG_MOTO_REGION="us-east-1",
                RCLONE_CONFIG_MOTO_FORCE_PATH_STYLE="true",
            )
            command = [self.fill(a).replace("s3://", "moto:") for a in command]
            env.pop("AWS_CA_BUNDLE", None)  # rclone cannot use it with a plain-HTTP endpoint
        else:
            command = [sys.executable, "-m", "acloud.cli", "--endpoint-url", self.endpoint,
                       "--addressing", "path", *argv]  # fmt: skip
        return subprocess.run(command, input=stdin, capture_output=True, env=env, timeout=120)


@dataclass
class Pair:
    """The other tool's side and acloud's, and a boto3 client to seed and read them."""

    theirs: Side
    ours: Side
    s3: object

    @property
    def sides(self) -> tuple[Side, Side]:
        return self.theirs, self.ours

    def seed(self, keys: dict[str, bytes], files: dict[str, bytes]) -> None:
        for side in self.sides:
            self.s3.create_bucket(Bucket=side.bucket)  # type: ignore[attr-defined]
            for key, body in keys.items():
                self.s3.put_object(Bucket=side.bucket, Key=key, Body=body)  # type: ignore[attr-defined]
            for rel, body in files.items():
                path = side.local / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(body)

    def objects(self, side: Side) -> dict[str, bytes] | None:
        """The bucket's keys and bytes (None when the bucket does not exist)."""
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=side.bucket)  # type: ignore[attr-defined]
            keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        except self.s3.exceptions.NoSuchBucket:  # type: ignore[attr-defined]
            return None
        return {
            k: self.s3.get_object(Bucket=side.bucket, Key=k)["Body"].read()  # type: ignore[attr-defined]
            for k in keys
        }

    @staticmethod
    def files(side: Side) -> dict[str, bytes]:
        out = {}
        for path in side.local.rglob("*"):
            if path.is_file() and not path.is_symlink():
                out[path.relative_to(side.local).as_posix()] = path.read_bytes()
        return out


@pytest.fixture
def pair_of(moto_endpoint: str, tmp_path: Path) -> Iterator[object]:
    """A factory: ``pair_of("aws")`` or ``pair_of("rclone")`` gives a :class:`Pair`."""
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        aws_access_key_id=MOTO_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=MOTO_ENV["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )

    def make(tool: str) -> Pair:
        tag = uuid.uuid4().hex[:8]
        sides = []
        for name in (tool, "acloud"):
            local = tmp_path / name
            local.mkdir()
            sides.append(Side(name, f"d-{name[:3]}-{tag}", local, moto_endpoint))
        return Pair(sides[0], sides[1], s3)

    yield make
    moto_reset(moto_endpoint)
