"""Validates `GET /openapi.json` of `clipkit serve` with openapi-spec-validator (OpenAPI 3.1),
and checks that live answers of each route have the documented status and fields.

Skips when openapi-spec-validator is not installed or `clipkit` is not built (`swift build`).
Starts the server on a free loopback port with the tiny test model.
"""

import base64
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

validator = pytest.importorskip("openapi_spec_validator")

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("CLIPKIT_BINARY", ROOT / ".build" / "debug" / "clipkit"))
MODEL = ROOT / "Tests" / "Fixtures" / "models" / "tiny-clip"
IMAGE = ROOT / "Tests" / "Fixtures" / "images" / "decode" / "exif_6.png"


@pytest.fixture(scope="module")
def server():
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is not built; run swift build")
    process = subprocess.Popen(
        [str(BINARY), "serve", "--model", str(MODEL), "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    port = None
    deadline = time.time() + 60
    while port is None and time.time() < deadline:
        line = process.stderr.readline()
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if match:
            port = int(match.group(1))
    assert port, "the server did not start"
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/health") as response:
                if response.status == 200:
                    break
        except urllib.error.HTTPError:
            time.sleep(0.05)
    yield base
    process.terminate()
    assert process.wait(timeout=30) == 0


def request(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_document_is_valid_openapi_3_1(server):
    status, body = request(server + "/openapi.json")
    assert status == 200
    document = json.loads(body)
    assert document["openapi"].startswith("3.1")
    validator.validate(document)  # raises on any violation of the OpenAPI 3.1 schema


def test_every_route_answers_as_documented(server):
    document = json.loads(request(server + "/openapi.json")[1])
    image = base64.b64encode(IMAGE.read_bytes()).decode()
    bodies = {
        "/v1/classify": {"images": [image], "labels": ["cat", "dog"]},
        "/v1/embeddings": {"input": ["a cat"]},
    }
    for path, item in document["paths"].items():
        method = next(iter(item))
        status, body = request(server + path, bodies.get(path) if method == "post" else None)
        assert status == 200, (path, body[:200])
        assert "200" in item[method]["responses"]
    classify = json.loads(request(server + "/v1/classify", bodies["/v1/classify"])[1])
    required = document["components"]["schemas"]["ClassifyResponse"]["required"]
    assert all(key in classify for key in required)
    status, body = request(server + "/v1/classify", {"images": [image], "labels": []})
    assert status == 422
    error = json.loads(body)["error"]
    assert set(document["components"]["schemas"]["Error"]["required"]) <= set(error)
