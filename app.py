"""Start the web chat: `python app.py [--host H] [--port P] [--corpus DIR] [--index DIR]`.

A thin launcher: it loads the engine (index and model) before serving, so the first question is fast,
and hands it to `qa.web.build_app`. All formatting lives in qa/web.py, all answering in qa/engine.py.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import time

# Before gradio (or chromadb, or the model) is imported: no analytics, no telemetry, no downloads.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

CONCURRENCY = 4  # the engine is thread-safe; this many questions are answered at once
WARM_UP_QUESTION = "How far did Ukrainian troops advance into Kursk?"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Web chat over the article corpus.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1",
                        help="address to bind (default 127.0.0.1, or $GRADIO_SERVER_NAME)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT") or 7860),
                        help="port (default 7860, or $GRADIO_SERVER_PORT)")
    parser.add_argument("--corpus", default=None, help="folder of articles (default: seeds/ or $QA_CORPUS_DIR)")
    parser.add_argument("--index", default=None, help="index folder (default: index/ or $QA_INDEX_DIR)")
    return parser.parse_args(argv)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not is_loopback(args.host):
        print(f"WARNING: binding to {args.host}, not loopback: anyone who can reach this machine on port "
              f"{args.port} can use the app. Use --host 127.0.0.1 to keep it local.", file=sys.stderr)

    from qa.engine import Engine
    from qa.web import CSS, THEME, build_app

    started = time.perf_counter()
    try:
        engine = Engine(corpus_dir=args.corpus, index_dir=args.index)
    except FileNotFoundError as error:
        sys.exit(f"app.py: {error}")
    engine.answer(WARM_UP_QUESTION)  # first forward pass is slow; pay it before anyone asks
    print(f"Engine ready in {time.perf_counter() - started:.1f} s: {len(engine.documents)} articles "
          f"from {engine.corpus_dir}", flush=True)

    demo = build_app(engine)
    demo.queue(default_concurrency_limit=CONCURRENCY).launch(
        server_name=args.host,
        server_port=args.port,
        share=False,
        theme=THEME,
        css=CSS,
        footer_links=["api"],
    )


if __name__ == "__main__":
    main()
