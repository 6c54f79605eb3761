"""The article's ConvNet in PyTorch, on the same bundled MNIST files, for bench/epoch.sh.

Prints one JSON object: seconds per epoch, training images per epoch, peak RSS, threads and BLAS.
Runs at the fair setting by default: as many threads as ConvLens uses (2 here) and OpenBLAS.
"""
import argparse, gzip, json, os, resource, time

import numpy as np
import torch
from torch import nn


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5, padding=2)
        self.pool1 = nn.MaxPool2d(2)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(16, 32, 5, padding=2)
        self.pool2 = nn.MaxPool2d(2)
        self.relu2 = nn.ReLU()
        self.dropout_conv = nn.Dropout2d(0.5)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(1568, 96)
        self.relu_fc1 = nn.ReLU()
        self.dropout_fc1 = nn.Dropout(0.1)
        self.fc2 = nn.Linear(96, 10)

    def forward(self, x):
        for layer in self.children():
            x = layer(x)
        return x


def blas_in_use():
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if "blas" in line}
    return sorted(os.path.basename(l) for l in libs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/mnist")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    images = torch.from_numpy(read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz")).copy())
    labels = torch.from_numpy(read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    generator = torch.Generator().manual_seed(args.seed)
    permutation = torch.randperm(len(images), generator=generator)
    train_idx, val_idx = permutation[:48000], permutation[48000:]

    model = ConvNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.002)
    loss_fn = nn.CrossEntropyLoss()
    seconds = []
    for epoch in range(args.epochs):
        start = time.perf_counter()
        model.train()
        order = train_idx[torch.randperm(len(train_idx), generator=generator)]
        for b in range(0, len(order), 128):
            idx = order[b:b + 128]
            x = images[idx].unsqueeze(1).float().div_(255)
            y = labels[idx]
            optimizer.zero_grad()
            out = model(x)
            loss = loss_fn(out, y)
            loss.backward()
            optimizer.step()
            loss.item()
            (out.argmax(1) == y).sum().item()
        model.eval()
        with torch.no_grad():
            for b in range(0, len(val_idx), 1000):
                idx = val_idx[b:b + 1000]
                nn.functional.cross_entropy(model(images[idx].unsqueeze(1).float().div_(255)), labels[idx], reduction="sum").item()
        seconds.append(time.perf_counter() - start)

    print(json.dumps({
        "seconds": seconds,
        "trainImages": len(train_idx),
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
        "blas": blas_in_use(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
