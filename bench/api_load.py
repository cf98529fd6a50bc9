"""Load test of the REST service on loopback: N concurrent clients for a bounded time.

Starts its own `animeid serve` (a subprocess on a free 127.0.0.1 port) on an index it builds (by
default the bundled Big Buck Bunny demo library), then measures, in one run:
  1. baseline: one client, POST /search one request at a time (latency without contention);
  2. baseline: N clients on GET /health (what the HTTP stack alone sustains);
  3. the load: N clients on POST /search with screenshots the index never saw;
  4. clip load: N clients on POST /search with animated GIFs of 2 s (what chat bots forward; each
     is searched frame by frame, then aligned: several screenshots' worth of work);
and reports requests/s, p50/p99 latency, errors, and the server's peak resident memory (VmHWM).

    python bench/api_load.py                      # 16 clients, 30 s
    python bench/api_load.py --clients 32 --seconds 60 --db my-index
    python bench/api_load.py --no-frames          # the server answering from the index alone

Traffic only ever goes to 127.0.0.1, every loop is bounded in time, and the server is stopped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_demo_index(work: Path) -> tuple[Path, Path]:
    from animeid.cli.demo import DEMO_TITLE, build_demo_library
    from animeid.scenes.indexer import index_library

    lib = build_demo_library(work, None)
    db = work / "index"
    index_library(lib, db, progress=False)
    return db, lib / DEMO_TITLE / f"{DEMO_TITLE} - 01.mp4"


def query_images(video: Path, n: int, seed: int = 0) -> list[bytes]:
    """Frames at random seconds (off the 2 fps sampling grid), cropped and re-encoded like screenshots."""
    from PIL import Image

    from animeid.media.video import frame_at, probe

    rng = np.random.default_rng(seed)
    duration = probe(video).duration
    out = []
    for t in rng.uniform(0.2, max(0.3, duration - 0.3), n):
        rgb = frame_at(video, float(t))
        h, w = rgb.shape[:2]
        crop = rgb[h // 20: h - h // 20, w // 20: w - w // 20]
        buf = io.BytesIO()
        Image.fromarray(crop).resize((640, 360)).save(buf, format="JPEG", quality=80)
        out.append(buf.getvalue())
    return out


def query_clips(video: Path, n: int, seed: int = 1, seconds: float = 2.0, fps: int = 10) -> list[bytes]:
    """Animated GIFs (320 px wide, `fps`) of `seconds` starting at random times."""
    from PIL import Image

    from animeid.media.video import frames_at, probe

    rng = np.random.default_rng(seed)
    duration = probe(video).duration
    length = min(seconds, 0.8 * duration)
    out = []
    for start in rng.uniform(0.0, duration - length, n):
        frames = frames_at(video, [float(start) + j / fps for j in range(int(length * fps) + 1)])
        h, w = frames[0].shape[:2]
        pictures = [Image.fromarray(f).resize((320, max(8, round(320 * h / w)))) for f in frames]
        buf = io.BytesIO()
        pictures[0].save(buf, format="GIF", save_all=True, append_images=pictures[1:], duration=1000 // fps, loop=0)
        out.append(buf.getvalue())
    return out


def first_video(db: Path) -> Path:
    from animeid.scenes.index import Index

    index = Index.load(db)
    for f in index.store.files():
        path = index.video_path(f.path)
        if path is not None:
            return path
    raise SystemExit(f"{db}: no indexed video is reachable to cut query frames from")


class MemoryWatch:
    """Samples the server's RSS; VmHWM (the kernel's high-water mark) gives the true peak."""

    def __init__(self, pid: int):
        self.pid = pid
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def read(self, field: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        return 0

    def _run(self):
        while not self._stop.wait(0.1):
            try:
                self.samples.append(self.read("VmRSS"))
            except OSError:
                return

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()


async def hammer(url: str, method: str, bodies: list[bytes] | None, clients: int, seconds: float,
                 content_type: str = "image/jpeg") -> dict:
    """A clip upload counts only when it was answered as a clip (the answer has "clip")."""
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        async def client(i: int):
            n = i
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    if method == "GET":
                        r = await http.get(url)
                    else:
                        r = await http.post(url, content=bodies[n % len(bodies)],
                                            headers={"content-type": content_type})
                    ok = r.status_code == 200 and (method == "GET" or (
                        r.json()["results"] and (content_type != "image/gif" or "clip" in r.json())))
                    key = None if ok else f"HTTP {r.status_code}"
                except Exception as exc:  # count, never stop the run
                    key = type(exc).__name__
                if key is None:
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors[key] = errors.get(key, 0) + 1
                n += clients

        t_start = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        wall = time.perf_counter() - t_start
    lat = np.array(latencies) * 1000 if latencies else np.zeros(1)
    return {"clients": clients, "seconds": round(wall, 1), "requests": len(latencies),
            "rps": round(len(latencies) / wall, 1), "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p99_ms": round(float(np.percentile(lat, 99)), 1), "errors": sum(errors.values()),
            "error_kinds": errors}


def start_server(db: Path, port: int, workers: int | None, frames: bool = True) -> subprocess.Popen:
    import httpx

    cmd = [sys.executable, "-m", "animeid.cli.main", "serve", "--db", str(db), "--port", str(port),
           "--log-level", "warning"]
    if workers:
        cmd += ["--workers", str(workers)]
    if not frames:
        cmd += ["--no-frames"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("server did not start within 120 s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=30.0, help="duration of the main load phase")
    p.add_argument("--baseline-seconds", type=float, default=5.0, help="duration of each baseline phase")
    p.add_argument("--db", type=Path, default=None, help="existing index (default: build the demo index)")
    p.add_argument("--workers", type=int, default=None, help="server worker threads (default: the server's)")
    p.add_argument("--queries", type=int, default=16, help="distinct query images (and clips)")
    p.add_argument("--clip-seconds", type=float, default=15.0,
                   help="duration of the clip load phase (0: skip it)")
    p.add_argument("--no-frames", action="store_true",
                   help="serve with --no-frames: answers from the index alone, no decoding around them")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.seconds > 600:
        p.error("--clients must be >= 1 and --seconds in (0, 600]")
    if not 0 <= args.clip_seconds <= 600:
        p.error("--clip-seconds must be in [0, 600]")

    with tempfile.TemporaryDirectory(prefix="animeid-load-") as tmp:
        if args.db is None:
            t0 = time.perf_counter()
            db, video = build_demo_index(Path(tmp))
            print(f"built the demo index in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        else:
            db, video = args.db, first_video(args.db)
        bodies = query_images(video, args.queries)
        clips = query_clips(video, args.queries) if args.clip_seconds > 0 else []
        port = free_port()
        server = start_server(db, port, args.workers, frames=not args.no_frames)
        base = f"http://127.0.0.1:{port}"
        try:
            watch = MemoryWatch(server.pid)
            idle_rss = watch.read("VmRSS")
            watch.start()
            single = asyncio.run(hammer(f"{base}/search", "POST", bodies, 1, args.baseline_seconds))
            health = asyncio.run(hammer(f"{base}/health", "GET", None, args.clients, args.baseline_seconds))
            load = asyncio.run(hammer(f"{base}/search", "POST", bodies, args.clients, args.seconds))
            clip_load = (asyncio.run(hammer(f"{base}/search", "POST", clips, args.clients, args.clip_seconds,
                                            content_type="image/gif")) if clips else None)
            peak = watch.read("VmHWM")
            watch.stop()
            import httpx

            pool = httpx.get(f"{base}/health", timeout=10).json()["pool"]
        finally:
            server.terminate()
            server.wait(timeout=30)
    report = {"baseline_single_client_search": single, "baseline_health": health, "search_load": load,
              "clip_search_load": clip_load,
              "server_rss_idle_mb": round(idle_rss / 2**20, 1), "server_rss_peak_mb": round(peak / 2**20, 1),
              "server_pool": pool, "db": str(args.db) if args.db else "demo (Big Buck Bunny)",
              "frame_placement": not args.no_frames}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"index: {report['db']}; frame placement {'on' if report['frame_placement'] else 'off (--no-frames)'}")
        print(f"{'phase':34s} {'clients':>7s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'errors':>7s}")
        phases = [("baseline: POST /search, 1 client", single), ("baseline: GET /health", health),
                  ("load: POST /search", load)] + ([("load: POST /search, 2 s GIF clips", clip_load)] if clip_load else [])
        for name, r in phases:
            print(f"{name:34s} {r['clients']:>7d} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                  f"{r['errors']:>7d}")
        print(f"server memory: {report['server_rss_idle_mb']} MB idle, {report['server_rss_peak_mb']} MB peak (VmHWM)")
        print(f"server worker pool: {pool['workers']} workers, peak {pool['peak_in_flight']} requests in flight "
              f"(capacity {pool['capacity']}), {pool['rejected']} turned away")
        for name, r in phases:
            if r["error_kinds"]:
                print(f"errors ({name}): {r['error_kinds']}")
    return 0 if load["errors"] == 0 and (clip_load is None or clip_load["errors"] == 0) else 1


if __name__ == "__main__":
    sys.exit(main())
