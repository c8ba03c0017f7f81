"""A throwaway redis-server for the tests that need state shared across workers and hosts: loopback only, no
persistence, never as root (it drops to `nobody` when the tests run as root), stopped with the tests."""
import os
import shutil
import socket
import subprocess
import time

import pytest
import redis

from tests.live_server import own_group_ended_with_parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/bootstrap.sh installs it)")
    port = _free_port()
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
               "--dir", "/tmp", "--protected-mode", "yes"]
    if os.getuid() == 0:
        command = ["runuser", "-u", "nobody", "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=own_group_ended_with_parent)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield url
    os.killpg(process.pid, 15)
    process.wait(timeout=10)
