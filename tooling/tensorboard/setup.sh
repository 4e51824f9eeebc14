#!/usr/bin/env bash
# Creates (or reuses) the Python virtualenv that @store/tfevents tests and benchmarks use as
# their oracle: TensorBoard (its EventAccumulator, plugin accumulator and data provider read
# what our writer wrote) and tensorboardX (the peer in the benchmark, and the Python
# reference writer in the comparison tests). Idempotent: a second run only checks.
#
#   tooling/tensorboard/setup.sh            # venv at tooling/tensorboard/.venv
#   TFEVENTS_VENV=/some/dir tooling/tensorboard/setup.sh
#   WITH_TORCH=1 tooling/tensorboard/setup.sh   # also torch (CPU), for torch.utils.tensorboard
#
# Packages come from pip's configured index (this machine: a local index); versions pinned.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${TFEVENTS_VENV:-$here/.venv}"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
want=(tensorboard==2.21.0 tensorboardX==2.6.5 numpy pillow)
if [ "${WITH_TORCH:-0}" = 1 ]; then want+=(torch); fi
if ! "$venv/bin/python" - "${want[@]}" <<'PY' 2>/dev/null; then
import sys
from importlib.metadata import version
for spec in sys.argv[1:]:
    name, _, pinned = spec.partition('==')
    v = version(name)
    if pinned and v != pinned:
        raise SystemExit(1)
PY
  index=()
  # A machine with a local mirror: use it alone (no retries against an unreachable default index).
  if [ -z "${PIP_INDEX_URL:-}" ] && [ -d /opt/pypi/simple ]; then
    index=(--index-url file:///opt/pypi/simple)
    [ -d /opt/pypi-more/simple ] && index+=(--extra-index-url file:///opt/pypi-more/simple)
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${index[@]}" "${want[@]}"
fi
"$venv/bin/python" -c 'import tensorboard, tensorboardX; print("tensorboard", tensorboard.__version__, "tensorboardX", tensorboardX.__version__)'
echo "venv: $venv"
