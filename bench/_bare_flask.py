"""The reference of the hot-path benchmark: a bare Flask app answering ``GET /``, on the mock's own server.

``python bench/_bare_flask.py --port N`` serves it with :func:`mock_provider.server.make_server`, the function that
``jesign-mock serve`` uses, with the mock's default configuration: the same waitress, threads, limits, parser and
error answers. Only the app differs, so the difference between the two is what the mock's app costs.
"""

from __future__ import annotations

import argparse
import signal

from _common import exit_on_sigterm
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

from mock_provider import server
from mock_provider.config import load_config


def bare_app() -> Flask:
    """The least a Flask app does to answer a small JSON body."""
    app = Flask(__name__)

    @app.get("/")
    def index() -> ResponseReturnValue:
        return jsonify(service="bare flask")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    config = load_config({"host": "127.0.0.1", "port": args.port}, environ={})
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    sock = server.listen(config)
    server.make_server(config, sock, app=bare_app()).run()


if __name__ == "__main__":
    main()
