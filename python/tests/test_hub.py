"""Model references through the engine's Hub client: names, ids, the cache and offline mode."""
import os
from pathlib import Path

import pytest

import clipkit
from conftest import TINY


def test_hub_ids_and_spark_nlp_names_resolve_into_the_hf_cache(hub):
    folder = Path(clipkit.resolve_model("test-org/tiny-clip"))
    assert folder.is_relative_to(Path(os.environ["HF_HOME"]))
    assert (folder / "model.safetensors").read_bytes() == (TINY / "model.safetensors").read_bytes()
    alias = Path(clipkit.resolve_model("zero_shot_classifier_clip_vit_base_patch32"))
    assert "models--openai--clip-vit-base-patch32" in str(alias)


def test_a_cached_model_needs_no_request_and_offline_mode_never_asks(hub, monkeypatch):
    clipkit.resolve_model("test-org/tiny-clip")
    before = hub.requests
    assert clipkit.resolve_model("test-org/tiny-clip")
    assert hub.requests == before
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(clipkit.ClipkitError) as error:
        clipkit.resolve_model("test-org/never-downloaded")
    assert error.value.status == 2 and "offline" in str(error.value).lower()
    assert hub.requests == before


def test_unknown_repositories_are_model_errors(hub):
    with pytest.raises(clipkit.ClipkitError) as error:
        clipkit.Classifier("test-org/missing", ["a"])
    assert error.value.status == 2
