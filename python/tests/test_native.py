"""The ctypes binding and the C ABI behind it, without Spark."""
import threading

import numpy as np
import pytest

import clipkit
from conftest import BAD, GOOD, LABELS, RUN_TO_RUN, TINY


@pytest.fixture(scope="module")
def classifier():
    return clipkit.Classifier(str(TINY), LABELS, batch_size=4)


def read(paths):
    return [p.read_bytes() for p in paths]


def test_version():
    assert clipkit.version() == "0.1.0"


def test_probabilities_are_a_softmax_in_label_order(classifier):
    result = classifier.classify(read(GOOD.values()))
    assert result.ok.all()
    assert result.values.shape == (len(GOOD), len(LABELS))
    np.testing.assert_allclose(result.values.sum(axis=1), 1, atol=1e-5)
    # Swapping the labels swaps the columns.
    swapped = clipkit.Classifier(str(TINY), LABELS[::-1]).classify(read(GOOD.values()))
    np.testing.assert_allclose(swapped.values[:, ::-1], result.values, atol=RUN_TO_RUN)


def test_a_bad_item_in_the_middle_of_a_batch_shifts_nothing(classifier):
    good = read(GOOD.values())
    alone = np.stack([classifier.classify([g]).values[0] for g in good])
    mixed = [good[0], good[1], b"not an image", good[2], b"", good[3], good[4], good[5]]
    result = classifier.classify(mixed)
    assert result.statuses.tolist() == [0, 0, 3, 0, 3, 0, 0, 0]
    assert result.errors[2] and "not a JPEG" in result.errors[2]
    assert result.errors[4] and "empty" in result.errors[4]
    assert not result.values[[2, 4]].any()
    assert (result.sizes[[2, 4]] == -1).all()
    np.testing.assert_allclose(result.values[[0, 1, 3, 5, 6, 7]], alone, atol=RUN_TO_RUN)


def test_bad_fixture_files_fail_alone(classifier):
    result = classifier.classify(read(BAD.values()))
    assert (result.statuses == 3).all()
    assert all(result.errors)


def test_pixel_buffers_bgr_rgb_gray_and_alpha_agree(classifier):
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    bgra = np.concatenate([rgb[:, :, ::-1], np.full((37, 53, 1), 9, np.uint8)], axis=2)
    gray = rgb[:, :, 0]
    a = classifier.classify_pixels([rgb], order="rgb")
    b = classifier.classify_pixels([rgb[:, :, ::-1]], order="bgr")
    c = classifier.classify_pixels([bgra], order="bgr")
    d = classifier.classify_pixels([np.repeat(gray[:, :, None], 3, axis=2)], order="rgb")
    e = classifier.classify_pixels([gray], order="bgr")
    assert a.ok.all() and b.ok.all() and c.ok.all() and d.ok.all() and e.ok.all()
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.values, c.values)
    np.testing.assert_array_equal(d.values, e.values)
    assert a.sizes.tolist() == [[37, 53]]


def png_of(rgb: np.ndarray) -> bytes:
    """A minimal 8-bit RGB PNG of `rgb` [height, width, 3]."""
    import zlib

    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(height))

    def chunk(kind, data):
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_pixel_buffers_match_the_decoded_file(classifier):
    """A PNG's pixels given raw (BGR) score as the PNG itself: same preprocessing path."""
    rgb = np.random.default_rng(3).integers(0, 256, size=(30, 40, 3), dtype=np.uint8)
    png = png_of(rgb)
    encoded = classifier.classify([png])
    pixels = classifier.classify_pixels([rgb[:, :, ::-1]], order="bgr")
    np.testing.assert_array_equal(encoded.values, pixels.values)


def test_inconsistent_pixel_buffers_fail_alone(classifier):
    good = np.zeros((8, 8, 3), np.uint8)
    data = good.tobytes()
    offsets = np.array([0, len(data), len(data) + 10, 2 * len(data) + 10], np.int64)
    blob = np.frombuffer(data + b"\x00" * 10 + data, np.uint8)
    heights = np.array([8, 8, -1], np.int32)
    widths = np.array([8, 8, -1], np.int32)
    channels = np.array([3, 3, -1], np.int32)
    result = classifier.classify_pixel_buffers(3, blob.ctypes.data, offsets, heights, widths, channels)
    assert result.statuses.tolist() == [0, 3, 3]
    assert "bytes of pixel data" in result.errors[1]


def test_invalid_offsets_are_an_error_not_a_crash(classifier):
    blob = np.zeros(4, np.uint8)
    result = classifier.classify_buffers(2, blob.ctypes.data, np.array([0, 4, 2], np.int64))
    assert result.statuses.tolist() == [3, 1]


def test_embeddings_are_unit_length_and_agree_with_classification():
    embedder = clipkit.Embedder(str(TINY))
    images = embedder.embed_images(read(GOOD.values()))
    texts = embedder.embed_texts(LABELS)
    np.testing.assert_allclose(np.linalg.norm(images.values, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1, atol=1e-5)
    # Classification is softmax(scale · cos): the argmax of the cosines is the best label.
    probabilities = clipkit.Classifier(str(TINY), LABELS).classify(read(GOOD.values())).values
    assert (np.argmax(images.values @ texts.T, axis=1) == np.argmax(probabilities, axis=1)).all()


def test_embedder_pixels_match_encoded_and_failures_stay_in_place():
    embedder = clipkit.Embedder(str(TINY), batch_size=2)
    rgb = np.random.default_rng(5).integers(0, 256, size=(50, 20, 3), dtype=np.uint8)
    encoded = embedder.embed_images([png_of(rgb), b"junk", png_of(rgb[::-1])])
    pixels = embedder.embed_pixels([rgb, np.zeros((2, 2, 5), np.uint8), rgb[::-1]], order="rgb")
    assert encoded.statuses.tolist() == [0, 3, 0] and pixels.statuses.tolist() == [0, 3, 0]
    assert "channels" in pixels.errors[1]
    np.testing.assert_array_equal(encoded.values, pixels.values)
    assert not encoded.values[1].any()
    assert embedder.embed_texts([]).shape == (0, embedder.dimension)


def test_preprocessing_overrides_reach_the_engine():
    files = read(GOOD.values())
    default = clipkit.Classifier(str(TINY), LABELS).classify(files).values
    same = clipkit.Classifier(str(TINY), LABELS, preprocessing={"resample": 3}).classify(files).values
    nearest = clipkit.Classifier(str(TINY), LABELS, preprocessing={"resample": 0}).classify(files).values
    unnormalised = clipkit.Classifier(str(TINY), LABELS, preprocessing={"do_normalize": False}).classify(files).values
    np.testing.assert_array_equal(default, same)
    assert np.abs(default - nearest).max() > 1e-4
    assert np.abs(default - unnormalised).max() > 1e-4


def test_errors_are_codes_and_messages():
    with pytest.raises(clipkit.ClipkitError, match="precision 'int4'") as unsupported:
        clipkit.Classifier(str(TINY), LABELS, precision="int4")
    assert unsupported.value.status == 5
    with pytest.raises(clipkit.ClipkitError) as missing:
        clipkit.Classifier("/no/such/folder", LABELS)
    assert missing.value.status == 2
    with pytest.raises(clipkit.ClipkitError, match="duplicate") as duplicate:
        clipkit.Classifier(str(TINY), ["cat", "cat"])
    assert duplicate.value.status == 1
    with pytest.raises(clipkit.ClipkitError) as size:
        clipkit.Classifier(str(TINY), LABELS, preprocessing={"crop_size": 100, "size": 100})
    assert size.value.status == 1
    with pytest.raises(clipkit.ClipkitError, match="batch_size") as batch:
        clipkit.Classifier(str(TINY), LABELS, batch_size=1 << 30)
    assert batch.value.status == 1
    with pytest.raises(clipkit.ClipkitError, match="at least one label"):
        clipkit.Classifier(str(TINY), [])


def test_concurrent_calls_on_one_handle_agree(classifier):
    files = read(GOOD.values())
    expected = classifier.classify(files).values
    results = [None] * 4

    def work(i):
        results[i] = classifier.classify(files).values

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, expected)


def test_closed_handle_is_an_error():
    c = clipkit.Classifier(str(TINY), LABELS)
    c.close()
    with pytest.raises(clipkit.ClipkitError):
        c.classify([b""])


@pytest.mark.parametrize("templates", [["a photo of a {}.", "a drawing of a {}."], "simple-imagenet"])
def test_template_ensembles_score_as_the_cli(templates, tmp_path):
    """An ensemble (a list, or a built-in set's name) through the C ABI gives the CLI's scores;
    the CLI's ensembles are golden-tested against open_clip's build_zero_shot_classifier."""
    import json
    import subprocess

    from conftest import _find_cli

    files = [str(p) for p in GOOD.values()]
    names = ["--templates", templates] if isinstance(templates, str) else \
        [a for t in templates for a in ("--template", t)]
    args = [str(_find_cli()), "classify", "--model", str(TINY), "--format", "jsonl", "--no-cache", *names]
    for label in LABELS:
        args += ["--label", label]
    run = subprocess.run(args + files, capture_output=True, text=True, check=True)
    expected = np.array([[{s["label"]: s["score"] for s in json.loads(line)["scores"]}[label] for label in LABELS]
                         for line in run.stdout.splitlines()])
    result = clipkit.Classifier(str(TINY), LABELS, templates).classify(read(GOOD.values()))
    assert result.ok.all()
    np.testing.assert_allclose(result.values, expected, atol=RUN_TO_RUN)
    single = clipkit.Classifier(str(TINY), LABELS, "a photo of a {}.").classify(read(GOOD.values()))
    assert np.abs(single.values - result.values).max() > 1e-4  # the ensemble is not the first template alone


@pytest.mark.parametrize("precision, tolerance", [("bf16", 0.02), ("int8", 0.1)])
def test_reduced_precisions_reach_the_engine(precision, tolerance):
    """bf16/int8 reach the engine: probabilities move (the tiny model is 8 and 24 wide, so by
    up to 0.011 and 0.058 here; the Swift model tests hold embedding cosines to the reference),
    and every image keeps its top-1 label."""
    files = read(GOOD.values())
    exact = clipkit.Classifier(str(TINY), LABELS).classify(files).values
    reduced = clipkit.Classifier(str(TINY), LABELS, precision=precision).classify(files).values
    difference = np.abs(exact - reduced).max()
    assert 1e-4 < difference < tolerance
    assert (exact.argmax(axis=1) == reduced.argmax(axis=1)).all()
