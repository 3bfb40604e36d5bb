#!/usr/bin/env bash
# scripts/install-pytorch.sh — makes sure a Python with PyTorch is on this machine for the side-by-side
# rows of `npm run bench` (bench/pytorch.py). Installs Debian's python3-torch and the multi-threaded
# OpenBLAS it calls for its matrix products (without libopenblas0-pthread, Debian's PyTorch falls back
# to the reference BLAS, ~15x slower on the MLP) with apt-get, only when no python3 can import torch.
# Never fails the bench: without root or apt-get it says what to do and the bench reports PyTorch
# as not installed. Set WASMGRAD_BENCH_PYTORCH=0 to skip PyTorch altogether.
set -uo pipefail

[ "${WASMGRAD_BENCH_PYTORCH:-1}" = 0 ] && exit 0
for python in python3 /usr/bin/python3; do
  if command -v "$python" >/dev/null && "$python" -c 'import torch' 2>/dev/null; then
    exit 0
  fi
done
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-pytorch: no python3 here can import torch; the bench will leave PyTorch out." >&2
  echo "  On Debian: sudo apt-get install python3-torch libopenblas0-pthread (or pip install torch)" >&2
  exit 0
fi
echo "install-pytorch: installing Debian's python3-torch and libopenblas0-pthread (apt-get, a few minutes)..."
started=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq python3-torch libopenblas0-pthread >/dev/null \
  && echo "install-pytorch: PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') installed in $(( $(date +%s) - started )) s" \
  || echo "install-pytorch: apt-get failed; the bench will leave PyTorch out." >&2
exit 0
