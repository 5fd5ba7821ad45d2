#!/usr/bin/env bash
# GPU benchmarks (issue 5: items 1, 2 and 5) for sessions lent a GPU machine.
# Never needed by tests or CI (which run the same scripts at toy sizes). The per-run time
# limits below add up to 8 minutes on one H100/H200; a run cut off by its limit says so
# ("(exit 124)") in results.md.
#
# The device image has JAX and torch with CUDA but no Keras or TensorFlow, so the
# Keras/KerasHub wheels travel in .whl/ (see docs/results/benchmarks.md), e.g.:
#   pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 -d .whl keras==3.15.1 keras-hub==0.32.0 namex \
#     optree kagglehub kagglesdk
# Usage (repo root): [MODE=profile] [BACKENDS=jax] bash benchmarks/gpu.sh [OUT_DIR]
set -uo pipefail
out=${1:-${OUT:-/tmp/keras_rr_gpu}}
mkdir -p "$out"
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"

run() {  # name, timeout, command...
  local name=$1 limit=$2; shift 2
  echo "=== $name" | tee -a "$out/results.md"
  timeout "$limit" "$@" 2>"$out/$name.err" | tee -a "$out/results.md"
  echo "(exit $?)" >>"$out/results.md"
}

# MODE=all (default): issue 5 items 1, 2 and 5; the overhead runs also time a second
# compile of the plain model (the noise floor). MODE=profile: the step breakdown with a
# device trace (benchmarks/step_breakdown.py), then XLA's cost analysis of the compiled
# steps on JAX (benchmarks/step_cost.py) and the region term's eager host time on torch
# (benchmarks/region_term_host_time.py), instead of the plain overhead runs. Its limits
# add up to more than one 15-minute device session: use BACKENDS=jax SKIP_INFERENCE=1.
mode=${MODE:-all}
# Per-run limits add up to 8 minutes for both backends: JAX spends most of its time
# compiling (about 20 s per R50 512 px program on an H200), torch runs eagerly.
for backend in ${BACKENDS:-jax torch}; do
  export KERAS_BACKEND=$backend
  if [ "$backend" = jax ]; then limits=(150 50 100); else limits=(80 40 60); fi
  if [ "$mode" = profile ]; then
    run "breakdown_r50_$backend" "${BREAKDOWN_LIMIT:-240}" python3 benchmarks/step_breakdown.py \
      --depth=50 --image_size=512 --batch_size=8 --steps=10 --repeats="${REPEATS:-5}" \
      --trace_dir="$out/trace_$backend"
    if [ "$backend" = jax ]; then
      run "step_cost_r50" "${COST_LIMIT:-120}" python3 benchmarks/step_cost.py --depth=50 --image_size=512 --batch_size=8
    else
      run "region_term_host_time" 60 python3 benchmarks/region_term_host_time.py
    fi
  else
    for before in ${POOL_BEFORE_UPSAMPLING:-true}; do
      run "overhead_r50_${backend}_$before" "${limits[0]}" python3 benchmarks/train_step_overhead.py \
        --depth=50 --image_size=512 --batch_size=8 --steps=10 --repeats=6 \
        --pool_before_upsampling=$before --noise_floor
    done
    [ -n "${SKIP_POOLING:-}" ] || run "pooling_$backend" "${limits[1]}" python3 benchmarks/region_pooling.py \
      --batch_size=8 --sizes=128,512 --channels=256 --num_classes=150 --repeats=10
  fi
  [ -n "${SKIP_INFERENCE:-}" ] || run "inference_$backend" "${INFERENCE_LIMIT:-${limits[2]}}" \
    python3 benchmarks/inference.py --depth=50 --image_size=512 --batch_size=8 --steps=5 --repeats=6
done
