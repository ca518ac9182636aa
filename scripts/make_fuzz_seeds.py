#!/usr/bin/env python3
"""Writes the small hand-made fuzz seeds under Fuzz/corpus/ (standard library only).

The image seeds for JPEG, PNG, GIF and WebP are copies of Tests/Fixtures/images/decode files;
this script makes the rest: BMP variants, safetensors files, configs, tokenizer inputs, labels
files and Hub answers. Run from the repository root: python3 scripts/make_fuzz_seeds.py
"""
import json
import struct
from pathlib import Path

root = Path("Fuzz/corpus")


def write(target, name, data):
    (root / target).mkdir(parents=True, exist_ok=True)
    (root / target / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def bmp(width, height, bits, pixels, palette=b"", header=40, compression=0, masks=b""):
    offset = 14 + header + len(masks) + len(palette)
    if header == 12:
        info = struct.pack("<IHHHH", 12, width, height & 0xFFFF, 1, bits)
    else:
        info = struct.pack("<IiiHHIIiiII", header, width, height, 1, bits, compression, len(pixels),
                           2835, 2835, len(palette) // 4, 0)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + info + masks + palette + pixels


def rows(width, height, bits, fill):
    stride = (width * bits + 31) // 32 * 4
    return bytes((fill + i) & 0xFF for i in range(stride * abs(height)))


write("image-bmp", "rgb24.bmp", bmp(5, 3, 24, rows(5, 3, 24, 7)))
write("image-bmp", "rgb24_topdown.bmp", bmp(3, -2, 24, rows(3, 2, 24, 1)))
write("image-bmp", "bgrx32.bmp", bmp(4, 2, 32, rows(4, 2, 32, 3)))
write("image-bmp", "bitfields32.bmp",
      bmp(2, 2, 32, rows(2, 2, 32, 9), compression=3, masks=struct.pack("<III", 0xFF0000, 0xFF00, 0xFF)))
write("image-bmp", "pal1.bmp", bmp(9, 2, 1, rows(9, 2, 1, 0x55), palette=b"\0\0\0\0\xff\xff\xff\0"))
write("image-bmp", "pal4.bmp", bmp(5, 2, 4, rows(5, 2, 4, 0x12), palette=bytes(range(64))))
write("image-bmp", "core12.bmp", bmp(2, 2, 24, rows(2, 2, 24, 5), header=12))


def safetensors(tensors, metadata=None):
    header, blobs, offset = {}, b"", 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs += data
        offset += len(data)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + blobs


write("safetensors", "f32.safetensors", safetensors({"w": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4))},
                                                    {"format": "pt"}))
write("safetensors", "mixed.safetensors", safetensors({
    "a": ("F16", [3], struct.pack("<3e", 1, -2, 0.5)),
    "b": ("BF16", [1, 2], b"\x80\x3f\x00\x40"),
    "c": ("F32", [], struct.pack("<f", 7)),
    "empty": ("F32", [0, 4], b""),
}))
write("safetensors", "i64.safetensors", safetensors({"ids": ("I64", [2], struct.pack("<2q", 1, 2))}))

config = json.loads(Path("Tests/Fixtures/models/tiny-clip/config.json").read_text())
write("config", "tiny_config.json", json.dumps(config))
write("config", "preprocessor.json", Path("Tests/Fixtures/models/tiny-clip/preprocessor_config.json").read_text())
write("config", "preprocessor_dicts.json", json.dumps({
    "size": {"shortest_edge": 224, "longest_edge": 448}, "crop_size": {"height": 224, "width": 224},
    "image_mean": 0.5, "image_std": [0.5, 0.5, 0.5], "resample": 3, "rescale_factor": 0.00392156862745098}))
write("config", "gelu_config.json", json.dumps({"text_config": {"hidden_act": "gelu"}, "vision_config": {
    "image_size": 64, "patch_size": 16, "hidden_size": 32, "num_attention_heads": 4}, "projection_dim": 16}))

for i, text in enumerate(["a photo of a cat", "It's a dog's life", "A  Photo\tof the  CAT!!",
                          "<|startoftext|>héllo wörld 123 ☃<|endoftext|>", "x" * 300]):
    write("tokenizer", f"encode{i}.txt", b"\0" + text.encode())
vocab = {"a": 0, "b": 1, "c": 2, "a</w>": 3, "b</w>": 4, "c</w>": 5, "ab": 6, "ab</w>": 7,
         "<|startoftext|>": 8, "<|endoftext|>": 9}
write("tokenizer", "load0.bin", b"\1" + json.dumps(vocab).encode() + b"\0#version: 0.2\na b\na b</w>\n\0abc ab ba")

write("labels", "labels.txt", Path("Tests/Fixtures/cli/labels.txt").read_bytes())
write("labels", "bom_crlf.txt", "\ufeffa photo of a cat\r\n# comment\r\n\r\n  dog  \r\nbird".encode())
write("labels", "unicode.txt", "chat\nhund\u00e9\n\u2028sep\nzebra\n".encode())

revision = {"sha": "0123456789abcdef0123456789abcdef01234567", "siblings": [
    {"rfilename": "config.json"}, {"rfilename": "model.safetensors"}, {"rfilename": "vocab.json"}]}
write("hub", "redirect.bin", json.dumps(revision).encode() + b"\0302\nLocation: https://cdn.example/blob?x=1\n"
      b"X-Linked-Etag: \"" + b"ab" * 32 + b"\"\nX-Linked-Size: 1940620\nX-Repo-Commit: " + revision["sha"].encode())
write("hub", "ok.bin", json.dumps(revision).encode() + b"\0200\nETag: W/\"1234-abcd\"\nContent-Length: 1120")
write("hub", "error.bin", b"{\"error\": \"Repository not found\"}\0401\nX-Error-Code: GatedRepo\nX-Error-Message: gated")
