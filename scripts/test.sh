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
"$VENV/bin/python" -m pip install -q -e '.[all,test,docs]'

step "aws-cli (its own virtualenv: it pins a botocore of its own) and rclone (Debian)"
"$PYTHON" -m venv .cache/awscli
.cache/awscli/bin/python -m pip install -q awscli
if ! command -v rclone >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q rclone >/dev/null
fi

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
