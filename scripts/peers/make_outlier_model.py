"""Copies a CLIP model folder with CLIP-like outlier channels injected into its LayerNorms.

Usage: python scripts/peers/make_outlier_model.py SRC DST [--dims 3] [--factor 50] [--seed 0]

Real CLIP ViTs carry a few hidden dimensions whose LayerNorm outputs are tens of times larger than
the rest; random Gaussian weights have none, so they quantize too kindly. This writes DST as a
copy of SRC (every file but model.safetensors copied as is) in which, for every encoder layer of
both towers, `layer_norm1.weight` and `layer_norm2.weight` have the same --dims hidden dimensions
multiplied by --factor (the recipe of issue 10: three dimensions per layer, x50). The dimensions
are drawn once per tower from --seed and are the same in every layer of that tower, as in real
checkpoints. Both clipkit and the peers load DST, so every side is measured on the same weights.
"""
import argparse
import os
import re
import shutil
import sys

import numpy as np
from safetensors.numpy import load_file, save_file

LAYER_NORM = re.compile(r"^(text_model|vision_model)\.encoder\.layers\.\d+\.layer_norm[12]\.weight$")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("destination")
    parser.add_argument("--dims", type=int, default=3, help="outlier dimensions per layer norm")
    parser.add_argument("--factor", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    os.makedirs(args.destination, exist_ok=True)
    for name in os.listdir(args.source):
        if name != "model.safetensors" and os.path.isfile(os.path.join(args.source, name)):
            shutil.copyfile(os.path.join(args.source, name), os.path.join(args.destination, name))

    tensors = load_file(os.path.join(args.source, "model.safetensors"))
    rng = np.random.default_rng(args.seed)
    chosen = {}
    touched = 0
    for name in sorted(tensors):
        match = LAYER_NORM.match(name)
        if not match:
            continue
        tower = match.group(1)
        weight = tensors[name]
        if tower not in chosen:
            chosen[tower] = np.sort(rng.choice(weight.shape[0], size=args.dims, replace=False))
        scaled = weight.astype(np.float32).copy()
        scaled[chosen[tower]] *= args.factor
        tensors[name] = scaled.astype(weight.dtype)
        touched += 1
    if touched == 0:
        sys.exit("no encoder layer_norm weights found")
    save_file(tensors, os.path.join(args.destination, "model.safetensors"), metadata={"format": "pt"})
    for tower, dims in chosen.items():
        print(f"{tower}: dimensions {dims.tolist()} x{args.factor:g} in layer_norm1/2 of every layer")
    print(f"{touched} layer norms scaled; wrote {args.destination}")


if __name__ == "__main__":
    main()
