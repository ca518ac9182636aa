"""Runs the Hub stand-in (python/tests/hub_stand_in.py) for the JVM tests: serves the tiny model as
the repositories behind Spark NLP's names and as test-org/tiny-clip, writes the endpoint to the
file given as argv[1], and serves until killed."""
import signal
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python" / "tests"))
from hub_stand_in import HubStandIn  # noqa: E402

TINY = REPO / "Tests" / "Fixtures" / "models" / "tiny-clip"
repos = {name: TINY for name in ("openai/clip-vit-base-patch32", "openai/clip-vit-large-patch14", "test-org/tiny-clip")}
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
with HubStandIn(repos) as hub:
    Path(sys.argv[1]).write_text(hub.endpoint + "\n")
    stop.wait()
    print(f"hub stand-in: {hub.requests} requests", file=sys.stderr)
