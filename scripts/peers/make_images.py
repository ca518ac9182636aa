"""Writes 64 JPEGs of 500x375 (quality 90), cut from Examples/images, for the end-to-end run.

Usage: python scripts/peers/make_images.py OUT_DIR
"""
import os
import sys

from PIL import Image

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Examples", "images")


def main(out):
    os.makedirs(out, exist_ok=True)
    sources = sorted(f for f in os.listdir(SOURCE) if f.endswith(".jpg"))
    for i in range(64):
        img = Image.open(os.path.join(SOURCE, sources[i % len(sources)])).convert("RGB")
        w, h = img.size
        scale = 0.6 + 0.1 * (i // len(sources) % 4)
        cw, ch = int(w * scale), int(h * scale)
        left, top = (w - cw) * (i % 3) // 2, (h - ch) * (i % 2)
        crop = img.crop((left, top, left + cw, top + ch)).resize((500, 375), Image.BICUBIC)
        crop.save(os.path.join(out, f"{i:03d}.jpg"), quality=90)


if __name__ == "__main__":
    main(sys.argv[1])
