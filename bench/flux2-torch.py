#!/usr/bin/python3
"""The `bin/flux2 bench flux2` configuration in PyTorch on the CPU, as a peer to compare the engine against.

Builds the same random FLUX.2 transformer (hidden 512, 8 heads of 64 with RoPE axes 4 x 16, 2 double and
4 single blocks, context 768, MLP ratio 3, guidance embedder), 256 image and 64 text tokens, LoRA rank 16
(alpha 16) on every block Linear (the `all` preset), and times, as the engine's command does: a 1024^3
sgemm, the forward without gradients, and the LoRA training step (zero-grad, forward, MSE loss, backward,
AdamW) without and with per-block gradient checkpointing. Each figure is the best of --runs calls after
--warmup seconds. One JSON line per figure, with the process's peak RSS.

Weights are F32: PyTorch has no F32 product over BF16-stored weights on the CPU (the engine widens BF16
weights to F32 while packing them; run it with --dtype f32 for the identical configuration).

Run with Debian's PyTorch (python3-torch, on /usr/bin/python3) and its OpenBLAS (libopenblas0-pthread):
    bench/flux2-torch.py --threads 2
The thread count goes to OpenBLAS (OPENBLAS_NUM_THREADS, set here before torch loads) and to torch's own
pool. PyTorch is a benchmark peer only; nothing in the project uses it.
"""
import argparse
import json
import math
import os
import resource
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--double", type=int, default=2)
    p.add_argument("--single", type=int, default=4)
    p.add_argument("--context", type=int, default=768)
    p.add_argument("--image-tokens", type=int, default=256)
    p.add_argument("--text-tokens", type=int, default=64)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--warmup", type=float, default=2.0)
    a = p.parse_args()
    if a.hidden % a.heads or (a.hidden // a.heads) % 8:
        p.error(f"--hidden must be a multiple of --heads with a head dim divisible by 8; got {a.hidden} / {a.heads}")
    return a


args = parse()
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)  # before torch loads OpenBLAS
os.environ["OMP_NUM_THREADS"] = str(args.threads)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.checkpoint import checkpoint  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(1)


class LoraLinear(torch.nn.Module):
    """A frozen Linear (no bias) with an optional adapter: W x + (alpha / rank) B A x."""

    def __init__(self, i, o, rank=0):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(o, i) * 0.02, requires_grad=False)
        self.a = torch.nn.Parameter(torch.randn(rank, i) * 0.01) if rank else None
        self.b = torch.nn.Parameter(torch.randn(o, rank) * 0.01) if rank else None

    def forward(self, x):
        y = F.linear(x, self.weight)
        return y if self.a is None else y + F.linear(F.linear(x, self.a), self.b)  # alpha = rank: scale 1


def modulate(x, shift, scale):
    return F.layer_norm(x, x.shape[-1:], eps=1e-6) * (1 + scale) + shift


class RmsNorm(torch.nn.Module):
    def __init__(self, d):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(d), requires_grad=False)

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.scale


def rope(x, cos, sin):
    """Rotates interleaved channel pairs of x [B, H, L, D] by cos/sin [L, D/2]."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), -1).flatten(-2)


def rope_table(ids, axes, theta=2000.0):
    angles = []
    for axis, d in enumerate(axes):
        freqs = theta ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
        angles.append(ids[:, axis:axis + 1].double() * freqs)
    a = torch.cat(angles, -1)
    return a.cos().float(), a.sin().float()


def attention(q, k, v):
    """Softmax attention over [B, H, L, D] (torch 1.13 has no fused scaled_dot_product_attention)."""
    s = torch.matmul(q, k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    return torch.matmul(s.softmax(-1), v)


def heads(t, h):
    b, l, d = t.shape
    return t.view(b, l, h, d // h).transpose(1, 2)


def merge(o):
    b, h, l, dh = o.shape
    return o.transpose(1, 2).reshape(b, l, h * dh)


class DoubleBlock(torch.nn.Module):
    def __init__(self, d, h, mlp, r):
        super().__init__()
        self.h = h
        self.img_qkv, self.img_proj = LoraLinear(d, 3 * d, r), LoraLinear(d, d, r)
        self.txt_qkv, self.txt_proj = LoraLinear(d, 3 * d, r), LoraLinear(d, d, r)
        self.img_mlp0, self.img_mlp2 = LoraLinear(d, 2 * mlp, r), LoraLinear(mlp, d, r)
        self.txt_mlp0, self.txt_mlp2 = LoraLinear(d, 2 * mlp, r), LoraLinear(mlp, d, r)
        dh = d // h
        self.img_qn, self.img_kn, self.txt_qn, self.txt_kn = RmsNorm(dh), RmsNorm(dh), RmsNorm(dh), RmsNorm(dh)

    def prepare(self, qkv, qn, kn, pe):
        q, k, v = qkv.chunk(3, -1)
        return rope(qn(heads(q, self.h)), *pe), rope(kn(heads(k, self.h)), *pe), heads(v, self.h)

    @staticmethod
    def swiglu(u):
        g, v = u.chunk(2, -1)
        return F.silu(g) * v

    def forward(self, img, txt, mi, mt, pe_txt, pe_img):
        mi, mt = mi.chunk(6, -1), mt.chunk(6, -1)
        qi, ki, vi = self.prepare(self.img_qkv(modulate(img, mi[0], mi[1])), self.img_qn, self.img_kn, pe_img)
        qt, kt, vt = self.prepare(self.txt_qkv(modulate(txt, mt[0], mt[1])), self.txt_qn, self.txt_kn, pe_txt)
        o = merge(attention(torch.cat((qt, qi), 2), torch.cat((kt, ki), 2), torch.cat((vt, vi), 2)))
        lt = txt.shape[1]
        img = img + mi[2] * self.img_proj(o[:, lt:])
        img = img + mi[5] * self.img_mlp2(self.swiglu(self.img_mlp0(modulate(img, mi[3], mi[4]))))
        txt = txt + mt[2] * self.txt_proj(o[:, :lt])
        txt = txt + mt[5] * self.txt_mlp2(self.swiglu(self.txt_mlp0(modulate(txt, mt[3], mt[4]))))
        return img, txt


class SingleBlock(torch.nn.Module):
    def __init__(self, d, h, mlp, r):
        super().__init__()
        self.h, self.d, self.mlp = h, d, mlp
        self.linear1, self.linear2 = LoraLinear(d, 3 * d + 2 * mlp, r), LoraLinear(d + mlp, d, r)
        self.qn, self.kn = RmsNorm(d // h), RmsNorm(d // h)

    def forward(self, x, m, pe):
        m = m.chunk(3, -1)
        y = self.linear1(modulate(x, m[0], m[1]))
        qkv, u = y.split((3 * self.d, 2 * self.mlp), -1)
        q, k, v = qkv.chunk(3, -1)
        o = merge(attention(rope(self.qn(heads(q, self.h)), *pe), rope(self.kn(heads(k, self.h)), *pe), heads(v, self.h)))
        return x + m[2] * self.linear2(torch.cat((o, DoubleBlock.swiglu(u)), -1))


def timestep_embedding(s):
    half = 128
    f = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
    a = 1000.0 * s.double()[:, None] * f
    return torch.cat((a.cos(), a.sin()), -1).float()


class Flux2(torch.nn.Module):
    def __init__(self, a):
        super().__init__()
        d, mlp, r = a.hidden, int(a.hidden * 3.0), a.rank
        self.axes = [a.hidden // a.heads // 4] * 4
        self.img_in, self.txt_in = LoraLinear(128, d), LoraLinear(a.context, d)
        self.time_in = torch.nn.ModuleList([LoraLinear(256, d), LoraLinear(d, d)])
        self.guidance_in = torch.nn.ModuleList([LoraLinear(256, d), LoraLinear(d, d)])
        self.mod_img, self.mod_txt, self.mod_single = LoraLinear(d, 6 * d), LoraLinear(d, 6 * d), LoraLinear(d, 3 * d)
        self.double_blocks = torch.nn.ModuleList([DoubleBlock(d, a.heads, mlp, r) for _ in range(a.double)])
        self.single_blocks = torch.nn.ModuleList([SingleBlock(d, a.heads, mlp, r) for _ in range(a.single)])
        self.final_mod, self.final = LoraLinear(d, 2 * d), LoraLinear(d, 128)
        self.checkpointing = False

    def run(self, fn, *xs):
        return checkpoint(fn, *xs, use_reentrant=False) if self.checkpointing and torch.is_grad_enabled() else fn(*xs)

    def forward(self, x, img_ids, ctx, txt_ids, t, g):
        emb = lambda m, u: m[1](F.silu(m[0](u)))
        vec = emb(self.time_in, timestep_embedding(t)) + emb(self.guidance_in, timestep_embedding(g))
        sv = F.silu(vec)[:, None]
        mi, mt, ms = self.mod_img(sv), self.mod_txt(sv), self.mod_single(sv)
        img, txt = self.img_in(x), self.txt_in(ctx)
        pe_img, pe_txt = rope_table(img_ids, self.axes), rope_table(txt_ids, self.axes)
        pe_all = tuple(torch.cat(p, 0) for p in zip(pe_txt, pe_img))
        for blk in self.double_blocks:
            img, txt = self.run(lambda i, tx, blk=blk: blk(i, tx, mi, mt, pe_txt, pe_img), img, txt)
        h = torch.cat((txt, img), 1)
        for blk in self.single_blocks:
            h = self.run(lambda hh, blk=blk: blk(hh, ms, pe_all), h)
        shift, scale = self.final_mod(sv).chunk(2, -1)
        return self.final(modulate(h[:, txt.shape[1]:], shift, scale))


def best_seconds(fn, warmup, runs):
    end = time.perf_counter() + warmup
    while time.perf_counter() < end:
        fn()
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def peak_rss_mib():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main():
    a = args
    gh = int(math.isqrt(a.image_tokens))
    while a.image_tokens % gh:
        gh -= 1
    gw = a.image_tokens // gh
    img_ids = torch.tensor([[0, i, j, 0] for i in range(gh) for j in range(gw)], dtype=torch.float32)
    txt_ids = torch.tensor([[0, 0, 0, k] for k in range(a.text_tokens)], dtype=torch.float32)

    sa, sw = torch.randn(1024, 1024), torch.randn(1024, 1024)
    sg = 2 * 1024 ** 3 / best_seconds(lambda: torch.matmul(sa, sw.t()), a.warmup, max(a.runs, 5)) / 1e9
    cfg = torch.__config__.show()
    blas = "OpenBLAS" if "openblas" in open("/proc/self/maps").read() else next(
        (w for w in cfg.replace(",", " ").split() if w.startswith("BLAS_INFO=")), "unknown")
    print(json.dumps({"bench": "flux2-torch", "what": "sgemm", "size": 1024, "threads": a.threads, "torch": torch.__version__,
                      "blas": blas, "gflops": round(sg, 2), "peak_rss_mib": peak_rss_mib()}), flush=True)

    model = Flux2(a)
    lora = [p for p in model.parameters() if p.requires_grad]
    x, ctx = torch.randn(a.batch, a.image_tokens, 128), torch.randn(a.batch, a.text_tokens, a.context)
    target = torch.randn(a.batch, a.image_tokens, 128)
    t, g = torch.full((a.batch,), 0.5), torch.full((a.batch,), 1.0)

    def forward():
        with torch.no_grad():
            model(x, img_ids, ctx, txt_ids, t, g)

    sec = best_seconds(forward, a.warmup, a.runs)
    print(json.dumps({"bench": "flux2-torch", "what": "forward", "image_tokens": a.image_tokens, "ms": round(sec * 1e3, 1),
                      "peak_rss_mib": peak_rss_mib()}), flush=True)

    opt = torch.optim.AdamW(lora, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)

    def step():
        opt.zero_grad(set_to_none=False)
        F.mse_loss(model(x, img_ids, ctx, txt_ids, t, g), target).backward()
        opt.step()

    for ckpt in (False, True):
        model.checkpointing = ckpt
        sec = best_seconds(step, a.warmup, a.runs)
        print(json.dumps({"bench": "flux2-torch", "what": "lora_train_step", "image_tokens": a.image_tokens, "checkpointing": ckpt,
                          "adapters": len(lora) // 2, "ms": round(sec * 1e3, 1), "peak_rss_mib": peak_rss_mib()}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
