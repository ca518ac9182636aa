"""Writes Examples/images/: public-domain / CC0 photos from scikit-image's sample data, as JPEG
(longest side 512) so the README demo has real images. Run: /work/venv/bin/python scripts/make_examples.py

  cat.jpg        skimage.data.chelsea()   CC0, Stefan van der Walt
  coffee.jpg     skimage.data.coffee()    CC0, Rachel Michetti
  astronaut.jpg  skimage.data.astronaut() NASA, public domain
  rocket.jpg     skimage.data.rocket()    SpaceX, public domain (CC0)
The motorcycle (Middlebury stereo data set) is left out: its licence is not public domain.
"""
import os

from PIL import Image
from skimage import data

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Examples", "images")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, load in [("cat", data.chelsea), ("coffee", data.coffee), ("astronaut", data.astronaut), ("rocket", data.rocket)]:
        image = Image.fromarray(load()).convert("RGB")
        image.thumbnail((512, 512), Image.Resampling.LANCZOS)
        image.save(os.path.join(OUT, name + ".jpg"), format="JPEG", quality=85)


if __name__ == "__main__":
    main()
