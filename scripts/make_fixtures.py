#!/usr/bin/env python3
"""Regenerates every committed test fixture, one module per stage, in dependency order.

Usage (from the repository root):
    python3 -m venv .venv-fixtures && .venv-fixtures/bin/pip install -r scripts/requirements-fixtures.txt
    .venv-fixtures/bin/python scripts/make_fixtures.py [stage ...]

Stages: vocab (the real CLIP BPE vocabulary from open_clip's wheel), tokenizer (golden ids),
siglip_tokenizer (a small SentencePiece model and SiglipTokenizer ids), siglip2_tokenizer (a small
Gemma-like BPE tokenizer.json and Siglip2Tokenizer/GemmaTokenizer/tokenizers ids),
model (tiny random-weight CLIP models and their reference outputs), siglip (tiny random-weight
SigLIP models, their reference outputs and transformers' zero-shot pipeline on them), images (decoder and
preprocessing goldens), cli (small images for the command-line tests), ensembles (prompt
ensembles after open_clip, and the `clipkit evaluate` dataset). Outputs are
deterministic: running it twice leaves `git status` clean.
"""
import importlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fixtures"))

STAGES = ["vocab", "tokenizer", "siglip_tokenizer", "siglip2_tokenizer", "model", "images", "cli", "ensembles",
          "siglip"]


def main(argv):
    wanted = argv or STAGES
    for name in wanted:
        if name not in STAGES:
            sys.exit(f"unknown stage {name!r}; stages: {', '.join(STAGES)}")
    for name in STAGES:
        if name not in wanted:
            continue
        if not os.path.exists(os.path.join(HERE, "fixtures", f"{name}.py")):
            print(f"[make_fixtures] {name}: no module yet, skipped", file=sys.stderr)
            continue
        print(f"[make_fixtures] {name}", file=sys.stderr)
        module = importlib.import_module(name)
        if name == "vocab":
            module.build_vocab()
        else:
            module.main()


if __name__ == "__main__":
    main(sys.argv[1:])
