"""Server time without the network and without the cache: the real app in this process (Flask test client),
its query cache switched off (core.cache.reset_cache), POSTing recorded request bodies.

`python -m bench.inproc BODIES.jsonl` (OBS_DATA_DIR set) prints JSON {output: [seconds, ...]}.
Used by bench/run.py for the cache-miss figures, and for local experiments behind the proposals in
docs/PERFORMANCE.md."""
from __future__ import annotations

import json
import sys
import time


def main(path: str) -> None:
    import app as app_module
    from core import cache

    cache.reset_cache()
    client = app_module.server.test_client()
    out: dict[str, list[float]] = {}
    bodies = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    for body in bodies[:10]:   # warm-up (imports, first-call caches)
        client.post("/_dash-update-component", json=body)
    for body in bodies:
        t0 = time.perf_counter()
        r = client.post("/_dash-update-component", json=body, headers={"Accept-Encoding": "identity"})
        dt = time.perf_counter() - t0
        if r.status_code not in (200, 204):
            raise SystemExit(f"{body.get('output')}: HTTP {r.status_code}")
        out.setdefault(body["output"], []).append(dt)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
