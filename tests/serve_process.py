"""`artidx serve` as a child process for the end-to-end tests (server_test.py, upload_test.py):
serving a stores.TestStore (local or S3), started on a free loopback port, its stderr (the
access log) in a file, stopped by SIGTERM."""

import http.client
import os
import re
import signal
import subprocess
import time


class ServeProcess:
    def __init__(self, artidx, store, *args, tokens=None):
        self.log_path = os.path.join(store.log_dir, f"serve-{time.monotonic_ns()}.log")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.log = open(self.log_path, "wb")
        cmd = [artidx, *store.args, "serve", "--listen", "127.0.0.1:0", "--threads", "4"]
        cmd += ["--tokens", tokens] if tokens else ["--no-auth"]
        self.proc = subprocess.Popen(cmd + list(args), stderr=self.log)
        self.port = None
        deadline = time.monotonic() + 20
        while self.port is None:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.read_log())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("artidx serve did not start: " + self.read_log())
            else:
                time.sleep(0.01)

    def read_log(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if re.search(pattern, self.read_log()):
                return True
            time.sleep(0.01)
        return False

    def conn(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        self.log.close()
        return code
