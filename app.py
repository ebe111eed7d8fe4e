"""Start the web chat: `python app.py [--host H] [--port P] [--corpus DIR] [--index DIR]`.

A thin launcher: it loads the engine (index and model) before serving, so the first question is fast,
and hands it to `qa.web.build_app`. The app lives in qa/web.py, the wording of replies in
qa/render.py, all answering in qa/engine.py.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import sys
import time
import urllib.request

# Before gradio (or chromadb, or the model) is imported: no analytics, no telemetry, no downloads.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CONCURRENCY = 4  # the engine is thread-safe; this many questions are answered at once
# One torch thread per forward pass. A question is one short sentence: splitting it across cores
# gains nothing, and when the cores are busy (other users, other programs) torch's worker threads
# wait on each other: on a loaded 2-core machine one query took ~1 s with 2 threads, ~20 ms with 1.
TORCH_THREADS = 1
# Any corpus, and not an example question: the first visitor's question must pay its own way.
WARM_UP_QUESTION = "What do the articles report?"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Web chat over the article corpus.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
                        help="address to bind (default 127.0.0.1, or $GRADIO_SERVER_NAME)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT") or 7860),
                        help="port (default 7860, or $GRADIO_SERVER_PORT)")
    parser.add_argument("--corpus", default=None, help="folder of articles (default: seeds/ or $QA_CORPUS_DIR)")
    parser.add_argument("--index", default=None,
                        help="index folder (default: $QA_INDEX_DIR, else index/ for seeds/ and a folder of its "
                        "own under the cache folder for any other corpus; see qa.engine.default_index_dir)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("QA_TORCH_THREADS") or TORCH_THREADS),
                        help=f"torch threads per forward pass (default {TORCH_THREADS}, or $QA_TORCH_THREADS)")
    return parser.parse_args(argv)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warm_up_server(url: str, question: str = WARM_UP_QUESTION) -> None:
    """Send one question through the served app's own API before anyone else can: Gradio's first
    request pays one-off costs (it imports matplotlib to pin its backend around every call, ~1 s)."""
    base = url.rstrip("/") + "/gradio_api/call/answer"
    try:
        request = urllib.request.Request(base, data=json.dumps({"data": [question]}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            event_id = json.load(response)["event_id"]
        with urllib.request.urlopen(f"{base}/{event_id}", timeout=60) as response:
            response.read()
    except (OSError, ValueError, KeyError) as error:  # the app still works, the first answer is slower
        print(f"warm-up request failed ({error}); serving anyway", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not is_loopback(args.host):
        print(f"WARNING: binding to {args.host}, not loopback: anyone who can reach this machine on port "
              f"{args.port} can use the app. Use --host 127.0.0.1 to keep it local.", file=sys.stderr)

    import torch

    torch.set_num_threads(max(1, args.threads))

    from qa.embedding import ModelUnavailable
    from qa.engine import Engine
    from qa.manifest import IndexUnavailable
    from qa.web import CSS, THEME, build_app

    started = time.perf_counter()
    try:
        engine = Engine(corpus_dir=args.corpus, index_dir=args.index)
        engine.answer(WARM_UP_QUESTION)  # loads the reader; first forward passes are slow: pay them now
    except (FileNotFoundError, IndexUnavailable, ModelUnavailable) as error:
        sys.exit(f"app.py: {error}")
    print(f"Engine ready in {time.perf_counter() - started:.1f} s: {len(engine.documents)} articles "
          f"from {engine.corpus_dir}, index in {engine.index_dir}", flush=True)

    demo = build_app(engine)
    demo.queue(default_concurrency_limit=CONCURRENCY).launch(
        server_name=args.host,
        server_port=args.port,
        share=False,
        theme=THEME,
        css=CSS,
        footer_links=["api"],
        ssr_mode=False,  # no Node server: the page is the static front end plus our API
        mcp_server=False,
        prevent_thread_lock=True,
    )
    warm_up_server(demo.local_url)
    print("Ready for questions.", flush=True)
    demo.block_thread()


if __name__ == "__main__":
    main()
