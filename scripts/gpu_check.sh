#!/usr/bin/env bash
# GPU checks for prodkit.models: the CUDA tests and the exported-vs-eager GPU benchmark.
#
#   scripts/gpu_check.sh            # on any machine with CUDA, from the repository root
#
# Python: $PYTHON if set; else .venv/bin/python when it has torch with CUDA and mlflow; else the machine's
# python3 and its torch, with mlflow installed from wheels in .whl/ into /tmp/prodkit-site (offline
# machines), or a venv in /tmp/prodkit-gpu-venv on top of that torch with mlflow from the index.
# Logs and JSON go to $OUT if set, else benchmarks/results/.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${OUT:-benchmarks/results}
mkdir -p "$OUT_DIR"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false

has_stack() { "$1" -c "import torch, mlflow; assert torch.cuda.is_available()" >/dev/null 2>&1; }

PY=${PYTHON:-}
if [ -z "$PY" ] && [ -x .venv/bin/python ] && has_stack .venv/bin/python; then PY=.venv/bin/python; fi
if [ -z "$PY" ]; then
  PY=python3  # the machine's own python and torch
  if ! "$PY" -c "import mlflow" >/dev/null 2>&1; then
    if compgen -G ".whl/*.whl" >/dev/null; then  # offline machine: wheels carried in .whl/
      "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/prodkit-site \
        .whl/*.whl || exit 1
      export PYTHONPATH="$PYTHONPATH:/tmp/prodkit-site"
    else  # a venv on top of the machine's torch; torch==2.13.0 only where there is none
      python3 -m venv --system-site-packages /tmp/prodkit-gpu-venv || exit 1
      PY=/tmp/prodkit-gpu-venv/bin/python
      "$PY" -c "import torch" 2>/dev/null || "$PY" -m pip install -q "torch==2.13.0" || exit 1
      "$PY" -m pip install -q "mlflow>=3.17,<3.18" "pandas<3" pyarrow typer rich pytest pytest-timeout || exit 1
    fi
  fi
fi

echo "== environment"
"$PY" - <<'PYEOF'
import sys, torch, mlflow
print("python", sys.version.split()[0], "| torch", torch.__version__, "| cuda", torch.version.cuda,
      "| mlflow", mlflow.__version__)
print("gpu", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "NONE")
PYEOF

echo "== pytest -m gpu tests/models"
"$PY" -m pytest -m gpu tests/models -q -s -p no:cacheprovider -o addopts="" -rs --durations=5 2>&1 | tee "$OUT_DIR/gpu_pytest.log"
status=${PIPESTATUS[0]}

echo "== benchmark: exported vs eager p50 at batch 64 on CUDA"
"$PY" benchmarks/bench_models.py --gpu-only --output "$OUT_DIR/models_gpu.json" 2>&1 | tee "$OUT_DIR/gpu_bench.log"
bench=${PIPESTATUS[0]}

echo "== benchmark: registration vs raw mlflow on this machine (quick)"
"$PY" benchmarks/bench_models.py --quick --no-gpu --output "$OUT_DIR/models_register.json" 2>&1 \
  | grep -v -e "^Registered model" -e "^Created version" -e "^Successfully registered" | tee "$OUT_DIR/register_bench.log"
echo "pytest exit $status, benchmark exit $bench"
exit $(( status || bench ))
