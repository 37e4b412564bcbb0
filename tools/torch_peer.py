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
import sys

import torch

from torch_peer_harness import load, new_output, parse_args, timed_variant, write_output


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


def main():
    args = parse_args()
    out = new_output()
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
            entry[variant] = timed_variant(name, variant, lambda: fn(src, st, tt), err, args, 32)
        out["cases"].append(entry)
        del src, st, tt, ref
        torch.cuda.empty_cache()
    write_output(out, args.out)


if __name__ == "__main__":
    main()
