#!/usr/bin/env python3
"""The PyTorch peer of robolua's fused resampler: what a PyTorch user writes today to put several sensor
streams on one policy timeline -- per stream a searchsorted, gathers of the two neighbouring rows, the
interpolation (lerp; zero-order hold; nearest; slerp on quaternion groups), then one concatenation and
the padded targets masked -- eager and torch.compile'd (a fresh static-shape compile per case), timed
with CUDA events on the same card, on the very data robolua generated (tools/export_fuse_cases.lua).
Each variant's output is checked against robolua's CPU output on the valid targets before it is timed.
Writes JSON: one entry per case and variant with the median ms.

usage: torch_fuse_peer.py CASES_DIR OUT.json [--repeats N] [--warmup N]
"""
import json
import sys

import torch

from torch_peer_harness import load, new_output, parse_args, timed_variant, write_output


def slerp(q0, q1, w):
    # q0, q1 [B, T, G, 4] (x, y, z, w), w [B, T, 1, 1]: normalized, shortest arc, lerp+normalize at tiny angles
    q0 = q0 / q0.norm(dim=-1, keepdim=True)
    q1 = q1 / q1.norm(dim=-1, keepdim=True)
    dot = (q0 * q1).sum(-1, keepdim=True)
    q1 = torch.where(dot < 0, -q1, q1)
    dot = dot.abs().clamp(max=1.0)
    theta = torch.acos(dot)
    s = torch.sin(theta)
    tiny = theta < 1.52587890625e-05
    safe = torch.where(tiny, torch.ones_like(s), s)
    c0 = torch.where(tiny, 1 - w, torch.sin((1 - w) * theta) / safe)
    c1 = torch.where(tiny, w, torch.sin(w * theta) / safe)
    r = c0 * q0 + c1 * q1
    return r / r.norm(dim=-1, keepdim=True)


def resample_stream(src, st, length, tt, modes):
    # src [B,S,D], st [B,S], length [B] or None, tt [B,T] -> [B,T,D] float32
    B, S, D = src.shape
    T = tt.shape[1]
    idx = torch.searchsorted(st, tt, right=True) - 1  # largest i with st[i] <= x; -1 before the first
    last = (length - 1).clamp(min=0).unsqueeze(1) if length is not None else torch.full_like(idx[:, :1], S - 1)
    i0 = torch.minimum(idx.clamp(min=0), last)
    i1 = torch.minimum(i0 + 1, last)
    interior = (idx >= 0) & (i1 > i0)
    t0 = torch.gather(st, 1, i0)
    t1 = torch.gather(st, 1, i1)
    if st.dtype == torch.int64:
        d0, d1 = tt - t0, t1 - tt
        w = (d0.double() / (t1 - t0).double()).float()
    elif st.dtype == torch.float64:
        d0, d1 = tt - t0, t1 - tt
        w = (d0 / (t1 - t0)).float()
    else:
        d0, d1 = tt.double() - t0.double(), t1.double() - tt.double()
        w = (tt - t0) / (t1 - t0)
    w = torch.where(interior, w, torch.zeros_like(w))
    i1 = torch.where(interior, i1, i0)
    a = torch.gather(src, 1, i0.unsqueeze(-1).expand(B, T, D)).float()
    b = torch.gather(src, 1, i1.unsqueeze(-1).expand(B, T, D)).float()
    wc = w.unsqueeze(-1)
    parts, at = [], 0
    for lo, hi, mode in sorted(modes) + [(D, D, "linear")]:
        if lo > at:  # channels no range covers are linear
            parts.append(a[..., at:lo] + wc * (b[..., at:lo] - a[..., at:lo]))
        if hi > lo:
            if mode == "linear":
                parts.append(a[..., lo:hi] + wc * (b[..., lo:hi] - a[..., lo:hi]))
            elif mode == "hold":
                parts.append(a[..., lo:hi])
            elif mode == "nearest":
                inear = torch.where(interior & (d1 <= d0), i1, i0)
                parts.append(torch.gather(src[..., lo:hi], 1, inear.unsqueeze(-1).expand(B, T, hi - lo)).float())
            else:  # slerp
                g = (hi - lo) // 4
                q = slerp(a[..., lo:hi].reshape(B, T, g, 4), b[..., lo:hi].reshape(B, T, g, 4), wc.unsqueeze(-1))
                parts.append(q.reshape(B, T, hi - lo))
        at = hi
    return torch.cat(parts, dim=-1) if len(parts) > 1 else parts[0]


def fuse(streams, tt, tlen):
    out = torch.cat([resample_stream(s["src"], s["st"], s["len"], tt, s["modes"]) for s in streams], dim=-1)
    if tlen is None:
        return out
    valid = torch.arange(tt.shape[1], device=tt.device).unsqueeze(0) < tlen.unsqueeze(1)
    return torch.where(valid.unsqueeze(-1), out, torch.full_like(out, float("nan")))


def main():
    args = parse_args()
    out = new_output()
    for case in json.load(open(f"{args.cases}/cases.json")):
        base = f"{args.cases}/{case['name']}"
        B, T, D = case["batch"], case["target_len"], case["out_dim"]
        tdt = case["time_dtype"]
        streams = []
        for k, s in enumerate(case["streams"], 1):
            S = s["source_len"]
            streams.append({
                "src": load(f"{base}/s{k}.src", s["dtype"], (B, S, s["dim"])).cuda(),
                "st": load(f"{base}/s{k}.st", tdt, (B, S)).cuda(),
                "len": load(f"{base}/s{k}.len", "i64", (B,)).cuda() if case["ragged"] else None,
                "modes": [tuple(m) for m in s["modes"]],
            })
        tt = load(f"{base}/tt", tdt, (B, T)).cuda()
        tlen = load(f"{base}/tlen", "i64", (B,)).cuda() if case["ragged"] else None
        ref = load(f"{base}/ref", "f32", (B, T, D)).cuda()
        valid = ~torch.isnan(ref)
        entry = {"case": case["name"], "batch": B, "target_len": T, "out_dim": D, "streams": len(streams),
                 "time_dtype": tdt, "ragged": case["ragged"]}
        torch._dynamo.reset()  # a fresh, shape-specialised compile for this case
        compiled = torch.compile(fuse, dynamic=False)
        for variant, fn in (("eager", fuse), ("compile", compiled)):
            got = fn(streams, tt, tlen)
            torch.cuda.synchronize()
            err = (got[valid] - ref[valid]).abs().max().item()
            pad_ok = bool(torch.isnan(got[~valid]).all().item()) if (~valid).any() else True
            if not (err <= 2e-5 and pad_ok):
                print(f"{case['name']} {variant}: differs from robolua's output by {err} (padding NaN: {pad_ok})",
                      file=sys.stderr)
                entry[variant] = {"verified": False, "max_abs_err": err}
                continue
            entry[variant] = timed_variant(case["name"], variant, lambda: fn(streams, tt, tlen), err, args, 34)
        out["cases"].append(entry)
        del streams, tt, tlen, ref
        torch.cuda.empty_cache()
    write_output(out, args.out)


if __name__ == "__main__":
    main()
