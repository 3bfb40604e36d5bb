# bench/pytorch.py — the PyTorch side of the training benchmarks: the same models as
# bench/training.ts and bench/convnet.ts, built and trained the way a PyTorch user would (nn.Sequential,
# torch.optim.Adam with Keras' defaults, a plain loop over shuffled batches), timed on 1 or 2 threads.
# It prints one JSON line per model; the TypeScript benches run it (when Python can import torch) so
# that PyTorch's figures come from the same run as ours. Not part of the library; nothing imports it.
#
# Usage: python3 bench/pytorch.py --threads 2 --model mlp [--model fashion] [--model convnet]
#        python3 bench/pytorch.py --threads 2 --serve   (bench/versus.ts: one timed run per request line
#        {"model": "mlp", "steps": 150} on stdin, one JSON line back; the models stay built between runs)
# Debian's PyTorch: `bash scripts/install-pytorch.sh` (apt-get install python3-torch).

import argparse
import json
import statistics
import sys
import time

import torch
from torch import nn

EPOCH_SAMPLES = 60_000


def mnist_mlp():
    # Keras' MNIST MLP: 784-512-512-10, ReLU, Dropout 0.2 (softmax is inside the loss).
    return nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(512, 10),
    )


def fashion_mlp():
    # The TensorFlow course's Fashion-MNIST model: Flatten, Dense 128 relu, Dense 10.
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def mnist_convnet():
    # Keras' Simple MNIST convnet: Conv 32 3x3 relu, pool 2, Conv 64 3x3 relu, pool 2, Flatten,
    # Dropout 0.5, Dense 10. PyTorch is channels-first: the input is [n, 1, 28, 28].
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10),
    )


# name: (builder, batch size, one sample's shape, timed steps, warm-up steps)
MODELS = {
    'mlp': (mnist_mlp, 128, (784,), 150, 10),
    'fashion': (fashion_mlp, 32, (28, 28), 1500, 50),
    'convnet': (mnist_convnet, 128, (1, 28, 28), 40, 5),
}


class Trainer:
    """One model with its optimizer and random data, trained by a plain PyTorch loop."""

    def __init__(self, name, steps):
        build, self.batch, shape, _, self.warmup = MODELS[name]
        torch.manual_seed(0)
        self.model = build()
        # Keras' Adam defaults (learning rate 1e-3, epsilon 1e-7).
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7)
        self.loss_fn = nn.CrossEntropyLoss()
        # Random pixels and labels: the time of a step does not depend on the values.
        self.x = torch.rand((steps * self.batch,) + shape)
        self.y = torch.randint(0, 10, (steps * self.batch,))
        self.model.train()

    def run(self, steps):
        order = torch.randperm(self.x.shape[0])
        for step in range(steps):
            index = order[step * self.batch:(step + 1) * self.batch]
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(self.x[index]), self.y[index])
            loss.backward()
            self.optimizer.step()

    def timed(self, steps):
        """Seconds per 60,000-sample epoch of one run of `steps` steps, and its CPU seconds per second."""
        started, cpu_started = time.perf_counter(), time.process_time()
        self.run(steps)
        elapsed = time.perf_counter() - started
        return elapsed / (steps * self.batch) * EPOCH_SAMPLES, (time.process_time() - cpu_started) / elapsed


def seconds_per_epoch(name, repeats):
    timed = MODELS[name][3]
    trainer = Trainer(name, timed)
    trainer.run(trainer.warmup)
    samples, cpu_per_wall = [], []
    for _ in range(repeats):
        seconds, cpu = trainer.timed(timed)
        samples.append(seconds)
        cpu_per_wall.append(cpu)
    return timed, samples, statistics.median(cpu_per_wall)


def serve():
    # A model is built and warmed up at its first request; each request is one timed run.
    trainers = {}
    for line in sys.stdin:
        request = json.loads(line)
        name, steps = request['model'], int(request['steps'])
        if name not in trainers:
            trainers[name] = Trainer(name, steps)
            trainers[name].run(trainers[name].warmup)
        seconds, cpu = trainers[name].timed(min(steps, trainers[name].x.shape[0] // trainers[name].batch))
        print(json.dumps({'model': name, 'secondsPerEpoch': seconds, 'cpuPerWall': cpu, 'torch': torch.__version__}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--model', action='append', choices=sorted(MODELS))
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--serve', action='store_true')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.serve:
        serve()
        return
    if not args.model:
        parser.error('expected --model (one or more) or --serve')
    for name in args.model:
        steps, samples, cpu_per_wall = seconds_per_epoch(name, args.repeats)
        print(json.dumps({
            'model': name, 'threads': args.threads, 'torch': torch.__version__, 'steps': steps,
            'secondsPerEpoch': statistics.median(samples), 'samples': samples, 'cpuPerWall': cpu_per_wall,
        }), flush=True)


if __name__ == '__main__':
    main()
