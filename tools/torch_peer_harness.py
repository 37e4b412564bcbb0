"""What the PyTorch peers (torch_peer.py, torch_fuse_peer.py) share: their command line, reading the raw
little-endian files robolua exported (tools/export_cases.lua, tools/export_fuse_cases.lua), the
CUDA-event timing loop, and the JSON they write. Defined once so both peers time and report the same
way and a number in one compares with a number in the other (scenarios/roofline.lua and
scenarios/robot_fusion.lua read the JSON; the progress lines go to peers.txt next to it).

The peers import it from their own folder: `python3 tools/torch_peer.py ...` puts tools/ first on
sys.path, from any working directory.
"""
import argparse
import json
import statistics

import numpy as np
import torch

NUMPY_DTYPES = {"f32": np.float32, "f16": np.float16, "f64": np.float64, "i64": np.int64}


def parse_args():
    """CASES_DIR OUT.json [--repeats N] [--warmup N]"""
    ap = argparse.ArgumentParser()
    ap.add_argument("cases")
    ap.add_argument("out")
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    return ap.parse_args()


def load(path, dtype, shape):
    """A tensor of robolua dtype `dtype` (bf16, f16, f32, f64, i64) read from a raw file."""
    if dtype == "bf16":  # numpy has no bfloat16: read the bits, view them as torch's
        raw = np.fromfile(path, dtype=np.int16).reshape(shape)
        return torch.from_numpy(raw).view(torch.bfloat16)
    return torch.from_numpy(np.fromfile(path, dtype=NUMPY_DTYPES[dtype]).reshape(shape))


def time_fn(fn, warmup, repeats):
    """Per-call milliseconds: a CUDA event pair around each call, read after one synchronize (so no host
    sync sits between the calls, as in robolua's own hot loop)."""
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


def new_output():
    """The document a peer writes; its cases go into "cases"."""
    return {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
            "compile": {"dynamic": False, "per_case": True}, "cases": []}


def timed_variant(name, variant, fn, max_abs_err, args, name_width):
    """Times a verified variant; prints its progress line (the case name padded to name_width) and
    returns its JSON entry."""
    samples = time_fn(fn, args.warmup, args.repeats)
    entry = {"verified": True, "max_abs_err": max_abs_err, "median_ms": statistics.median(samples),
             "min_ms": min(samples), "samples_ms": samples}
    print(f"{name:{name_width}s} {variant:8s} median {statistics.median(samples) * 1e3:9.1f} us", flush=True)
    return entry


def write_output(out, path):
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
