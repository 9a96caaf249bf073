#!/usr/bin/python3
"""Times a program from its start to its first Firehose request.

    scripts/bench/first-request.py --target URL [--runs N] -- COMMAND [ARG...]

A TCP relay on 127.0.0.1 forwards every connection to the simulator at
URL, and the program gets the relay's address in DEALWATCH_API_URL. Each
run starts the program and prints the time until the relay receives the
first `GET /v3/` request and until the first byte of its response is sent
back. The program is then ended with SIGTERM.
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

RUN_TIMEOUT_SECONDS = 60


class Relay:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.reset()
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def reset(self):
        with self.lock:
            self.first_request = None
            self.first_response = None
            self.request_seen = threading.Event()
            self.response_seen = threading.Event()

    def accept_loop(self):
        while True:
            client, _ = self.listener.accept()
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self.pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client, False), daemon=True).start()

    def pump(self, source, sink, from_client):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                now = time.monotonic()
                with self.lock:
                    if from_client and self.first_request is None and b"GET /v3/" in data:
                        self.first_request = now
                        self.request_seen.set()
                    elif not from_client and self.first_request is not None and self.first_response is None:
                        self.first_response = now
                        self.response_seen.set()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True, help="the simulator's base URL")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        sys.exit("first-request.py: no command given")

    target = urlparse(args.target)
    if target.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"first-request.py: the target must be on 127.0.0.1, not {target.hostname}")
    relay = Relay("127.0.0.1", target.port)
    env = dict(os.environ, DEALWATCH_API_URL=f"http://127.0.0.1:{relay.port}")

    to_request, to_response = [], []
    for run in range(1, args.runs + 1):
        relay.reset()
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        requested = relay.request_seen.wait(RUN_TIMEOUT_SECONDS)
        answered = relay.response_seen.wait(RUN_TIMEOUT_SECONDS) if requested else False
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if not answered:
            sys.exit(f"first-request.py: run {run}: no Firehose request within {RUN_TIMEOUT_SECONDS} s")
        to_request.append(1000 * (relay.first_request - started))
        to_response.append(1000 * (relay.first_response - started))
        print(f"run {run}: first request after {to_request[-1]:.0f} ms, response after {to_response[-1]:.0f} ms")
        time.sleep(1)

    print(
        f"start -> first request: median {statistics.median(to_request):.0f} ms, "
        f"min {min(to_request):.0f} ms, max {max(to_request):.0f} ms ({len(to_request)} runs)"
    )


if __name__ == "__main__":
    main()
