"""Local processes for the tests, the benchmark and the load test, started one way everywhere:

* `start_gunicorn`: the app (or another WSGI target) under gunicorn as in the Procfile (`--preload`,
  `--no-control-socket`), bound to 127.0.0.1 only, waited for until its health path answers 200;
* `start_redis`: a throw-away redis-server on loopback, no persistence;
* `stop` / `stop_redis`: by the process's own pid, never by name.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(data_dir: Path, port: int, workers: int = 2, threads: int = 2, extra_env: dict | None = None,
                   wait_healthy: bool = True, *, target: str = "app:server", extra_args: tuple | list = (),
                   health: str = "/healthz", timeout_s: float = 90.0, poll_s: float = 0.3) -> subprocess.Popen:
    """gunicorn `target` on 127.0.0.1:`port` with the processed data of `data_dir` (REDIS_URL only if
    `extra_env` gives it). Its output goes to $TMPDIR/obs-gunicorn-<port>.log (`proc.log_path`)."""
    env = dict(os.environ, OBS_DATA_DIR=str(data_dir), OBS_DEBUG="0", PYTHONUNBUFFERED="1")
    env.pop("REDIS_URL", None)
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "gunicorn", target, "--workers", str(workers), "--threads", str(threads),
           "--preload", "--no-control-socket", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
           "--graceful-timeout", "5", *extra_args]
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"obs-gunicorn-{port}.log", "wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = log.name  # type: ignore[attr-defined]
    if not wait_healthy:
        return proc
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn {target} exited: " + Path(log.name).read_text(errors="replace")[-2000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=5) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(poll_s)
    stop(proc)
    raise RuntimeError(f"gunicorn {target} did not become healthy in {timeout_s:.0f} s")


def stop(proc: subprocess.Popen, timeout_s: float = 20.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def start_redis(folder: Path | None = None, maxmemory: str | None = None) -> dict | None:
    """redis-server on a free loopback port, persistence off: {"url", "proc", "dir"}; None if not installed."""
    exe = shutil.which("redis-server")
    if not exe:
        return None
    port = free_port()
    d = str(folder) if folder is not None else tempfile.mkdtemp(prefix="obs-redis-")
    cmd = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", d]
    if maxmemory:
        cmd += ["--maxmemory", maxmemory, "--maxmemory-policy", "allkeys-lru"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 15
    while time.time() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
                c.sendall(b"PING\r\n")
                if c.recv(16).startswith(b"+PONG"):
                    return {"url": f"redis://127.0.0.1:{port}/0", "proc": proc, "dir": d,
                            "owns_dir": folder is None}
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def stop_redis(server: dict) -> None:
    stop(server["proc"], timeout_s=10)
    if server.get("owns_dir"):
        shutil.rmtree(server["dir"], ignore_errors=True)
