#!/usr/bin/env python3
"""Full-size parity: a random-weight model of an exact released shape, saved in HF layout with
the reference outputs of transformers (float32, CPU; version pinned in
scripts/requirements-fixtures.txt) on the same inputs.

Presets: b32, l14 (CLIP ViT-B/32, ViT-L/14: softmax probabilities); siglip-b16
(google/siglip-base-patch16-224), so400m (google/siglip-so400m-patch14-384), siglip2-b16
(google/siglip2-base-patch16-224: SigLIP 2 fixed resolution, model_type siglip, Gemma's 256k
vocabulary) with sigmoid probabilities and texts padded to 64 tokens as the zero-shot pipeline
pads them.

Usage: python scripts/parity_full.py --preset PRESET --out DIR
Writes DIR/model/ (config.json, model.safetensors, and for CLIP vocab.json, merges.txt),
DIR/pixels.f32 (raw little-endian float32 [images, 3, S, S]) and DIR/reference.json.
scripts/parity-full.sh then runs `clipkit-bench parity` on them.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import torch
from transformers import CLIPConfig, CLIPModel, CLIPTokenizer, SiglipConfig, SiglipModel

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fixtures"))
from model import floats, pixel_batch, randomize, reference_outputs  # noqa: E402
from siglip import randomize as randomize_siglip, token_sequences  # noqa: E402

PRESETS = {
    # openai/clip-vit-base-patch32 and openai/clip-vit-large-patch14 (legacy eos_token_id 2).
    "b32": dict(text_config=dict(eos_token_id=2),
                vision_config=dict(patch_size=32), projection_dim=512),
    "l14": dict(text_config=dict(eos_token_id=2, hidden_size=768, intermediate_size=3072, num_attention_heads=12),
                vision_config=dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                                   num_attention_heads=16, patch_size=14),
                projection_dim=768),
}

SIGLIP_PRESETS = {
    "siglip-b16": dict(text_config=dict(), vision_config=dict(image_size=224, patch_size=16)),
    "so400m": dict(text_config=dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27,
                                    num_attention_heads=16),
                   vision_config=dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27,
                                      num_attention_heads=16, image_size=384, patch_size=14)),
    "siglip2-b16": dict(text_config=dict(vocab_size=256000),
                        vision_config=dict(image_size=224, patch_size=16)),
}


def siglip_reference(args, model_dir):
    """SigLIP: random ids (with </s> = 1) padded to 64 as the pipeline pads, sigmoid scores."""
    model = SiglipModel(SiglipConfig(**SIGLIP_PRESETS[args.preset])).eval()
    randomize_siglip(model, seed=7)
    model.save_pretrained(model_dir, safe_serialization=True)
    vocab = model.config.text_config.vocab_size
    content = [row for row in token_sequences(vocab, seed=3) if 0 not in row]  # right padding only
    ids = [row + [1] * (64 - len(row)) for row in content]
    mask = [[1] * len(row) + [0] * (64 - len(row)) for row in content]
    size = model.config.vision_config.image_size
    pixels = pixel_batch(args.images, 3, size)
    pixels.numpy().astype("<f4").tofile(os.path.join(args.out, "pixels.f32"))
    with torch.inference_mode():
        text = model.get_text_features(input_ids=torch.tensor(ids)).pooler_output
        image = model.get_image_features(pixel_values=pixels).pooler_output
        out = model(input_ids=torch.tensor(ids), pixel_values=pixels)
        probabilities = torch.sigmoid(out.logits_per_image)
        # The zero-shot pipeline's way: the tokenizer's attention mask passed along.
        piped = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask), pixel_values=pixels)
    masked = {"content_lengths": [len(row) for row in content],
              "masked_text_features": [floats(r) for r in piped.text_embeds],
              "pipeline_probabilities": [floats(r) for r in torch.sigmoid(piped.logits_per_image)]}
    return ids, size, text, image, probabilities, masked


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", choices=[*PRESETS, *SIGLIP_PRESETS], required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--images", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    model_dir = os.path.join(args.out, "model")
    os.makedirs(model_dir, exist_ok=True)
    extra = {}
    if args.preset in SIGLIP_PRESETS:
        ids, size, text, image, probabilities, extra = siglip_reference(args, model_dir)
    else:
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
            "probabilities": [floats(r) for r in probabilities], **extra,
        }, f)


if __name__ == "__main__":
    main()
