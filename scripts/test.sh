#!/usr/bin/env bash
# Installs everything the tests need, from scratch, and runs the whole suite:
# lint, types, the docs build, a core-only import check, then pytest (unit, contract and
# integration tests; the fixtures start the emulators themselves).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
export PIP_DISABLE_PIP_VERSION_CHECK=1 NO_MKDOCS_2_WARNING=1

step() { printf '\n== %s\n' "$*"; }

step "virtualenv ($VENV) with every extra"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e '.[all,test,docs,benchmarks]' # benchmarks: the peers the sink test runs

step "aws-cli (its own virtualenv: it pins a botocore of its own)"
"$PYTHON" -m venv .cache/awscli
.cache/awscli/bin/python -m pip install -q awscli

step "Debian: rclone; OpenStack Swift with its S3 layer and Keystone's middleware; memcached; nginx (the benchmark sink)"
DEBIAN_PACKAGES="rclone swift swift-proxy swift-account swift-container swift-object \
  python3-swift python3-keystonemiddleware memcached nginx"
# shellcheck disable=SC2086
if ! dpkg -s $DEBIAN_PACKAGES >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    $DEBIAN_PACKAGES >/dev/null
fi

step "Swift 2.38 (PyPI) over Debian's: its s3api verifies S3's flexible checksums (2.30's ignores them)"
# Debian's Python and Swift's dependencies from Debian; only Swift itself and the CRC32C it
# checks uploads with (anycrc) come from PyPI
/usr/bin/python3 -m venv --system-site-packages .cache/swift
.cache/swift/bin/python -m pip install -q --no-deps swift==2.38.3 anycrc==2.1.0

step "Keystone 30 (PyPI, its own virtualenv; served by gunicorn)"
"$PYTHON" -m venv .cache/keystone
.cache/keystone/bin/python -m pip install -q keystone==30.0.0 gunicorn

step "Azurite and Prism (npm) into .cache/node"
npm install --prefix .cache/node --no-audit --no-fund --loglevel=error azurite @stoplight/prism-cli

step "only the core dependencies: import acloud, run README command (a)'s demo"
"$PYTHON" -m venv --clear .venv-core
.venv-core/bin/python -m pip install -q -e .
.venv-core/bin/python -c "import acloud, sys; print('acloud', acloud.__version__); \
bad = [m for m in sys.modules if m.split('.')[0] in ('aiobotocore', 'botocore', 'gcloud', 'azure', 'openstack')]; \
assert not bad, bad; acloud.LocalStorageClient"
.venv-core/bin/python examples/demo.py > /dev/null
.venv-core/bin/python examples/quickstart.py > /dev/null

step "ruff"
"$VENV/bin/ruff" check acloud tests examples scripts benchmarks
"$VENV/bin/ruff" format --check acloud tests examples benchmarks

step "mypy (strict on acloud/)"
"$VENV/bin/mypy"

step "docs (mkdocs build --strict)"
"$VENV/bin/mkdocs" build --strict -q -d .cache/site

step "pytest (in parallel: each worker starts its own servers)"
"$VENV/bin/python" -m pytest --timeout 300 -n "${PYTEST_WORKERS:-3}" --dist worksteal "$@"

step "every Python the package claims: 3.10, 3.12, 3.13 (unit tests, contract on the local store)"
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
find_python() {  # an interpreter of version $1 that runs (a pyenv shim may not)
  local found
  for found in $(ls -d "$pyenv_root"/versions/"$1".*/bin/python"$1" 2>/dev/null | sort -V -r) \
      $(command -v "python$1" || true); do
    if "$found" -c "import sys" >/dev/null 2>&1; then echo "$found"; return; fi
  done
}
# the AWS packages as the main virtualenv resolved them (boto3 beside aiobotocore's botocore
# pin otherwise sends pip's resolver back through hundreds of versions)
"$VENV/bin/python" -m pip freeze | grep -iE '^(aiobotocore|boto3|botocore|s3transfer)==' \
  > .cache/constraints.txt
for version in 3.10 3.12 3.13; do
  python=$(find_python "$version")
  if [ -z "$python" ] && [ -x "$pyenv_root/bin/pyenv" ]; then
    "$pyenv_root/bin/pyenv" install -s "$version" && python=$(find_python "$version")
  fi
  if [ -z "$python" ]; then
    echo "Python $version is not installed here (and pyenv could not install it)" >&2
    exit 1
  fi
  "$python" -m venv --clear ".cache/python$version"
  ".cache/python$version/bin/python" -m pip install -q -c .cache/constraints.txt -e '.[all]' \
    boto3 google-cloud-storage pytest pytest-asyncio aioresponses hypothesis pytest-timeout
  ".cache/python$version/bin/python" -m pytest -q -p no:cacheprovider --timeout 300 \
    tests/unit tests/contract/test_contract.py -k "not test_contract or local"
done
