"""A hub endpoint that accepts connections but never answers: one line, exit 2, no hang."""

import os
import socket
import subprocess
import sys
import threading


def silent_server():
    """A listening socket on 127.0.0.1 that accepts every connection and never sends a byte."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept_forever():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:  # closed by the test
                return

    threading.Thread(target=accept_forever, daemon=True).start()
    return server, accepted


def test_a_hub_that_never_answers_fails_with_one_line(tmp_path):
    server, accepted = silent_server()
    port = server.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0", "HF_ENDPOINT": f"http://127.0.0.1:{port}",
           "HF_HOME": str(tmp_path / "hf"), "HF_HUB_CACHE": str(tmp_path / "hf" / "hub")}
    try:
        result = subprocess.run([sys.executable, "-m", "maskcli", "show", "Hi", "-t", "someorg/not-cached"],
                                capture_output=True, text=True, env=env, timeout=120)  # a hang guard only
    finally:
        server.close()
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: cannot load tokenizer 'someorg/not-cached'")
    assert "127.0.0.1: no answer within 3 s" in lines[0]
    assert accepted  # the probe did reach the server: the failure is the missing answer
