#!/usr/bin/env python3
"""Writes the seed corpus of the Lua-binding fuzz targets (tests/fuzz/corpus/<target>/), encoded as
lua_harness.c decodes: valid calls and calls at the edges, for libFuzzer to start from. Regenerate with
python3 tests/fuzz/make_corpus.py (the files are committed)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
WORDS = ["f32", "bf16", "f16", "f64", "i64", "i32", "i8", "u8", "cpu", "cuda", "reference", "jitter", "uniform",
         "hot", "cold", "graph", "linear", "nearest", "hold", "", "x", "tpu", "f32 ", "F32"]
INTS = [0, 1, 2, 3, -1, -2, 7, 64, 4096, 65535, 1 << 20, 1 << 24, 2147483647, 2147483648, 4294967296,
        -4294967296, 1 << 53, 1 << 62, "max", "min"]
DOUBLES = [0.5, 1.5, -0.0, 0.25, 0.49, 0.4999999, 1e-6, 1e-300, 5e-324, 100.0, 1e9, 1e300, 2147483648.0,
           4294967296.0, 9007199254740993.0, "nan", "inf", "-inf"]
TRAJ_KEYS = ["batch", "source_len", "target_len", "dim", "dtype", "seed", "timing", "rate", "jitter", "drop",
             "max_offset", "device", "into", "threads", "src", "src_times", "tgt_times"]
RES_KEYS = ["backend", "threads", "out", "validate", "strict", "pin", "modes", "src_len", "tgt_len", "fill", "rtol",
            "atol", "ulps", "operands", "orel", "monotone", "src", "src_times", "tgt_times"]
TENSOR_KEYS = ["device", "dtype", "pin", "values", "shape"]


def small(v): return [2, v + 3]            # integers -3..66
def edge(v): return [3, INTS.index(v)]     # the edge integers
def dbl(v): return [4, DOUBLES.index(v)]   # the edge doubles
def word(w): return [6, WORDS.index(w)]
def pool(i): return [9, i]                 # 0 src f32 [2,8,3], 1 src_times, 2 tgt_times [2,5], 3 src bf16,
                                           # 4 out f32 [2,5,3], 5 f64 [2,5,3], 6 f16 [2,5,3], 7 [3], 8 i64 [2,8],
                                           # 9 f64 [2,8], 10 closed, 11 [1], 12 {0,NaN,inf}, 13 [4,8,3], 14 i32
def boolean(b): return [1, 1 if b else 0]
def shape(*dims): return [11, len(dims)] + [d for d in dims]   # dims < 10
def edge_shape(*values): return [11, len(values)] + [next(k for k in range(128, 256) if k % len(INTS) == INTS.index(v)) for v in values]
def array(*values): return [8, len(values)] + [b for v in values for b in v]
def opts(keys, pairs): return [len(pairs)] + [b for k, v in pairs for b in [keys.index(k)] + v]
def table(keys, pairs): return [10] + opts(keys, pairs)


CORPUS = {
    "trajectories": {
        "valid": [1] + opts(TRAJ_KEYS, [("batch", small(2)), ("source_len", small(16)), ("dim", small(3))]),
        "all_options": [1] + opts(TRAJ_KEYS, [("batch", small(2)), ("source_len", small(16)), ("dim", small(3)),
                                              ("target_len", small(7)), ("dtype", word("bf16")), ("timing", word("uniform")),
                                              ("jitter", dbl(0.49))]),
        "rate_edges": [1] + opts(TRAJ_KEYS, [("batch", small(1)), ("source_len", small(4)), ("dim", small(1)),
                                             ("rate", dbl(1e-300)), ("max_offset", dbl("inf")), ("drop", dbl(0.5))]),
        "huge_sizes": [1] + opts(TRAJ_KEYS, [("batch", edge(2147483648)), ("source_len", edge(1 << 20)),
                                             ("dim", edge(4096))]),
        "into": [1] + opts(TRAJ_KEYS, [("batch", small(2)), ("source_len", small(8)), ("dim", small(3)),
                                       ("target_len", small(5)),
                                       ("into", table(TRAJ_KEYS, [("src", pool(0)), ("src_times", pool(1)), ("tgt_times", pool(2))]))]),
        "into_aliased": [1] + opts(TRAJ_KEYS, [("batch", small(2)), ("source_len", small(8)), ("dim", small(3)),
                                               ("into", table(TRAJ_KEYS, [("src", pool(0)), ("src_times", pool(1)), ("tgt_times", pool(1))]))]),
    },
    "resample_args": {
        "cpu": [0] + pool(0) + pool(1) + pool(2) + opts(RES_KEYS, [("backend", word("cpu")), ("threads", small(2))]),
        "reference_out": [0] + pool(0) + pool(1) + pool(2) + opts(RES_KEYS, [("backend", word("reference")), ("out", pool(5))]),
        "bf16_strict": [0] + pool(3) + pool(1) + pool(2) + opts(RES_KEYS, [("strict", boolean(True)), ("out", pool(4))]),
        "i64_times": [0] + pool(0) + pool(8) + pool(9) + opts(RES_KEYS, [("fill", dbl("nan"))]),
        "bad_times": [0] + pool(0) + pool(12) + pool(2) + opts(RES_KEYS, [("validate", boolean(False))]),
        "compare_operands": [1] + pool(4) + pool(5) + opts(RES_KEYS, [("operands", table(RES_KEYS, [
            ("src", pool(0)), ("src_times", pool(1)), ("tgt_times", pool(2))])), ("orel", dbl(1e-6))]),
        "compare_tol": [1] + pool(6) + pool(5) + opts(RES_KEYS, [("rtol", dbl(0.5)), ("atol", dbl("nan")), ("ulps", edge(-1))]),
        "validate_times": [2] + pool(1) + opts(RES_KEYS, [("strict", boolean(True)), ("monotone", boolean(False))]),
    },
    "tensor": {
        "values": [0] + array(small(1), small(2), small(3)) + shape(3) + word("f32") + opts(TENSOR_KEYS, []),
        "empty_bf16": [1] + shape(2, 3) + word("bf16"),
        "empty_huge": [1] + edge_shape(1 << 20, 1 << 20, 4096) + word("f64"),
        "empty_checked": [1, 11, 2] + edge_shape(1 << 24)[2:] + [2] + word("f32"),  # 128 MB: past the memory check
        "empty_overflow": [1] + edge_shape(1 << 62, 1 << 62) + word("i8"),
        "empty_negative": [1] + edge_shape("min", 2) + word("f16"),
        "i64_values": [0] + array(edge("max"), edge("min")) + shape(2) + word("i64") + opts(TENSOR_KEYS, []),
        "fill_nan": [2] + pool(0) + dbl("nan"),
        "copy_from": [4] + pool(4) + pool(6),
        "to_device": [3] + pool(0) + word("cuda"),
        "closed": [5] + pool(10),
    },
}

for target, seeds in CORPUS.items():
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(bytes(b % 256 for b in data))
