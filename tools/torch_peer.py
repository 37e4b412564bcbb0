#!/usr/bin/env python3
"""The PyTorch peer: the best vectorised PyTorch equivalent of robolua's resampler (searchsorted +
gather + lerp), eager and torch.compile'd, timed with CUDA events on the same card, on the very data
robolua generates (tools/export_cases.lua). Each peer's output is checked against robolua's CPU
output before it is timed. Writes JSON: one entry per case and variant with the median ms.
torch.compile gets its best chance: a fresh compile per case with static shapes (one function shared
by all cases would turn dynamic after the second shape and run a generic kernel; on an H100 that
moved 64x1000x512 bf16 between 94 and 208 us from run to run).

usage: torch_peer.py CASES_DIR OUT.json [--repeats N] [--warmup N]
"""
import argparse
import json
import statistics
import sys

import numpy as np
import torch


def resample(src, st, tt):
    # src [B,S,D], st [B,S] f32, tt [B,T] f32 -> [B,T,D]; clamps like numpy.interp
    S = st.shape[1]
    i = torch.searchsorted(st, tt, right=True) - 1
    i = i.clamp(0, max(S - 2, 0))
    t0 = torch.gather(st, 1, i)
    t1 = torch.gather(st, 1, (i + 1).clamp(max=S - 1))
    w = ((tt - t0) / (t1 - t0)).clamp(0.0, 1.0).unsqueeze(-1)
    D = src.shape[2]
    idx = i.unsqueeze(-1).expand(-1, -1, D)
    a = torch.gather(src, 1, idx).float()
    b = torch.gather(src, 1, (idx + 1).clamp(max=S - 1)).float()
    return (a + w * (b - a)).to(src.dtype)


def load(path, dtype, shape):
    if dtype == "bf16":
        raw = np.fromfile(path, dtype=np.int16).reshape(shape)
        return torch.from_numpy(raw).view(torch.bfloat16)
    np_dtype = {"f32": np.float32, "f16": np.float16}[dtype]
    return torch.from_numpy(np.fromfile(path, dtype=np_dtype).reshape(shape))


def time_fn(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    stop = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    for k in range(repeats):
        start[k].record()
        fn()
        stop[k].record()
    torch.cuda.synchronize()
    return [s.elapsed_time(e) for s, e in zip(start, stop)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases")
    ap.add_argument("out")
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    args = ap.parse_args()
    out = {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
           "compile": {"dynamic": False, "per_case": True}, "cases": []}
    for line in open(f"{args.cases}/cases.txt"):
        name, B, S, T, D, dtype, seed, timing = line.split()
        B, S, T, D = int(B), int(S), int(T), int(D)
        base = f"{args.cases}/{name}"
        src = load(base + ".src", dtype, (B, S, D)).cuda()
        st = load(base + ".st", "f32", (B, S)).cuda()
        tt = load(base + ".tt", "f32", (B, T)).cuda()
        ref = load(base + ".ref", dtype, (B, T, D)).cuda().float()
        entry = {"case": name, "batch": B, "source_len": S, "target_len": T, "dim": D, "dtype": dtype,
                 "timing": timing}
        torch._dynamo.reset()  # a fresh, shape-specialised compile for this case
        compiled = torch.compile(resample, dynamic=False)
        for variant, fn in (("eager", resample), ("compile", compiled)):
            got = fn(src, st, tt)
            torch.cuda.synchronize()
            err = (got.float() - ref).abs().max().item()
            scale = ref.abs().max().item()
            tol = (2 ** -7 if dtype in ("bf16", "f16") else 1e-5) * max(scale, 1.0)
            if not err <= tol:
                print(f"{name} {variant}: output differs from robolua's by {err} (tolerance {tol})", file=sys.stderr)
                entry[variant] = {"verified": False, "max_abs_err": err}
                continue
            samples = time_fn(lambda: fn(src, st, tt), args.warmup, args.repeats)
            entry[variant] = {"verified": True, "max_abs_err": err, "median_ms": statistics.median(samples),
                              "min_ms": min(samples), "samples_ms": samples}
            print(f"{name:32s} {variant:8s} median {statistics.median(samples) * 1e3:9.1f} us", flush=True)
        out["cases"].append(entry)
        del src, st, tt, ref
        torch.cuda.empty_cache()
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
