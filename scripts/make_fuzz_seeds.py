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


# SentencePiece (FuzzSentencePiece): byte 0 even → encode the rest with the SigLIP fixture;
# odd → the rest is a ModelProto. The seeds are small hand-built models (identity normalizer).
def varint(value):
    out = b""
    while True:
        byte = value & 0x7F
        value >>= 7
        out += bytes([byte | (0x80 if value else 0)])
        if not value:
            return out


def field(number, wire, payload):
    key = varint(number << 3 | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload


def piece(text, score, kind=1):
    return field(1, 2, text.encode()) + field(2, 5, struct.pack("<f", score)) + field(3, 0, varint(kind))


def model_proto(pieces, byte_fallback=False, dummy_prefix=True, user=()):
    body = field(1, 2, piece("<unk>", 0, 2)) + field(1, 2, piece("</s>", 0, 3))
    for i, text in enumerate(pieces):
        body += field(1, 2, piece(text, -1.0 - i * 0.5))
    for text in user:
        body += field(1, 2, piece(text, 0, 4))
    if byte_fallback:
        for b in range(256):
            body += field(1, 2, piece(f"<0x{b:02X}>", 0, 6))
    trainer = field(3, 0, varint(1)) + (field(35, 0, varint(1)) if byte_fallback else b"")
    normalizer = field(1, 2, b"identity") + field(3, 0, varint(1 if dummy_prefix else 0))
    return body + field(2, 2, trainer) + field(3, 2, normalizer)


letters = ["\u2581", "a", "c", "t", "\u2581a", "\u2581cat", "at", "ca", "\u2581c"]
for i, text in enumerate(["a photo of a cat", "ÀÉ ＡＢＣ 猫 🐱 </s>!", "", " \u2581 x"]):
    write("sentencepiece", f"encode{i}.txt", b"\0" + text.encode())
write("sentencepiece", "model0.bin", b"\1" + model_proto(letters))
write("sentencepiece", "model1.bin", b"\1" + model_proto(letters, byte_fallback=True, dummy_prefix=False))
write("sentencepiece", "model2.bin", b"\1" + model_proto(letters, user=["<sep>", "\u2581the"]))

# tokenizer.json (FuzzTokenizerJSON): byte 0 even → encode the rest with the SigLIP 2 fixture;
# odd → byte 1 picks the class (0 none, 1 Gemma, 2 SigLIP 2), the rest is a tokenizer.json.
for i, text in enumerate(["a photo of a cat", "ÀÉ ＡＢＣ 猫 🐱 <bos>!", "", "  \u2581 x"]):
    write("tokenizer-json", f"encode{i}.txt", b"\0" + text.encode())
vocab = {"<pad>": 0, "<eos>": 1, "<bos>": 2, "<unk>": 3, "<mask>": 4}
vocab.update({f"<0x{b:02X}>": 5 + b for b in range(256)})
for token in ["\u2581", "a", "c", "t", "\u2581a", "\u2581c", "at", "\u2581cat"]:
    vocab[token] = len(vocab)
bpe = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True} for t, i in list(vocab.items())[:5]],
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "Lowercase"}, {"type": "Replace",
                   "pattern": {"String": " "}, "content": "\u2581"}]},
    "pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "MergedWithPrevious", "invert": False},
    "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<bos>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}], "pair": [],
                       "special_tokens": {"<bos>": {"id": "<bos>", "ids": [2], "tokens": ["<bos>"]}}},
    "decoder": None,
    "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
              "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
              "vocab": vocab, "merges": ["\u2581 a", "\u2581 c", ["a", "t"], "\u2581c at"]},
}
for selector in range(3):
    write("tokenizer-json", f"bpe{selector}.bin", bytes([1, selector]) + json.dumps(bpe, ensure_ascii=False).encode())
unigram = dict(bpe, model={"type": "Unigram", "unk_id": 0, "byte_fallback": False,
                          "vocab": [["<unk>", 0.0], ["\u2581", -2.0], ["a", -3.0], ["\u2581cat", -1.5], ["c", -3.5]]},
               normalizer={"type": "NFKC"},
               pre_tokenizer={"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True})
write("tokenizer-json", "unigram.bin", b"\1\0" + json.dumps(unigram, ensure_ascii=False).encode())

# Packed-weight cache files (FuzzPackedWeights): byte 0 odd → the header checksum is recomputed
# after the edits; byte 1 picks the layers the target writes; then (offset lo, offset hi, value)
# edits: none, one in the entry table (a dimension), one in the header (the entry count).
for selector in [0, 4, 17]:
    write("packed-weights", f"clean{selector}.bin", bytes([0, selector]))
write("packed-weights", "table-edit.bin", bytes([1, 4, 0xD0, 0x00, 0x7F]))
write("packed-weights", "header-edit.bin", bytes([1, 17, 12, 0, 9]))
