"""Times clipkit against Hugging Face transformers and ONNX Runtime on the same model folder.

Run by scripts/compare-peers.sh (which prepares the venv and the random-weight model); usable
alone:  python scripts/peers/compare_peers.py --model DIR --clipkit-bench .build/release/clipkit-bench

Measures, in this one process (peers) and a child process (clipkit), one after the other:
  * image tower, batch 32: HF `get_image_features` under `torch.inference_mode()`, ONNX Runtime
    fp32 on the exported vision tower + projection, clipkit's `clipkit-bench model`;
  * text tower, 1000 prompts (the token ids of DIR/bench-prompts.json, padded with 49407 for HF
    as its tokenizer does): HF `get_text_features` vs clipkit;
  * cold start (process start to first result, one image): clipkit-bench first-result;
  * ONNX Runtime dynamic int8 (`quantize_dynamic`, QInt8 weights, per-tensor: ORT's default) of
    the same exported tower: speed, and its accuracy as the min cosine vs ORT fp32 over the first
    --accuracy-images photos of --images, also on --outlier-model (same weights with outlier
    LayerNorm dimensions); clipkit bf16/int8 and `clipkit check-precision` when the binaries
    have them (detected from --help, so this works with builds before and after);
  * OpenVINO (when the `openvino` package imports; --skip-openvino turns it off) on the same
    exported ONNX tower: the f32 inference-precision hint, the default hint (bf16 on CPUs with
    AVX512-BF16 or AMX, f32 elsewhere; the precision it chose is printed), and NNCF static int8
    (`nncf.quantize`, transformer model type, calibrated on --calibration-images photos of --images, or
    random pixels without a folder), with int8's accuracy as for ORT;
Every figure is the best of repeated runs after a warm-up; the medians are printed too.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch


def timed(fn, seconds, min_runs=3):
    fn()  # warm-up
    runs = []
    deadline = time.perf_counter() + seconds
    while len(runs) < min_runs or time.perf_counter() < deadline:
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    runs.sort()
    return runs[0], runs[len(runs) // 2]


def hf_peers(args, pixels, ids):
    from transformers import CLIPModel

    model = CLIPModel.from_pretrained(args.model, dtype=torch.float32).eval()
    results = {}
    with torch.inference_mode():
        x = torch.from_numpy(pixels)
        best, median = timed(lambda: model.get_image_features(pixel_values=x), args.seconds)
        results["hf_image"] = (len(pixels) / best, len(pixels) / median)

        length = max(len(s) for s in ids)
        input_ids = torch.full((len(ids), length), 49407, dtype=torch.long)
        mask = torch.zeros((len(ids), length), dtype=torch.long)
        for n, s in enumerate(ids):
            input_ids[n, : len(s)] = torch.tensor(s)
            mask[n, : len(s)] = 1
        best, median = timed(
            lambda: model.get_text_features(input_ids=input_ids, attention_mask=mask),
            args.seconds, min_runs=2)
        results["hf_text"] = (len(ids) / best, len(ids) / median)
        reference = model.get_image_features(pixel_values=x[:2]).pooler_output.numpy()
    return model, results, reference


class _ImageTower(torch.nn.Module):
    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, pixel_values):
        return self.clip.get_image_features(pixel_values=pixel_values).pooler_output


def export_image_tower(model, pixels, path):
    """The vision tower + projection as ONNX (dynamo exporter), batch dimension dynamic."""
    batch = torch.export.Dim("batch", min=1, max=1024)
    torch.onnx.export(_ImageTower(model).eval(), (torch.from_numpy(pixels[:2]),), path,
                      input_names=["pixel_values"], output_names=["image_embeds"],
                      dynamic_shapes={"pixel_values": {0: batch}}, dynamo=True)


def quantize_int8(fp32_path, int8_path):
    """ORT's dynamic int8: weights QInt8 (symmetric, per tensor: per_channel off, ORT's
    default), activations quantized per tensor at run time (DynamicQuantizeLinear)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(fp32_path, int8_path, weight_type=QuantType.QInt8, per_channel=False)


def ort_session(path, threads):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def min_cosine(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(axis=1).min())


def embed_in_batches(session, pixels, batch=8):
    return np.concatenate([session.run(None, {"pixel_values": pixels[i:i + batch]})[0]
                           for i in range(0, len(pixels), batch)])


def ort_peer(args, model, pixels, reference, photos, tmp):
    """ONNX Runtime fp32 and dynamic int8 on the same exported tower: speed at --batch, and
    int8's accuracy as the min cosine of its embeddings vs fp32's over the photos."""
    fp32_path = os.path.join(tmp, "vision.onnx")
    int8_path = os.path.join(tmp, "vision-int8.onnx")
    export_image_tower(model, pixels, fp32_path)
    session = ort_session(fp32_path, args.threads)
    check = session.run(None, {"pixel_values": pixels[:2]})[0]
    error = float(np.abs(check - reference).max())
    best, median = timed(lambda: session.run(None, {"pixel_values": pixels}), args.seconds)
    results = {"ort_image": (len(pixels) / best, len(pixels) / median), "ort_error": error}

    quantize_int8(fp32_path, int8_path)
    int8 = ort_session(int8_path, args.threads)
    best, median = timed(lambda: int8.run(None, {"pixel_values": pixels}), args.seconds)
    results["ort_int8_image"] = (len(pixels) / best, len(pixels) / median)
    results["ort_int8_cosine"] = min_cosine(embed_in_batches(int8, photos), embed_in_batches(session, photos))
    return results, {"ort_image": session, "ort_int8_image": int8}


class OpenVINOSession:
    """A compiled OpenVINO model behind ORT's `run(None, {"pixel_values": x})`, so the
    alternating rounds and the accuracy helpers treat both runtimes alike."""

    def __init__(self, compiled):
        self.compiled = compiled
        self.request = compiled.create_infer_request()

    def run(self, _outputs, feed):
        self.request.infer({0: feed["pixel_values"]})
        return [np.array(self.request.get_output_tensor(0).data)]


def openvino_compile(model, threads, hint=None):
    """`model` compiled for the CPU with `threads` threads, one stream, latency mode, and the
    inference-precision hint `hint` ("f32"), or OpenVINO's default (None)."""
    import openvino as ov

    config = {"INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"}
    if hint:
        config["INFERENCE_PRECISION_HINT"] = hint
    return ov.Core().compile_model(model, "CPU", config)


def openvino_int8(onnx_path, calibration):
    """NNCF post-training static int8 of the exported tower, calibrated on `calibration`
    [n, 3, H, W]: default (performance) preset, `model_type=TRANSFORMER` (NNCF's setting for
    transformers: SmoothQuant, layer norms and softmax left in float; without it NNCF 3.4 fails on
    this export's embedding gather with KeyError '... node_embedding')."""
    import nncf
    import openvino as ov

    dataset = nncf.Dataset([calibration[i:i + 1] for i in range(len(calibration))])
    return nncf.quantize(ov.Core().read_model(onnx_path), dataset, subset_size=len(calibration),
                         model_type=nncf.ModelType.TRANSFORMER)


def openvino_peer(args, onnx_path, pixels, photos, calibration, reference):
    """OpenVINO f32 hint, default hint and NNCF int8 on the tower ORT runs: speed at --batch,
    f32's max |diff| to HF, int8's min cosine vs f32 over the photos."""
    import openvino as ov

    model = ov.Core().read_model(onnx_path)
    results, sessions = {}, {}
    for key, hint in [("ov_f32_image", "f32"), ("ov_default_image", None)]:
        compiled = openvino_compile(model, args.threads, hint)
        session = OpenVINOSession(compiled)
        if hint is None:
            chosen = compiled.get_property("INFERENCE_PRECISION_HINT")  # an ov.Type
            results["ov_default_precision"] = chosen.get_type_name() if hasattr(chosen, "get_type_name") else str(chosen)
        else:
            results["ov_error"] = float(np.abs(session.run(None, {"pixel_values": pixels[:2]})[0] - reference).max())
        best, median = timed(lambda: session.run(None, {"pixel_values": pixels}), args.seconds)
        results[key] = (len(pixels) / best, len(pixels) / median)
        sessions[key] = session
    int8 = OpenVINOSession(openvino_compile(openvino_int8(onnx_path, calibration), args.threads))
    best, median = timed(lambda: int8.run(None, {"pixel_values": pixels}), args.seconds)
    results["ov_int8_image"] = (len(pixels) / best, len(pixels) / median)
    results["ov_int8_cosine"] = min_cosine(embed_in_batches(int8, photos),
                                           embed_in_batches(sessions["ov_f32_image"], photos))
    sessions["ov_int8_image"] = int8
    return results, sessions


def openvino_int8_accuracy(onnx_path, photos, calibration, threads):
    """Min cosine of OpenVINO NNCF int8 vs OpenVINO f32 over the photos, on another tower."""
    import openvino as ov

    f32 = OpenVINOSession(openvino_compile(ov.Core().read_model(onnx_path), threads, "f32"))
    int8 = OpenVINOSession(openvino_compile(openvino_int8(onnx_path, calibration), threads))
    return min_cosine(embed_in_batches(int8, photos), embed_in_batches(f32, photos))


def clipkit_image_rate(args, precision=None, threading=None):
    """clipkit's image tower at --batch, best and median images/s of one short run."""
    command = [args.clipkit_bench, "model", "--model", args.model, "--batches", str(args.batch),
               "--labels", "0", "--skip-peak", "--seconds", str(args.seconds / 2)]
    if precision:
        command += ["--precision", precision]
    if threading:
        command += ["--threading", threading]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    image = re.search(r"image tower batch\s+\d+:\s+([\d.]+) images/s \(median ([\d.]+)", out)
    return float(image.group(1)), float(image.group(2))


def clipkit_e2e_rate(args, precision=None, seconds=None):
    """`clipkit-bench end-to-end` over --images: best and median images/s, and its output."""
    command = [args.clipkit_bench, "end-to-end", "--model", args.model, "--images", args.images,
               "--batch-size", str(args.batch), "--seconds", str(seconds or args.seconds)]
    if precision:
        command += ["--precision", precision]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    m = re.search(r"end to end: ([\d.]+) images/s \(median ([\d.]+)", out)
    return (float(m.group(1)), float(m.group(2))), out


def interleaved(args, sessions, pixels, results):
    """--rounds more rounds of every image-tower measurement, alternating the runtimes (ORT
    fp32, ORT int8, clipkit fp32, clipkit bf16/int8 when built with them, and clipkit int8 end
    to end when --images is given), so that on a shared machine each gets the same chance of a
    quiet moment; keeps the best of every round, and the ratio of clipkit int8 end to end to
    ORT's int8 tower within each round."""
    precisions = ["bf16", "int8"] if "--precision" in clipkit_options(args.clipkit_bench, "model") else []
    e2e_int8 = bool(args.images) and "--precision" in clipkit_options(args.clipkit_bench, "end-to-end")
    results["int8_e2e_round_ratios"] = []
    for n in range(args.rounds):
        measured = []
        for key, session in sessions.items():
            best, median = timed(lambda: session.run(None, {"pixel_values": pixels}), args.seconds / 2, min_runs=2)
            measured.append((key, (len(pixels) / best, len(pixels) / median)))
        measured.append(("clipkit_image", clipkit_image_rate(args)))
        if "--threading" in clipkit_options(args.clipkit_bench, "model"):
            # The same fp32 tower with OpenBLAS threading its products (clipkit before issue 10).
            measured.append(("clipkit_library_image", clipkit_image_rate(args, threading="library")))
        for precision in precisions:
            measured.append((f"clipkit_{precision}_image", clipkit_image_rate(args, precision)))
        if e2e_int8:
            rate, _ = clipkit_e2e_rate(args, "int8", seconds=args.seconds / 2)
            measured.append(("clipkit_int8_e2e", rate))
            ort_int8 = dict(measured).get("ort_int8_image")
            if ort_int8:
                results["int8_e2e_round_ratios"].append(rate[0] / ort_int8[0])
        for key, rate in measured:
            if key not in results or rate[0] > results[key][0]:
                results[key] = rate
        print(f"round {n + 1}/{args.rounds}: " + ", ".join(f"{k} {v[0]:.2f}" for k, v in measured))


def ort_int8_accuracy(model_dir, pixels, photos, threads, tmp, openvino_calibration=None):
    """Min cosine of ORT dynamic int8 vs ORT fp32 over the photos, on another model folder;
    and OpenVINO's NNCF int8 vs its f32 on the same export when `openvino_calibration` is given."""
    from transformers import CLIPModel

    model = CLIPModel.from_pretrained(model_dir, dtype=torch.float32).eval()
    fp32_path = os.path.join(tmp, "outlier.onnx")
    int8_path = os.path.join(tmp, "outlier-int8.onnx")
    export_image_tower(model, pixels, fp32_path)
    del model
    quantize_int8(fp32_path, int8_path)
    ort = min_cosine(embed_in_batches(ort_session(int8_path, threads), photos),
                     embed_in_batches(ort_session(fp32_path, threads), photos))
    if openvino_calibration is None:
        return ort, None
    return ort, openvino_int8_accuracy(fp32_path, photos, openvino_calibration, threads)


def load_photos(args, fallback, count=None):
    """Pixel values of the first `count` (default --accuracy-images) files of --images through
    HF's PIL processor (the reference preprocessing); `fallback` when there is no folder."""
    if not args.images:
        return fallback
    from PIL import Image
    from transformers import CLIPImageProcessorPil

    processor = CLIPImageProcessorPil.from_pretrained(args.model)
    files = sorted(f for f in os.listdir(args.images) if not f.startswith("."))[: count or args.accuracy_images]
    images = [Image.open(os.path.join(args.images, f)).convert("RGB") for f in files]
    return np.asarray(processor(images=images, return_tensors="np")["pixel_values"], dtype=np.float32)


def clipkit_options(binary, command):
    """The options `binary command --help` lists (so this script works with older builds)."""
    try:
        run = subprocess.run([binary, command, "--help"], capture_output=True, text=True)
    except OSError:
        return set()
    # An unknown subcommand prints the top-level help ("USAGE: clipkit <subcommand>").
    if run.returncode != 0 or f"USAGE: {os.path.basename(binary)} {command}" not in run.stdout:
        return set()
    return set(re.findall(r"--[a-z][a-z-]*", run.stdout))


def clipkit_precisions(args):
    """clipkit's image tower at --batch in bf16 and int8, when this clipkit-bench has
    `model --precision`."""
    results = {}
    if "--precision" not in clipkit_options(args.clipkit_bench, "model"):
        print("clipkit-bench model has no --precision: bf16/int8 skipped")
        return results
    for precision in ["bf16", "int8"]:
        command = [args.clipkit_bench, "model", "--model", args.model, "--batches", str(args.batch),
                   "--labels", "0", "--skip-peak", "--seconds", str(args.seconds), "--precision", precision]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        print(out.rstrip())
        image = re.search(r"image tower batch\s+\d+:\s+([\d.]+) images/s \(median ([\d.]+)", out)
        results[f"clipkit_{precision}_image"] = (float(image.group(1)), float(image.group(2)))
        results.update(register_peak_share(out, precision))
    # Cold start in each precision, alternating with fp32's so that all three get the same
    # moments of a shared machine (int8 and bf16 pack their weights at their first load, or map
    # them from the packed-weight cache at later ones).
    if "--precision" in clipkit_options(args.clipkit_bench, "first-result"):
        best = cold_starts(args, [None, "bf16", "int8"])
        results["clipkit_cold_start"] = best[None]
        for precision in ["bf16", "int8"]:
            results[f"clipkit_{precision}_cold_start"] = best[precision]
    return results


def register_peak_share(out, precision):
    """The share of the register-only peak of `precision`'s kernel that `clipkit-bench model`
    printed for its best image-tower run, and the peak itself."""
    match = re.search(r"register-only peak of .* on \d+ threads: ([\d.]+) GOPS", out)
    share = re.search(r"GOPS, (\d+)% of the \w+ register peak", out)
    if not match or not share:
        return {}
    return {f"clipkit_{precision}_register_peak": float(match.group(1)),
            f"clipkit_{precision}_register_share": int(share.group(1))}


def cold_start(args, precision=None):
    """A fresh `clipkit-bench first-result` process, model load to first scores, timed from
    outside; best of 4."""
    return cold_starts(args, [precision])[precision]


def cold_starts(args, precisions, rounds=4):
    """`cold_start` of each precision (None: the default), `rounds` alternating rounds of one
    fresh process each; the best per precision."""
    best = {}
    for _ in range(rounds):
        for precision in precisions:
            command = [args.clipkit_bench, "first-result", "--model", args.model]
            if precision:
                command += ["--precision", precision]
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            elapsed = time.perf_counter() - start
            best[precision] = min(best.get(precision, elapsed), elapsed)
    return best


def clipkit(args):
    command = [args.clipkit_bench, "model", "--model", args.model, "--batches", str(args.batch),
               "--labels", str(args.labels), "--seconds", str(args.seconds)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    print(out.rstrip())
    image = re.search(r"image tower batch\s+\d+:\s+([\d.]+) images/s \(median ([\d.]+)", out)
    text = re.search(r"text tower \d+ prompts:\s+([\d.]+) prompts/s \(([\d.]+) s best, ([\d.]+) s median", out)
    results = {"clipkit_image": (float(image.group(1)), float(image.group(2)))}
    if text:
        results["clipkit_text"] = (float(text.group(1)), args.labels / float(text.group(3)))
    results.update(register_peak_share(out, "fp32"))
    results["clipkit_cold_start"] = cold_start(args)
    return results


LABELS = ["bird", "cat", "dog", "hen", "hippo", "room", "tractor", "ostrich", "ox"]


def end_to_end(args):
    """Files to probabilities: HF's zero-shot pipeline with the PIL processor (the reference
    path) at batch --batch, against `clipkit-bench end-to-end` (the pipeline `clipkit classify`
    runs), both with the model loaded and the same nine prompts."""
    from transformers import CLIPImageProcessorPil, CLIPModel, CLIPTokenizer, pipeline

    files = sorted(os.path.join(args.images, f) for f in os.listdir(args.images) if not f.startswith("."))
    model = CLIPModel.from_pretrained(args.model, dtype=torch.float32).eval()
    pipe = pipeline("zero-shot-image-classification", model=model,
                    tokenizer=CLIPTokenizer.from_pretrained(args.model),
                    image_processor=CLIPImageProcessorPil.from_pretrained(args.model), device="cpu")

    def run():
        with torch.inference_mode():
            pipe(files, candidate_labels=LABELS, batch_size=args.batch, hypothesis_template="a photo of a {}")

    best, median = timed(run, args.seconds, min_runs=2)
    results = {"hf_e2e": (len(files) / best, len(files) / median), "e2e_count": len(files)}
    del pipe, model
    results["clipkit_e2e"], out = clipkit_e2e_rate(args)
    print(out.rstrip())
    if "--precision" in clipkit_options(args.clipkit_bench, "end-to-end"):
        rate, out = clipkit_e2e_rate(args, "int8")
        print("int8: " + out.rstrip())
        results["clipkit_int8_e2e"] = rate
    # Cold start of the real command: process start to the printed result, one image.
    if args.clipkit:
        starts = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([args.clipkit, "classify", "--model", args.model, "--label", "cat", "--label", "dog",
                            files[0]], check=True, capture_output=True)
            starts.append(time.perf_counter() - start)
        results["clipkit_cli_cold_start"] = min(starts)
    return results


FLAGS = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
         "amx_tile", "amx_int8", "amx_bf16"]


def machine():
    """CPU model, cores and the SIMD flags that decide which kernels every runtime picks."""
    model, flags = "unknown CPU", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == "unknown CPU":
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    coretype = os.environ.get("OPENBLAS_CORETYPE", "unset")
    return (f"{model}, {os.cpu_count()} cores; flags: {' '.join(f for f in FLAGS if f in flags)}; "
            f"OPENBLAS_CORETYPE={coretype}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="model folder (clipkit-bench write-model)")
    parser.add_argument("--clipkit-bench", required=True, help="path of the clipkit-bench binary")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--images", help="folder of JPEGs for the end-to-end comparison")
    parser.add_argument("--clipkit", help="path of the clipkit binary (cold start of `clipkit classify`)")
    parser.add_argument("--outlier-model", help="the same model with outlier LayerNorm dimensions "
                        "(scripts/peers/make_outlier_model.py): ORT int8 accuracy on it")
    parser.add_argument("--rounds", type=int, default=3,
                        help="extra alternating rounds of the image-tower runs (best of all is kept)")
    parser.add_argument("--accuracy-images", type=int, default=32, help="photos for the int8 accuracy figures")
    parser.add_argument("--calibration-images", type=int, default=64, help="photos for OpenVINO's NNCF int8 calibration")
    parser.add_argument("--skip-openvino", action="store_true", help="leave OpenVINO out")
    args = parser.parse_args()
    print(f"CPU: {machine()}")
    use_openvino = not args.skip_openvino
    if use_openvino:
        try:
            import nncf  # noqa: F401
            import openvino
            print(f"openvino {openvino.__version__}, nncf {nncf.__version__}")
        except ImportError as error:
            print(f"OpenVINO skipped: {error}")
            use_openvino = False

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(2)
    pixels = rng.uniform(-1.8, 2.1, size=(args.batch, 3, 224, 224)).astype(np.float32)
    with open(os.path.join(args.model, "bench-prompts.json")) as f:
        ids = json.load(f)["token_ids"][: args.labels]

    photos = load_photos(args, pixels)
    calibration = None
    if use_openvino:
        fallback = rng.uniform(-1.8, 2.1, size=(args.calibration_images, 3, 224, 224)).astype(np.float32)
        calibration = load_photos(args, fallback, args.calibration_images)
    r = {}
    model, hf, reference = hf_peers(args, pixels, ids)
    r.update(hf)
    with tempfile.TemporaryDirectory() as tmp:
        ort_results, sessions = ort_peer(args, model, pixels, reference, photos, tmp)
        r.update(ort_results)
        del model
        if use_openvino:
            ov_results, ov_sessions = openvino_peer(args, os.path.join(tmp, "vision.onnx"), pixels, photos,
                                                    calibration, reference)
            r.update(ov_results)
            sessions.update(ov_sessions)
        if args.outlier_model:
            r["ort_int8_outlier_cosine"], ov_cosine = ort_int8_accuracy(args.outlier_model, pixels, photos,
                                                                        args.threads, tmp, calibration)
            if ov_cosine is not None:
                r["ov_int8_outlier_cosine"] = ov_cosine
        r.update(clipkit(args))
        r.update(clipkit_precisions(args))
        interleaved(args, sessions, pixels, r)
        del sessions
    if args.clipkit and args.outlier_model and args.images and "--model" in clipkit_options(args.clipkit, "check-precision"):
        files = sorted(os.path.join(args.images, f) for f in os.listdir(args.images)
                       if not f.startswith("."))[: args.accuracy_images]
        for folder in [args.model, args.outlier_model]:
            out = subprocess.run([args.clipkit, "check-precision", "--model", folder, *files],
                                 capture_output=True, text=True)
            print(f"clipkit check-precision on {folder}:\n{(out.stdout + out.stderr).rstrip()}")

    if args.images:
        e2e = end_to_end(args)
        if "clipkit_int8_e2e" in r and r["clipkit_int8_e2e"][0] > e2e.get("clipkit_int8_e2e", (0, 0))[0]:
            e2e["clipkit_int8_e2e"] = r["clipkit_int8_e2e"]  # the best of the rounds and the last run
        r.update(e2e)

    print()
    print(f"== peers on the same model, batch {args.batch}, {args.threads} threads (best of runs; median) ==")
    print(f"(image towers: best over the first runs and {args.rounds} alternating rounds; median of the best round)")
    print(f"CPU: {machine()}")
    for key, label in [("hf_image", "HF transformers image tower"), ("ort_image", "ONNX Runtime fp32 image tower"),
                       ("ort_int8_image", "ONNX Runtime int8 image tower"),
                       ("ov_f32_image", "OpenVINO f32 hint image tower"),
                       ("ov_default_image", f"OpenVINO default hint ({r.get('ov_default_precision', '?')})"),
                       ("ov_int8_image", "OpenVINO NNCF int8 image tower"),
                       ("clipkit_image", "clipkit image tower"),
                       ("clipkit_library_image", "clipkit, OpenBLAS threading"), ("clipkit_bf16_image", "clipkit bf16 image tower"),
                       ("clipkit_int8_image", "clipkit int8 image tower")]:
        if key in r:
            print(f"{label:34s} {r[key][0]:8.2f} images/s  (median {r[key][1]:.2f})")
    print(f"ORT vs HF max |diff| of image embeddings: {r['ort_error']:.2e}")
    print(f"ORT int8 vs ORT fp32, min cosine over {len(photos)} images: {r['ort_int8_cosine']:.5f}")
    if "ov_int8_cosine" in r:
        print(f"OpenVINO f32 vs HF max |diff| of image embeddings: {r['ov_error']:.2e}")
        print(f"OpenVINO int8 vs OpenVINO f32, min cosine over {len(photos)} images: {r['ov_int8_cosine']:.5f}")
    if "ov_int8_outlier_cosine" in r:
        print(f"OpenVINO int8 vs OpenVINO f32 on the outlier model, min cosine over {len(photos)} images: "
              f"{r['ov_int8_outlier_cosine']:.5f}")
    if "ort_int8_outlier_cosine" in r:
        print(f"ORT int8 vs ORT fp32 on the outlier model, min cosine over {len(photos)} images: "
              f"{r['ort_int8_outlier_cosine']:.5f}")
    for precision in ["fp32", "bf16", "int8"]:
        if f"clipkit_{precision}_register_share" in r:
            print(f"clipkit {precision} image tower: {r[f'clipkit_{precision}_register_share']}% of the register-only "
                  f"peak of its kernel ({r[f'clipkit_{precision}_register_peak']:.1f} GOPS on {args.threads} threads; "
                  f"its first run)")
    print(f"ratio clipkit / HF  image tower: {r['clipkit_image'][0] / r['hf_image'][0]:.2f}x")
    print(f"ratio clipkit / ORT image tower: {r['clipkit_image'][0] / r['ort_image'][0]:.2f}x (target >= 1.0)")
    if "clipkit_library_image" in r:
        print(f"ratio clipkit own / OpenBLAS threading: {r['clipkit_image'][0] / r['clipkit_library_image'][0]:.2f}x")
    print(f"ratio ORT int8 / ORT fp32 image tower: {r['ort_int8_image'][0] / r['ort_image'][0]:.2f}x")
    if "clipkit_bf16_image" in r:
        print(f"ratio clipkit bf16 / clipkit fp32 image tower: {r['clipkit_bf16_image'][0] / r['clipkit_image'][0]:.2f}x (target >= 1.5 with AVX512-BF16)")
    if "clipkit_int8_image" in r:
        print(f"ratio clipkit int8 / ORT int8 image tower: {r['clipkit_int8_image'][0] / r['ort_int8_image'][0]:.2f}x")
    if "ov_f32_image" in r:
        print(f"ratio clipkit fp32 / OpenVINO f32 image tower: {r['clipkit_image'][0] / r['ov_f32_image'][0]:.2f}x (issue 18: >= 1.0)")
        if "clipkit_bf16_image" in r:
            print(f"ratio clipkit bf16 / OpenVINO default image tower: "
                  f"{r['clipkit_bf16_image'][0] / r['ov_default_image'][0]:.2f}x (issue 18: >= 1.0)")
        if "clipkit_int8_image" in r:
            print(f"ratio clipkit int8 / OpenVINO int8 image tower: "
                  f"{r['clipkit_int8_image'][0] / r['ov_int8_image'][0]:.2f}x (issue 18: >= 1.1)")
        if "clipkit_int8_e2e" in r:
            print(f"ratio clipkit int8 end to end / OpenVINO int8 image tower: "
                  f"{r['clipkit_int8_e2e'][0] / r['ov_int8_image'][0]:.2f}x (issue 18: >= 1.0)")
    if "clipkit_text" in r:
        print(f"HF text tower, {len(ids)} prompts:  {r['hf_text'][0]:8.1f} prompts/s (median {r['hf_text'][1]:.1f})")
        print(f"clipkit text tower, {len(ids)} prompts: {r['clipkit_text'][0]:8.1f} prompts/s (median {r['clipkit_text'][1]:.1f})")
        print(f"ratio clipkit / HF  text tower: {r['clipkit_text'][0] / r['hf_text'][0]:.2f}x (target >= 1.3)")
    print(f"clipkit cold start (process start to first result, 1 image, best of 4): {r['clipkit_cold_start']:.3f} s (target <= 0.3)")
    for precision in ["bf16", "int8"]:
        if f"clipkit_{precision}_cold_start" in r:
            print(f"clipkit {precision} cold start: {r[f'clipkit_{precision}_cold_start']:.3f} s "
                  f"(issue 18: <= fp32's {r['clipkit_cold_start']:.3f} s)")
    if "clipkit_e2e" in r:
        print(f"HF pipeline end to end, {r['e2e_count']} JPEGs:    {r['hf_e2e'][0]:8.2f} images/s (median {r['hf_e2e'][1]:.2f})")
        print(f"clipkit end to end, {r['e2e_count']} JPEGs:        {r['clipkit_e2e'][0]:8.2f} images/s (median {r['clipkit_e2e'][1]:.2f})")
        print(f"ratio clipkit / HF  end to end: {r['clipkit_e2e'][0] / r['hf_e2e'][0]:.2f}x (target >= 1.3)")
    if "clipkit_int8_e2e" in r:
        print(f"clipkit int8 end to end, {r['e2e_count']} JPEGs:   {r['clipkit_int8_e2e'][0]:8.2f} images/s (median {r['clipkit_int8_e2e'][1]:.2f})")
        print(f"ratio clipkit int8 end to end / ORT int8 image tower: {r['clipkit_int8_e2e'][0] / r['ort_int8_image'][0]:.2f}x (target >= 1.1)")
        ratios = r.get("int8_e2e_round_ratios", [])
        if ratios:
            print(f"  the same ratio within each alternating round: {', '.join(f'{x:.2f}' for x in ratios)} "
                  f"(median {statistics.median(ratios):.2f})")
    if "clipkit_cli_cold_start" in r:
        print(f"clipkit classify cold start (1 JPEG, best of 3): {r['clipkit_cli_cold_start']:.3f} s")


if __name__ == "__main__":
    sys.exit(main())
