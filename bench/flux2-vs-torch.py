#!/usr/bin/env python3
"""Times `bin/flux2 bench flux2` (F32 and BF16 base weights) against its PyTorch peer bench/flux2-torch.py on
this machine, interleaved in one run: each round runs the peer, then the engine with F32 weights, then with
BF16 weights, all with the same thread count and bench configuration. The best time of each figure over the
rounds is kept, and a Markdown table is printed with the ratios, each side's 1024^3 sgemm of the same process,
the peak RSS and (engine) the arena and step peaks. The load average before each round goes to stderr.

Usage: bench/flux2-vs-torch.py [--rounds 3] [--threads 2] [--torch-python /usr/bin/python3] [-- bench options]
Options after `--` (for example `--image-tokens 1024`) go to both benches; they must be ones both accept.
"""
import argparse
import json
import os
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lines(cmd):
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def key(line):
    what = line["what"]
    if "checkpointing" in line:
        what += " (checkpointing)" if line["checkpointing"] else ""
    return what


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--torch-python", default="/usr/bin/python3")
    p.add_argument("extra", nargs="*")
    a = p.parse_args()
    sides = {
        "torch": [a.torch_python, os.path.join(root, "bench", "flux2-torch.py"), "--threads", str(a.threads)] + a.extra,
        "f32": [os.path.join(root, "bin", "flux2"), "bench", "flux2", "--dtype", "f32", "--threads", str(a.threads)] + a.extra,
        "bf16": [os.path.join(root, "bin", "flux2"), "bench", "flux2", "--dtype", "bf16", "--threads", str(a.threads)] + a.extra,
    }
    subprocess.run([sides["f32"][0], "--version"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    best = {}  # (side, figure) -> line with the least ms (for sgemm: the most GFLOP/s)
    for r in range(1, a.rounds + 1):
        print(f"round {r} of {a.rounds}: load average {load()}", file=sys.stderr, flush=True)
        for side, cmd in sides.items():
            for line in lines(cmd):
                k, old = (side, key(line)), best.get((side, key(line)))
                better = old is None or (line["gflops"] > old["gflops"] if line["what"] == "sgemm" else line["ms"] < old["ms"])
                if better:
                    best[k] = line
                best[k]["peak_rss_mib"] = max(best[k]["peak_rss_mib"], line["peak_rss_mib"], old["peak_rss_mib"] if old else 0)
    print(f"after the last round: load average {load()}", file=sys.stderr)
    torch_info = best[("torch", "sgemm")]
    print(f"torch {torch_info['torch']} on {torch_info['blas']}, {a.threads} threads", file=sys.stderr)

    print("| figure | torch ms | engine F32 ms | torch / F32 | engine BF16 ms | torch / BF16 | GFLOP | torch of sgemm | F32 of sgemm | BF16 of sgemm"
          " | peak RSS MiB torch / F32 / BF16 | arena peak MiB F32 / BF16 | step peak MiB F32 / BF16 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    s = {side: best[(side, "sgemm")] for side in sides}
    print(f"| sgemm 1024^3 F32 (GFLOP/s) | {s['torch']['gflops']} | {s['f32']['gflops']} | | {s['bf16']['gflops']} | | | | | "
          f"| {s['torch']['peak_rss_mib']} / {s['f32']['peak_rss_mib']} / {s['bf16']['peak_rss_mib']} "
          f"| {s['f32']['arena_peak_mib']} / {s['bf16']['arena_peak_mib']} | |")
    for fig in ("forward", "lora_train_step", "lora_train_step (checkpointing)"):
        t, f, h = best[("torch", fig)], best[("f32", fig)], best[("bf16", fig)]
        step_peaks = f"{f['step_peak_mib']} / {h['step_peak_mib']}" if "step_peak_mib" in f else ""
        print(f"| {fig} | {t['ms']} | {f['ms']} | {t['ms'] / f['ms']:.2f} | {h['ms']} | {t['ms'] / h['ms']:.2f} | {f['gflop']} "
              f"| {f['gflop'] / t['ms'] * 1e3 / s['torch']['gflops']:.3f} | {f['of_sgemm']} | {h['of_sgemm']} | {t['peak_rss_mib']} / {f['peak_rss_mib']} / {h['peak_rss_mib']} "
              f"| {f['arena_peak_mib']} / {h['arena_peak_mib']} | {step_peaks} |")


if __name__ == "__main__":
    sys.exit(main())
