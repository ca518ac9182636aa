"""Times the SigLIP B/16 image tower: clipkit against Hugging Face transformers and OpenVINO.

Run by scripts/compare-peers-siglip.sh; usable alone:
  python scripts/peers/compare_siglip.py --model DIR --clipkit-bench .build/release/clipkit-bench

Writes (once) a random-weight SigLIP base-patch16-224 folder with transformers (`SiglipConfig`'s
defaults are that model's shapes; `SiglipModel`, safetensors; the tokenizer files of the tiny
fixture, since only the image tower is timed), then measures, in alternating rounds, images/s of
the image tower at --batch (pooled, attention-pooling head included: `get_image_features`):
  * transformers `get_image_features`, fp32, under `torch.inference_mode()`;
  * OpenVINO on the vision tower converted with `openvino.convert_model` from the torch module:
    the f32 inference-precision hint, the default hint (bf16 on CPUs with AVX512-BF16 or AMX), and
    NNCF static int8 (calibrated on --calibration-images random pixel batches; --skip-int8 skips);
  * clipkit fp32, bf16 and int8 (`clipkit-bench model --model DIR --precision ...`, a child
    process per measurement).
Every figure is the best over all rounds; the median of the best round is printed beside it.
The helpers (timing, OpenVINO compile/NNCF, CPU description) are compare_peers.py's.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_peers import OpenVINOSession, machine, min_cosine, openvino_compile, openvino_int8, timed  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Fixtures", "models",
                       "tiny-siglip")


def write_model(directory, seed=0):
    """A random-weight SigLIP base-patch16-224 (the defaults of SiglipConfig) in HF layout."""
    from transformers import SiglipConfig, SiglipModel

    if os.path.exists(os.path.join(directory, "model.safetensors")):
        return
    torch.manual_seed(seed)
    model = SiglipModel(SiglipConfig()).eval()
    model.save_pretrained(directory, safe_serialization=True)
    for name in ["spiece.model", "tokenizer_config.json"]:
        shutil.copy(os.path.join(FIXTURE, name), directory)
    with open(os.path.join(FIXTURE, "preprocessor_config.json")) as f:
        text = f.read().replace('"height": 96', '"height": 224').replace('"width": 96', '"width": 224')
    with open(os.path.join(directory, "preprocessor_config.json"), "w") as f:
        f.write(text)
    print(f"wrote a random-weight SigLIP base-patch16-224 to {directory}")


class _ImageTower(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return self.model.get_image_features(pixel_values=pixel_values).pooler_output


def clipkit_rate(args, precision):
    """clipkit's image tower at --batch in `precision`: best and median images/s of one run."""
    command = [args.clipkit_bench, "model", "--model", args.model, "--batches", str(args.batch),
               "--labels", "0", "--skip-peak", "--seconds", str(args.seconds), "--min-runs", "2",
               "--threads", str(args.threads), "--precision", precision]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    image = re.search(r"image tower batch\s+\d+:\s+([\d.]+) images/s \(median ([\d.]+)", out)
    if image is None:
        raise RuntimeError(f"unexpected clipkit-bench output:\n{out}")
    return float(image.group(1)), float(image.group(2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="SigLIP folder (written here when it has no weights)")
    parser.add_argument("--clipkit-bench", required=True, help="path of the release clipkit-bench binary")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5, help="minimum seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (best of all is kept)")
    parser.add_argument("--calibration-images", type=int, default=16, help="random images for NNCF int8")
    parser.add_argument("--skip-int8", action="store_true", help="leave OpenVINO's NNCF int8 out")
    args = parser.parse_args()
    import nncf
    import openvino as ov
    import transformers
    from transformers import SiglipModel

    print(f"CPU: {machine()}")
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, openvino {ov.__version__}, "
          f"nncf {nncf.__version__}; {args.threads} threads, batch {args.batch}")
    torch.set_num_threads(args.threads)
    write_model(args.model)

    rng = np.random.default_rng(2)
    pixels = rng.uniform(-1, 1, size=(args.batch, 3, 224, 224)).astype(np.float32)
    x = torch.from_numpy(pixels)
    model = SiglipModel.from_pretrained(args.model, dtype=torch.float32).eval()
    tower = _ImageTower(model).eval()
    with torch.inference_mode():
        reference = tower(x[:2]).numpy()

    runners = {"hf_fp32": lambda: tower(x)}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        with torch.no_grad():
            converted = ov.convert_model(tower, example_input=x[:2])
        xml = os.path.join(tmp, "vision.xml")
        ov.save_model(converted, xml, compress_to_fp16=False)
        sessions = {}
        for key, hint in [("ov_f32", "f32"), ("ov_default", None)]:
            compiled = openvino_compile(converted, args.threads, hint)
            sessions[key] = OpenVINOSession(compiled)
            if hint is None:
                chosen = compiled.get_property("INFERENCE_PRECISION_HINT")
                results["ov_default_precision"] = chosen.get_type_name() if hasattr(chosen, "get_type_name") else str(chosen)
        error = float(np.abs(sessions["ov_f32"].run(None, {"pixel_values": pixels[:2]})[0] - reference).max())
        print(f"OpenVINO f32 vs transformers, max |diff| of image embeddings: {error:.2e}")
        if not args.skip_int8:
            calibration = rng.uniform(-1, 1, size=(args.calibration_images, 3, 224, 224)).astype(np.float32)
            sessions["ov_int8"] = OpenVINOSession(openvino_compile(openvino_int8(xml, calibration), args.threads))
            cosine = min_cosine(sessions["ov_int8"].run(None, {"pixel_values": pixels[:8]})[0],
                                sessions["ov_f32"].run(None, {"pixel_values": pixels[:8]})[0])
            print(f"OpenVINO NNCF int8 vs f32, min cosine over 8 random images: {cosine:.5f}")
        for key, session in sessions.items():
            runners[key] = lambda s=session: s.run(None, {"pixel_values": pixels})

        best = {}
        for n in range(args.rounds):
            measured = []
            for key, fn in runners.items():
                with torch.inference_mode():
                    b, m = timed(fn, args.seconds, min_runs=2)
                measured.append((key, (args.batch / b, args.batch / m)))
            for precision in ["fp32", "bf16", "int8"]:
                measured.append((f"clipkit_{precision}", clipkit_rate(args, precision)))
            for key, rate in measured:
                if key not in best or rate[0] > best[key][0]:
                    best[key] = rate
            print(f"round {n + 1}/{args.rounds}: " + ", ".join(f"{k} {v[0]:.2f}" for k, v in measured), flush=True)

    print()
    print(f"== SigLIP base-patch16-224 image tower, batch {args.batch}, {args.threads} threads "
          f"(images/s, best of {args.rounds} alternating rounds; median of the best run) ==")
    print(f"CPU: {machine()}")
    labels = {"hf_fp32": "transformers fp32", "ov_f32": "OpenVINO f32 hint",
              "ov_default": f"OpenVINO default hint ({results.get('ov_default_precision', '?')})",
              "ov_int8": "OpenVINO NNCF int8", "clipkit_fp32": "clipkit fp32", "clipkit_bf16": "clipkit bf16",
              "clipkit_int8": "clipkit int8"}
    for key, label in labels.items():
        if key in best:
            print(f"{label:34s} {best[key][0]:8.2f} images/s  (median {best[key][1]:.2f})")
    for ours, theirs in [("clipkit_fp32", "hf_fp32"), ("clipkit_fp32", "ov_f32"), ("clipkit_bf16", "ov_default"),
                         ("clipkit_int8", "ov_int8")]:
        if ours in best and theirs in best:
            print(f"ratio {labels[ours]} / {labels[theirs]}: {best[ours][0] / best[theirs][0]:.2f}x")


if __name__ == "__main__":
    sys.exit(main())
