#!/usr/bin/env python3
"""Load test of `clipkit serve` on loopback (stdlib only; bounded in requests and time).

Starts the server, runs N concurrent clients (each one keep-alive connection sending one-image
classification requests), and prints requests/s, images/s, p50/p99 latency, status counts, the
mean vision-tower batch size and the server's peak RSS. With --compare-cli it also times
`clipkit classify --batch-size 32` on the same images (marginal rate: the difference between a
large and a small run, so model loading and start-up cancel out). With --overload it fires
2 x --max-queue simultaneous requests and reports how many were answered 200 and 503. With
--stalled N it instead opens N connections that send request headers announcing a 1 MB body and
then stall (every other one trickles a byte every 2 s), sends --normal requests on fresh
connections while they hang, and reports how many stalled connections were answered (408) or
closed within --stall-seconds and the normal requests' statuses and latencies.

Example (release build, random-weight ViT-B/32):
  swift build -c release --product clipkit --product clipkit-bench
  .build/release/clipkit-bench write-model --preset b32 --out /tmp/b32
  scripts/serve_load.py --binary .build/release/clipkit --model /tmp/b32 --clients 64 \
      --requests 512 --compare-cli --overload
  scripts/serve_load.py --stalled 256 --normal 20 --stall-seconds 90   # server defaults
"""

import argparse
import selectors
import socket
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import base64
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_description():
    model, flags = "unknown", []
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and model == "unknown":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line.split(":", 1)[1].split()
    except OSError:
        pass
    wanted = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16"]
    return f"{model}; {os.cpu_count()} cores; flags: {' '.join(f for f in wanted if f in flags)}"


def peak_rss_mib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def start_server(args):
    command = [args.binary, "serve", "--model", args.model, "--port", "0",
               "--max-batch", str(args.max_batch), "--max-wait-ms", str(args.max_wait_ms),
               "--max-queue", str(args.max_queue)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    port, deadline = None, time.time() + 120
    while port is None and time.time() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            sys.exit(f"the server exited: {process.returncode}")
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if match:
            port = int(match.group(1))
    threading.Thread(target=lambda: process.stderr.read(), daemon=True).start()
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit("the model did not load in time")


def make_bodies(images, labels):
    return [json.dumps({"images": [base64.b64encode(p.read_bytes()).decode()], "labels": labels}).encode()
            for p in images]


def run_clients(port, bodies, clients, total, max_seconds, start_barrier=None):
    """Runs `clients` threads until `total` requests are answered or `max_seconds` pass."""
    lock = threading.Lock()
    state = {"next": 0}
    latencies, statuses, retry_after = [], {}, [0]
    stop_at = time.time() + max_seconds

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=max_seconds + 30)
        if start_barrier:
            start_barrier.wait()
        while time.time() < stop_at:
            with lock:
                index = state["next"]
                if index >= total:
                    return
                state["next"] += 1
            body = bodies[index % len(bodies)]
            began = time.perf_counter()
            try:
                connection.request("POST", "/v1/classify", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Retry-After"):
                    with lock:
                        retry_after[0] += 1
            except (OSError, http.client.HTTPException):
                status = "connection error"
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=max_seconds + 30)
            elapsed = time.perf_counter() - began
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, statuses, retry_after[0]


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def mean_batch(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    total = re.search(r"^clipkit_batch_size_sum (\S+)$", text, re.M)
    count = re.search(r"^clipkit_batch_size_count (\S+)$", text, re.M)
    return float(total.group(1)) / max(1.0, float(count.group(1))) if total and count else float("nan")


def time_cli(args, images, count, labels):
    folder = Path(tempfile.mkdtemp(prefix="clipkit-load-"))
    try:
        for i in range(count):
            source = images[i % len(images)]
            shutil.copyfile(source, folder / f"{i:05d}{source.suffix}")
        command = [args.binary, "classify", "--model", args.model, "--batch-size", str(args.cli_batch_size),
                   "--format", "jsonl", "-o", os.devnull] + sum((["--label", l] for l in labels), []) + [str(folder)]
        began = time.perf_counter()
        subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
        return time.perf_counter() - began
    finally:
        shutil.rmtree(folder, ignore_errors=True)


STALLED_HEAD = (b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000000\r\n\r\n{")


def run_stalled(port, bodies, count, normal, window, trickle_every=2.0):
    """Opens `count` stalled connections (odd ones trickle a byte every `trickle_every` s) and sends
    `normal` requests on fresh connections while they hang; bounded by `window` seconds."""
    selector = selectors.DefaultSelector()
    began = time.time()
    state = {}  # socket -> {"trickle", "opened", "ended", "answer"}
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(STALLED_HEAD)
        sock.setblocking(False)
        state[sock] = {"trickle": index % 2 == 1, "opened": time.time(), "ended": None, "answer": b""}
        selector.register(sock, selectors.EVENT_READ)
    print(f"stalled: {count} connections open in {time.time() - began:.2f} s "
          f"({sum(1 for v in state.values() if v['trickle'])} trickling a byte every {trickle_every:g} s)")

    results = []

    def normal_requests():
        for i in range(normal):
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("POST", "/v1/classify", bodies[i % len(bodies)], {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
                connection.close()
            except (OSError, http.client.HTTPException) as error:
                status = f"error {type(error).__name__}"
            results.append((status, time.perf_counter() - started))
            time.sleep(max(0.0, min(2.0, window / max(1, 2 * normal))))

    normal_thread = threading.Thread(target=normal_requests, daemon=True)
    normal_thread.start()
    next_trickle = time.time() + trickle_every
    deadline = began + window
    while time.time() < deadline and any(v["ended"] is None for v in state.values()):
        for key, _ in selector.select(timeout=0.2):
            sock, info = key.fileobj, state[key.fileobj]
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if data:
                info["answer"] += data
            else:
                info["ended"] = time.time()
                selector.unregister(sock)
        if time.time() >= next_trickle:
            next_trickle += trickle_every
            for sock, info in state.items():
                if info["trickle"] and info["ended"] is None:
                    try:
                        sock.send(b" ")
                    except OSError:
                        pass
    normal_thread.join(timeout=max(1.0, deadline + 30 - time.time()))
    ended = [v for v in state.values() if v["ended"] is not None]
    answered = sum(1 for v in ended if v["answer"].startswith(b"HTTP/1.1 408"))
    other = sum(1 for v in ended if v["answer"] and not v["answer"].startswith(b"HTTP/1.1 408"))
    times = sorted(v["ended"] - v["opened"] for v in ended)
    share = 100.0 * len(ended) / max(1, count)
    print(f"stalled: {len(ended)}/{count} answered or closed within {window:g} s ({share:.1f}%): "
          f"{answered} answered 408, {other} other answers, {len(ended) - answered - other} closed unanswered; "
          f"time to close min {percentile(times, 0):.1f} s, p50 {percentile(times, 0.5):.1f} s, "
          f"max {percentile(times, 1):.1f} s")
    statuses = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    latencies = [latency for _, latency in results]
    under = sum(1 for status, latency in results if status == 200 and latency < 30)
    print(f"normal: {len(results)} requests while stalled: statuses {statuses}; {under}/{normal} answered 200 in "
          f"under 30 s; latency p50 {percentile(latencies, 0.5):.2f} s, max {percentile(latencies, 1):.2f} s")
    for sock in state:
        sock.close()
    return share, under


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build" / "release" / "clipkit"))
    parser.add_argument("--model", default=str(ROOT / "Tests" / "Fixtures" / "models" / "tiny-clip"))
    parser.add_argument("--images", default=str(ROOT / "Examples" / "images"))
    parser.add_argument("--labels", default="a cat,a dog,an astronaut,a cup of coffee,a rocket")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--requests", type=int, default=512, help="total requests (bounded)")
    parser.add_argument("--max-seconds", type=float, default=300, help="stop after this long")
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--max-wait-ms", type=int, default=5)
    parser.add_argument("--max-queue", type=int, default=256)
    parser.add_argument("--compare-cli", action="store_true")
    parser.add_argument("--cli-batch-size", type=int, default=32)
    parser.add_argument("--overload", action="store_true", help="also fire 2 x max-queue requests at once")
    parser.add_argument("--stalled", type=int, default=0,
                        help="instead of the throughput run: this many stalled connections (see above)")
    parser.add_argument("--normal", type=int, default=20, help="normal requests sent during --stalled")
    parser.add_argument("--stall-seconds", type=float, default=90, help="window of --stalled")
    args = parser.parse_args()
    args.requests = max(1, min(args.requests, 100_000))
    args.clients = max(1, min(args.clients, 1024))
    args.stalled = max(0, min(args.stalled, 5000))
    args.normal = max(0, min(args.normal, 1000))
    args.stall_seconds = max(1.0, min(args.stall_seconds, 600.0))

    images = sorted(p for p in Path(args.images).iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"})
    labels = [l.strip() for l in args.labels.split(",") if l.strip()]
    bodies = make_bodies(images, labels)
    print(f"CPU: {cpu_description()}")
    print(f"model: {args.model}; images: {len(images)} from {args.images}, cycled; labels: {len(labels)}")

    process, port = start_server(args)
    if args.stalled:
        try:
            run_clients(port, bodies, 1, 2, 60)  # warm-up (label cache)
            share, under = run_stalled(port, bodies, args.stalled, args.normal, args.stall_seconds)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/metrics")
            text = connection.getresponse().read().decode()
            print("metrics: " + "; ".join(line for line in text.splitlines()
                                          if line.startswith(("clipkit_connection_timeouts_total", "clipkit_open_connections",
                                                              'clipkit_requests_total{route="/v1/classify"'))))
            print(f"serve: peak RSS {peak_rss_mib(process.pid):.0f} MiB")
        finally:
            process.terminate()
            print(f"serve: exit status after SIGTERM {process.wait(timeout=60)}")
        ok = share >= 95.0 and under == args.normal
        print(f"result: {'PASS' if ok else 'FAIL'} (>= 95% of stalled connections answered or closed, "
              f"{args.normal}/{args.normal} normal requests under 30 s)")
        sys.exit(0 if ok else 1)
    try:
        run_clients(port, bodies, min(8, args.clients), 16, 60)  # warm-up (label cache, allocations)
        seconds, latencies, statuses, _ = run_clients(port, bodies, args.clients, args.requests, args.max_seconds)
        answered = statuses.get(200, 0)
        server_rate = answered / seconds
        print(f"serve: {args.clients} clients, {sum(statuses.values())} requests in {seconds:.2f} s; statuses {statuses}")
        print(f"serve: {server_rate:.1f} requests/s = {server_rate:.1f} images/s; "
              f"latency p50 {1000 * percentile(latencies, 0.5):.0f} ms, p99 {1000 * percentile(latencies, 0.99):.0f} ms; "
              f"mean batch {mean_batch(port):.1f}; peak RSS {peak_rss_mib(process.pid):.0f} MiB")

        if args.overload:
            count = 2 * args.max_queue
            barrier = threading.Barrier(count)
            seconds, latencies, statuses, retry = run_clients(port, bodies, count, count, args.max_seconds, barrier)
            print(f"overload: {count} simultaneous one-image requests (2 x --max-queue {args.max_queue}) in {seconds:.2f} s: "
                  f"statuses {statuses}; {retry} with Retry-After; p99 of the 200s {1000 * percentile(latencies, 0.99):.0f} ms; "
                  f"peak RSS {peak_rss_mib(process.pid):.0f} MiB")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/health")
            print(f"overload: afterwards /health answers {connection.getresponse().status}")
    finally:
        process.terminate()
        code = process.wait(timeout=60)
        print(f"serve: exit status after SIGTERM {code}")

    if args.compare_cli:
        small, large = 32, max(64, min(args.requests, 512))
        t_small = time_cli(args, images, small, labels)
        t_large = time_cli(args, images, large, labels)
        cli_rate = (large - small) / max(1e-9, t_large - t_small)
        print(f"cli: clipkit classify --batch-size {args.cli_batch_size}: {small} images {t_small:.2f} s, "
              f"{large} images {t_large:.2f} s -> marginal {cli_rate:.1f} images/s "
              f"(whole large run {large / t_large:.1f} images/s)")
        print(f"ratio: serve / cli = {server_rate / cli_rate:.2f}")


if __name__ == "__main__":
    main()
