"""Private httpd instances on free 127.0.0.1 ports, stopped reliably (Python 3 standard library only).

Shared by bench/bench.py, bench/soak.py and bench/memcheck.py. An `Httpd` runs one server in its
own session (process group) from a config file the caller writes for the port it is given; it is
recorded in a registry so that `stop_all()` (installed on exit and on SIGINT/SIGTERM/SIGHUP by
`install_stop_handlers()`) stops every server still running, whatever went wrong. Every wait is
bounded.
"""

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
import time

HTTPD = os.environ.get("HTTPD", "/usr/sbin/apache2")
MODULES_DIR = os.environ.get("APACHE_MODULES_DIR", "/usr/lib/apache2/modules")

# Lines in an error log that mean a worker crashed or the module panicked.
CRASH_MARKERS = ("exit signal", "panic", "Segmentation fault", "AH00052")

_servers = []
_servers_lock = threading.Lock()
stopping = threading.Event()  # set on SIGINT/SIGTERM: no new server starts


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stats():
    """(pid, fields of /proc/<pid>/stat after the command name) for every live process: fields[0]
    is the state, [1] the parent pid, [2] the process group, [11] and [12] utime and stime."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                yield int(entry), f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue


def _record_pid(pid, alive):
    """Leave a file per running server (process-group leader) in $BENCH_PIDS_DIR for a shell trap."""
    d = os.environ.get("BENCH_PIDS_DIR")
    if not d:
        return
    path = os.path.join(d, str(pid))
    try:
        if alive:
            open(path, "w").close()
        else:
            os.unlink(path)
    except OSError:
        pass


def read_tail(paths, limit=3000):
    out = ""
    for p in paths:
        try:
            with open(p, errors="replace") as f:
                out += f.read()[-limit:]
        except OSError:
            pass
    return out


class Httpd:
    """One httpd on its own 127.0.0.1 port.

    write_conf(port) writes the config for that port and returns its path; argv(conf) returns the
    command line (e.g. [HTTPD, "-X", "-f", conf], or the same behind valgrind). The config's
    ErrorLog must be `error_log`; httpd's own stdout and stderr go to `stderr_path`.
    """

    def __init__(self, name, write_conf, argv, error_log, stderr_path, env=None):
        self.name = name
        self.write_conf = write_conf
        self.argv = argv
        self.error_log = error_log
        self.stderr_path = stderr_path
        self.env = env
        self.port = None
        self.conf = None
        self.proc = None

    def start(self, ready_timeout=120.0):
        """Start and wait until a connection is accepted; retry on a port taken in the meantime."""
        last_err = None
        for _attempt in range(5):
            if stopping.is_set():
                raise RuntimeError("interrupted")
            self.port = free_port()
            self.conf = self.write_conf(self.port)
            with open(self.stderr_path, "ab") as err:
                self.proc = subprocess.Popen(self.argv(self.conf), stdin=subprocess.DEVNULL, stdout=err,
                                             stderr=err, start_new_session=True, env=self.env)
            with _servers_lock:
                _servers.append(self)
            _record_pid(self.proc.pid, True)
            try:
                self._wait_ready(ready_timeout)
                return self
            except RuntimeError as e:
                last_err = e
                self.stop()
                if "Address already in use" not in self.tail():
                    break
        raise RuntimeError("%s: %s" % (self.name, last_err))

    def tail(self):
        return read_tail((self.stderr_path, self.error_log))

    def _wait_ready(self, timeout):
        """Connect until httpd accepts (one probe connection reaches httpd; refused ones do not)."""
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / 0.05) + 1):
            if self.proc.poll() is not None:
                raise RuntimeError("httpd exited with %s during start-up:\n%s" % (self.proc.returncode, self.tail()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        raise RuntimeError("httpd did not accept connections within %.0fs:\n%s" % (timeout, self.tail()))

    def children(self):
        """PIDs of the parent's live child processes (the MPM's workers)."""
        if self.proc is None:
            return []
        return [pid for pid, st in proc_stats() if int(st[1]) == self.proc.pid and st[0] != "Z"]

    def graceful(self):
        """`httpd -k graceful` with this config: the parent re-reads it, keeps the listener, and
        replaces its children as they finish their requests."""
        p = subprocess.run([HTTPD, "-f", self.conf, "-k", "graceful"], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("%s: graceful restart failed (%d): %s%s" % (self.name, p.returncode, p.stdout, p.stderr))

    def stop(self, timeout=60.0):
        """SIGTERM (httpd -X exits cleanly, so valgrind writes its output), bounded wait, SIGKILL."""
        p = self.proc
        if p is None:
            return
        if p.poll() is None:
            # httpd -X can miss a SIGTERM that arrives while it finishes a connection and block in
            # accept() again (seen in about one stop in five once clients wait for its close).
            # So repeat it.
            deadline = time.monotonic() + timeout
            while p.poll() is None and time.monotonic() < deadline:
                try:
                    p.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    p.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    pass
            if p.poll() is None:
                print("[httpd] %s: no exit %ss after SIGTERM, killing" % (self.name, timeout), file=sys.stderr)
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
        # MPM children share the process group; make sure none outlive the parent.
        try:
            os.killpg(p.pid, 0)
            time.sleep(0.5)
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        with _servers_lock:
            if self in _servers:
                _servers.remove(self)
        _record_pid(p.pid, False)
        self.proc = None

    def error_log_text(self):
        text = self.tail() if os.path.exists(self.stderr_path) else ""
        try:
            with open(self.error_log, errors="replace") as f:
                text = f.read()
        except OSError:
            pass
        return text

    def crash_lines(self):
        """Error-log lines that show a crash or a panic."""
        return [l for l in self.error_log_text().splitlines() if any(m in l for m in CRASH_MARKERS)]

    def check_error_log(self):
        text = self.error_log_text()
        for b in CRASH_MARKERS:
            if b in text:
                raise RuntimeError("%s: error log contains %r:\n%s" % (self.name, b, text[-2000:]))


def stop_all():
    with _servers_lock:
        servers = list(_servers)
    for s in servers:
        try:
            s.stop(timeout=20)
        except Exception as e:  # keep stopping the others
            print("[httpd] stopping %s: %s" % (s.name, e), file=sys.stderr)


def _on_signal(signum, _frame):
    stopping.set()
    stop_all()
    sys.exit(128 + signum)


def install_stop_handlers():
    """Stop every server on exit, on an exception that ends the program, and on SIGINT/TERM/HUP."""
    atexit.register(stop_all)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)
