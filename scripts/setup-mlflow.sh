#!/usr/bin/env bash
# Creates the Python virtual environment that holds the MLflow tracking server
# used by ganscope's MLflow tests (and by anyone who wants a local server):
# .venv/mlflow with mlflow==$MLFLOW_VERSION. Idempotent: a venv that already
# has the pinned version is left alone; a half-built one (killed mid-install)
# is rebuilt. Concurrent callers serialise on a lock file.
#
#   scripts/setup-mlflow.sh            # prints the venv's mlflow executable
#   MLFLOW_VENV=/path scripts/setup-mlflow.sh
set -euo pipefail

# Pinned: the tests talk to this server's REST API. 3.17.2 is the newest
# release whose whole dependency set (mlflow-skinny, mlflow-tracing) our PyPI
# mirror serves; 3.18.0 is listed but its mlflow-skinny is not. Python 3.11.
MLFLOW_VERSION=3.17.2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${MLFLOW_VENV:-$root/.venv/mlflow}"
python="${PYTHON:-python3}"
marker="$venv/.ganscope-mlflow-$MLFLOW_VERSION"

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

if [[ -f "$marker" && -x "$venv/bin/mlflow" ]]; then
  echo "$venv/bin/mlflow"
  exit 0
fi

echo "setup-mlflow: installing mlflow==$MLFLOW_VERSION into $venv (one-time, a few minutes)" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "mlflow==$MLFLOW_VERSION" >&2
"$venv/bin/mlflow" --version >&2
touch "$marker"
echo "$venv/bin/mlflow"
