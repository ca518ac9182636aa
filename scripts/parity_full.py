#!/usr/bin/env python3
"""Full-size parity: a random-weight CLIP of the exact ViT-B/32 or ViT-L/14 shape, saved in HF
layout with the reference outputs of transformers 5.23 (float32, CPU) on the same inputs.

Usage: python scripts/parity_full.py --preset b32|l14 --out DIR
Writes DIR/model/ (config.json, model.safetensors, vocab.json, merges.txt), DIR/pixels.f32
(raw little-endian float32 [images, 3, S, S]) and DIR/reference.json. scripts/parity-full.sh
then runs `clipkit-bench parity` on them.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch
from transformers import CLIPConfig, CLIPModel, CLIPTokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fixtures"))
from model import floats, pixel_batch, randomize, reference_outputs  # noqa: E402

PRESETS = {
    # openai/clip-vit-base-patch32 and openai/clip-vit-large-patch14 (legacy eos_token_id 2).
    "b32": dict(text_config=dict(eos_token_id=2),
                vision_config=dict(patch_size=32), projection_dim=512),
    "l14": dict(text_config=dict(eos_token_id=2, hidden_size=768, intermediate_size=3072, num_attention_heads=12),
                vision_config=dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                                   num_attention_heads=16, patch_size=14),
                projection_dim=768),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", choices=PRESETS, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--images", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    model_dir = os.path.join(args.out, "model")
    os.makedirs(model_dir, exist_ok=True)
    model = CLIPModel(CLIPConfig(**PRESETS[args.preset])).eval()
    randomize(model, seed=7)
    model.save_pretrained(model_dir, safe_serialization=True)
    vocab_dir = os.path.join(HERE, "..", "Tests", "Fixtures", "models", "tiny-clip")
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(os.path.join(vocab_dir, name), model_dir)
    tokenizer = CLIPTokenizer.from_pretrained(model_dir)
    size = model.config.vision_config.image_size
    pixels = pixel_batch(args.images, 3, size)
    pixels.numpy().astype("<f4").tofile(os.path.join(args.out, "pixels.f32"))
    with torch.inference_mode():
        ids, text, image, _, probabilities = reference_outputs(model, tokenizer, pixels)
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump({
            "preset": args.preset, "token_ids": ids, "image_count": args.images, "image_size": size,
            "text_features": [floats(r) for r in text], "image_features": [floats(r) for r in image],
            "probabilities": [floats(r) for r in probabilities],
        }, f)


if __name__ == "__main__":
    main()
