#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The mflowctl command-line contract, against a fake mflowd.

A fake server speaks mflowd's control protocol on a temporary unix socket
(JSON-RPC 2.0, one compact message per line, the built-in "list" and "help"
methods with parameter schemas) and records what it receives. The real
mflowctl binary runs against it, and the tests check its stdout, stderr and
exit code: tables, --json, argument conversion, usage errors, server errors,
no server, timeouts, huge answers, help and raw. Every wait is bounded.

With --valgrind every run of mflowctl goes through valgrind's memcheck, which
turns any memory error or leak into exit code 9.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print("%s %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else ": " + detail), flush=True)


VNI = {"name": "vni", "type": "integer", "required": True, "min": 0, "max": 16777215,
       "help": "The VxLAN network identifier."}
VNI_OPT = dict(VNI, required=False, help="Only this VNI.")

# (method, help, read_only, params) in registration order, built-ins first.
METHODS = [
    ("list", "List the method names.", True, []),
    ("help", "Describe the methods, or one method with its parameters.", True,
     [{"name": "method", "type": "string", "required": False, "max_length": 64,
       "help": "A method name."}]),
    ("vni.show", "Show the VNIs.", True, []),
    ("vni.add", "Create a VNI.", False, [VNI]),
    ("vni.del", "Delete a VNI.", False, [VNI]),
    ("fdb.show", "Show the forwarding database.", True, [VNI_OPT]),
    ("fdb.add", "Add a static FDB entry.", False,
     [VNI,
      {"name": "mac", "type": "mac", "required": True, "help": "The inner MAC address."},
      {"name": "vtep", "type": "ip", "required": True, "help": "The remote VTEP."}]),
    ("fdb.flush", "Remove FDB entries.", False,
     [VNI_OPT,
      {"name": "static", "type": "boolean", "required": False,
       "help": "Also remove the static entries."}]),
    ("port.add", "Open a port.", False,
     [{"name": "name", "type": "string", "required": True, "max_length": 32,
       "help": "The port name."},
      {"name": "devargs", "type": "string", "required": True, "max_length": 256,
       "help": "The DPDK device arguments."},
      {"name": "mtu", "type": "integer", "required": False, "min": 68, "max": 9000,
       "help": "The MTU."}]),
    ("mflow.set", "Change the microflow dispatcher.", False,
     [{"name": "mode", "type": "enum", "required": False, "choices": ["off", "rss", "mflow"],
       "help": "The dispatch mode."},
      {"name": "workers", "type": "integer", "required": False, "min": 1, "max": 64,
       "help": "Worker lcores."},
      {"name": "batch_size", "type": "integer", "required": False, "min": 1, "max": 512,
       "help": "Packets per burst."},
      {"name": "enabled", "type": "boolean", "required": False, "help": "On or off."},
      {"name": "tuning", "type": "object", "required": False, "help": "Expert settings."}]),
    ("stats.show", "Show the global statistics.", True, []),
    ("capture.start", "Start a capture.", False,
     [{"name": "port", "type": "string", "required": False, "help": "A port."},
      {"name": "vni", "type": "integer", "required": False, "min": 0, "max": 16777215,
       "help": "A VNI."},
      {"name": "file", "type": "string", "required": True, "help": "The pcap file."},
      {"name": "count", "type": "integer", "required": False, "min": 1,
       "max": 9223372036854775807, "help": "Stop after this many packets."}]),
    ("test.huge", "A big answer.", True, []),
    ("test.toobig", "An answer over 64 MiB.", True, []),
    ("test.hang", "Never answers.", True, []),
    ("test.garbage", "Answers with a line that is not JSON.", True, []),
    ("test.close", "Closes the connection instead of answering.", True, []),
    ("test.text", "Returns a string.", True, []),
    ("test.noise", "Sends an unrelated answer and a blank line first.", True, []),
]
BY_NAME = {m[0]: m for m in METHODS}

VNI_ROWS = [
    {"vni": 5001, "name": "blue", "ports": 2, "vteps": ["10.0.0.1", "10.0.0.2"]},
    {"vni": 16777215, "name": "red-long-name", "ports": 10, "vteps": []},
    {"vni": 7, "name": "x", "state": "down"},
]
STATS = {
    "uptime": 12,
    "version": "0.1.0",
    "ports": [{"name": "p0", "rx": 100, "tx": 5}, {"name": "p1", "rx": 7, "tx": 1234567}],
    "drops": {"total": 3, "by_reason": {"no_fdb": 2, "ttl": 1}},
    "vnis": [5001, 7],
    "empty": [],
    "note": None,
    "load": 0.5,
}
HUGE_ROWS = 150000


class RpcError(Exception):
    def __init__(self, code, message, errno=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.errno = errno


def describe(name):
    _, help_, ro, params = BY_NAME[name]
    return {"method": name, "help": help_, "read_only": ro, "params": params}


class FakeServer:
    """A fake mflowd control socket; answers in small chunks when chunked."""

    def __init__(self, path, chunked=False):
        self.path = path
        self.chunked = chunked
        self.log = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self.accept_loop, daemon=True)
        self.thread.start()

    def methods(self):
        with self.lock:
            return [m for m, _ in self.log]

    def last_params(self):
        with self.lock:
            return self.log[-1][1] if self.log else None

    def clear(self):
        with self.lock:
            self.log.clear()

    def stop(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()

    def accept_loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def send(self, conn, data):
        if not self.chunked:
            conn.sendall(data)
            return
        for i in range(0, len(data), 7):
            conn.sendall(data[i:i + 7])
            time.sleep(0.0005)

    def serve(self, conn):
        conn.settimeout(60)
        buf = b""
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not self.handle(conn, line):
                        return
        except OSError:
            pass
        finally:
            conn.close()

    def handle(self, conn, line):
        """Answer one request; False closes the connection."""
        req = json.loads(line)
        method = req.get("method")
        params = req.get("params")
        rid = req.get("id")
        with self.lock:
            self.log.append((method, params))
        if method == "test.hang":
            # Keep reading until the client goes away; never answer.
            try:
                while conn.recv(4096):
                    pass
            except OSError:
                pass
            return False
        if method == "test.close":
            return False
        if method == "test.garbage":
            self.send(conn, b"this is not json\n")
            return True
        if method == "test.toobig":
            head = b'{"jsonrpc":"2.0","id":%d,"result":"' % rid
            self.send(conn, head + b"x" * (65 << 20) + b'"}\n')
            return True
        if method == "test.noise":
            self.send(conn, b'{"jsonrpc":"2.0","id":999,"result":"not yours"}\n\n')
        try:
            result = self.call(method, params if params is not None else {})
            answer = {"jsonrpc": "2.0", "id": rid, "result": result}
        except RpcError as e:
            err = {"code": e.code, "message": e.message}
            if e.errno:
                err["data"] = {"errno": e.errno}
            answer = {"jsonrpc": "2.0", "id": rid, "error": err}
        self.send(conn, json.dumps(answer, separators=(",", ":")).encode() + b"\n")
        return True

    def call(self, method, params):
        if method not in BY_NAME:
            raise RpcError(-32601, "unknown method '%s'" % method)
        if not isinstance(params, dict):
            raise RpcError(-32602, "params: expected an object")
        if method == "list":
            return [m[0] for m in METHODS]
        if method == "help":
            if "method" in params:
                if params["method"] not in BY_NAME:
                    raise RpcError(-32602, "method: unknown method '%s'" % params["method"],
                                   "EINVAL")
                return describe(params["method"])
            return [{"method": m[0], "help": m[1], "read_only": m[2]} for m in METHODS]
        if method == "vni.show":
            return VNI_ROWS
        if method == "vni.add":
            vni = params.get("vni")
            if not isinstance(vni, int) or vni < 0 or vni > 16777215:
                raise RpcError(-32602, "vni: expected an integer in 0..16777215, got %s"
                               % json.dumps(vni), "EINVAL")
            if vni == 42:
                raise RpcError(-32002, "VNI 42 exists", "EEXIST")
            return True
        if method in ("vni.del", "fdb.add", "port.add", "mflow.set"):
            return None
        if method == "fdb.show":
            if params.get("vni") == 9:
                return []
            return [{"vni": 5001, "mac": "02:00:00:00:00:01", "vtep": "10.0.0.1",
                     "static": True}]
        if method == "fdb.flush":
            return {"flushed": 3}
        if method == "stats.show":
            return STATS
        if method == "capture.start":
            return {"id": 1, "file": params.get("file")}
        if method == "test.huge":
            return [{"i": i, "name": "row-%07d-abcdefghijklmnop" % i} for i in range(HUGE_ROWS)]
        if method == "test.text":
            return "hello\nworld"
        if method == "test.noise":
            return "mine"
        raise RpcError(-32603, "not implemented")


class Runner:
    def __init__(self, mflowctl, valgrind):
        self.mflowctl = mflowctl
        self.valgrind = valgrind

    def run(self, args, socket_path=None, env=None, timeout=None):
        cmd = []
        if self.valgrind:
            cmd = ["valgrind", "-q", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                   "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=9"]
        cmd.append(self.mflowctl)
        if socket_path is not None:
            cmd += ["--socket", socket_path]
        full_env = dict(os.environ)
        full_env.pop("MFLOWCTL_SOCKET", None)
        full_env.update(env or {})
        if timeout is None:
            timeout = 300 if self.valgrind else 30
        return subprocess.run(cmd + args, capture_output=True, text=True, timeout=timeout,
                              env=full_env)


def expect(name, p, rc, stdout=None, stderr=None, stdout_has=(), stderr_has=()):
    """Check the exit code and the output of a run."""
    problems = []
    if p.returncode != rc:
        problems.append("exit %d, expected %d" % (p.returncode, rc))
    if stdout is not None and p.stdout != stdout:
        problems.append("stdout %r, expected %r" % (p.stdout[:2000], stdout))
    if stderr is not None and p.stderr != stderr:
        problems.append("stderr %r, expected %r" % (p.stderr[:2000], stderr))
    for s in stdout_has:
        if s not in p.stdout:
            problems.append("stdout lacks %r: %r" % (s, p.stdout[:2000]))
    for s in stderr_has:
        if s not in p.stderr:
            problems.append("stderr lacks %r: %r" % (s, p.stderr[:2000]))
    check(name, not problems, "; ".join(problems))


def test_local(r, tmp):
    missing = os.path.join(tmp, "missing.sock")
    p = r.run(["--help"], socket_path=missing)
    expect("--help prints the usage without a server", p, 0, stderr="",
           stdout_has=("Usage: mflowctl [OPTIONS] COMMAND...", "Exit status:", "--timeout SEC",
                       "MFLOWCTL_SOCKET", "raw METHOD [JSON]", "help [GROUP [VERB]]"))
    p = r.run([])
    expect("no command is a usage error", p, 2, stdout="",
           stderr="mflowctl: no command given (try 'mflowctl --help')\n")
    p = r.run(["--timeout", "soon", "vni"])
    expect("a bad --timeout is a usage error", p, 2, stdout="",
           stderr="mflowctl: --timeout: expected a number of seconds above 0, got 'soon' "
                  "(try 'mflowctl --help')\n")
    p = r.run(["--frobnicate", "vni"])
    expect("an unknown option is a usage error", p, 2,
           stderr="mflowctl: unknown option '--frobnicate' (try 'mflowctl --help')\n")
    p = r.run(["raw", "vni.add", "{bad"], socket_path=missing)
    expect("raw with bad JSON is a usage error before connecting", p, 2,
           stderr_has=("mflowctl: raw: invalid JSON parameters: ",))
    p = r.run(["vni"], socket_path=missing)
    expect("no server exits 3", p, 3, stdout="",
           stderr="mflowctl: cannot connect to %s: No such file or directory "
                  "(is mflowd running?)\n" % missing)
    stale = os.path.join(tmp, "stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    p = r.run(["vni"], socket_path=stale)
    expect("a stale socket exits 3", p, 3,
           stderr="mflowctl: cannot connect to %s: Connection refused "
                  "(is mflowd running?)\n" % stale)


def test_output(r, srv):
    path = srv.path
    table = ("     VNI  NAME           PORTS  VTEPS                    STATE\n"
             "    5001  blue               2  [\"10.0.0.1\",\"10.0.0.2\"]  -\n"
             "16777215  red-long-name     10  []                       -\n"
             "       7  x                  -  -                        down\n")
    srv.clear()
    p = r.run(["vni"], socket_path=path)
    expect("GROUP alone calls GROUP.show and prints a table", p, 0, stdout=table, stderr="")
    check("GROUP alone asks list, help, then calls vni.show",
          srv.methods() == ["list", "help", "vni.show"], repr(srv.methods()))
    p = r.run(["vni", "show"], socket_path=path)
    expect("GROUP VERB", p, 0, stdout=table)
    p = r.run(["vni.show"], socket_path=path)
    expect("the method name directly", p, 0, stdout=table)
    p = r.run(["vni"], env={"MFLOWCTL_SOCKET": path})
    expect("the socket from MFLOWCTL_SOCKET", p, 0, stdout=table)
    p = r.run(["--json", "vni"], socket_path=path)
    expect("--json prints the result with indent 2", p, 0,
           stdout=json.dumps(VNI_ROWS, indent=2) + "\n", stderr="")

    stats = ("uptime:  12\n"
             "version: 0.1.0\n"
             "ports:\n"
             "  NAME   RX       TX\n"
             "  p0    100        5\n"
             "  p1      7  1234567\n"
             "drops:\n"
             "  total:     3\n"
             "  by_reason:\n"
             "    no_fdb: 2\n"
             "    ttl:    1\n"
             "vnis:    5001, 7\n"
             "empty:   (none)\n"
             "note:    -\n"
             "load:    0.5\n")
    p = r.run(["stats"], socket_path=path)
    expect("an object prints as key: value lines with sub-tables", p, 0, stdout=stats)
    p = r.run(["fdb", "vni=9"], socket_path=path)
    expect("an empty array prints (none); GROUP NAME=VALUE calls GROUP.show", p, 0,
           stdout="(none)\n")
    check("GROUP NAME=VALUE sends the converted parameter", srv.last_params() == {"vni": 9},
          repr(srv.last_params()))
    p = r.run(["fdb", "show", "5001"], socket_path=path)
    expect("booleans and strings in a table", p, 0,
           stdout=" VNI  MAC                VTEP      STATIC\n"
                  "5001  02:00:00:00:00:01  10.0.0.1  true\n")
    p = r.run(["list"], socket_path=path)
    expect("an array of strings prints one per line", p, 0,
           stdout="".join(m[0] + "\n" for m in METHODS))
    p = r.run(["test", "text"], socket_path=path)
    expect("a string result prints plainly", p, 0, stdout="hello\nworld\n")
    p = r.run(["capture", "start", "file=/tmp/x.pcap", "port=p0"], socket_path=path)
    expect("a write method's object result is printed", p, 0,
           stdout="id:   1\nfile: /tmp/x.pcap\n")
    check("several NAME=VALUE", srv.last_params() == {"file": "/tmp/x.pcap", "port": "p0"},
          repr(srv.last_params()))
    p = r.run(["test", "noise"], socket_path=path)
    expect("answers to other ids and blank lines are skipped", p, 0, stdout="mine\n")


def test_args(r, srv):
    path = srv.path
    srv.clear()
    p = r.run(["vni", "add", "5001"], socket_path=path)
    expect("a write method returning true prints ok", p, 0, stdout="ok\n", stderr="")
    check("a positional integer is sent as a JSON integer",
          srv.methods() == ["list", "help", "vni.add"] and srv.last_params() == {"vni": 5001},
          repr(srv.log))
    p = r.run(["--quiet", "vni", "del", "5001"], socket_path=path)
    expect("--quiet prints nothing for a null result", p, 0, stdout="", stderr="")
    p = r.run(["vni.add", "vni=0x10"], socket_path=path)
    expect("NAME=VALUE with hex", p, 0, stdout="ok\n")
    check("0x10 is sent as 16", srv.last_params() == {"vni": 16}, repr(srv.last_params()))
    p = r.run(["vni", "add", "-1"], socket_path=path)
    check("a negative value reaches the server", srv.last_params() == {"vni": -1},
          repr(srv.last_params()))
    p = r.run(["capture", "start", "file=x.pcap", "p0", "count=-0x8000000000000000", "5001"],
              socket_path=path)
    expect("INT64_MIN and positionals around named parameters", p, 0)
    check("positionals skip the parameters given by name",
          srv.last_params() == {"file": "x.pcap", "count": -9223372036854775808, "port": "p0",
                                "vni": 5001}, repr(srv.last_params()))
    p = r.run(["fdb", "add", "mac=02:00:00:00:00:01", "5001", "10.0.0.1"], socket_path=path)
    expect("fdb add with a mix of named and positional values", p, 0, stdout="ok\n")
    check("fdb add parameters",
          srv.last_params() == {"mac": "02:00:00:00:00:01", "vni": 5001, "vtep": "10.0.0.1"},
          repr(srv.last_params()))
    p = r.run(["mflow", "set", "mode=rss", "enabled=yes", 'tuning={"a": [1, 2]}', "4"],
              socket_path=path)
    expect("mflow set", p, 0, stdout="ok\n")
    check("enum, boolean, object and positional conversion",
          srv.last_params() == {"mode": "rss", "enabled": True, "tuning": {"a": [1, 2]},
                                "workers": 4}, repr(srv.last_params()))
    for word, value in (("on", True), ("OFF", False), ("1", True), ("0", False),
                        ("no", False), ("true", True)):
        srv.clear()
        r.run(["fdb", "flush", "static=" + word], socket_path=path)
        check("boolean %s" % word, srv.last_params() == {"static": value},
              repr(srv.last_params()))
    p = r.run(["fdb", "flush"], socket_path=path)
    expect("no arguments for optional parameters", p, 0, stdout="flushed: 3\n")
    check("no params are sent when none are given", srv.last_params() is None,
          repr(srv.last_params()))
    p = r.run(["port", "add", "p0", "net_tap0,iface=tap0"], socket_path=path)
    expect("a positional value containing '=' after a non-name", p, 0, stdout="ok\n")
    check("devargs keeps its '='", srv.last_params() == {"name": "p0",
                                                         "devargs": "net_tap0,iface=tap0"},
          repr(srv.last_params()))
    p = r.run(["port", "add", "p0", "devargs=iface=tap0"], socket_path=path)
    check("NAME=VALUE splits at the first '='",
          p.returncode == 0 and srv.last_params() == {"name": "p0", "devargs": "iface=tap0"},
          repr(srv.last_params()))

    usage = [
        ("an integer that is not a number", ["vni", "add", "abc"],
         "mflowctl: vni.add: vni: expected an integer in 0..16777215, got 'abc'\n"),
        ("an integer out of int64", ["vni", "add", "99999999999999999999"],
         "mflowctl: vni.add: vni: expected an integer in 0..16777215, "
         "got '99999999999999999999'\n"),
        ("a hex integer out of int64", ["vni", "add", "0x8000000000000000"],
         "mflowctl: vni.add: vni: expected an integer in 0..16777215, "
         "got '0x8000000000000000'\n"),
        ("an empty hex integer", ["vni", "add", "0x"],
         "mflowctl: vni.add: vni: expected an integer in 0..16777215, got '0x'\n"),
        ("too many positionals", ["vni", "add", "5001", "7"],
         "mflowctl: vni.add: too many arguments: '7' (parameters: vni)\n"),
        ("positionals for a method without parameters", ["vni", "show", "x"],
         "mflowctl: vni.show: too many arguments: 'x' (it takes no parameters)\n"),
        ("an unknown parameter", ["vni", "add", "foo=1"],
         "mflowctl: vni.add: unknown parameter 'foo' (parameters: vni)\n"),
        ("a parameter given twice", ["vni", "add", "vni=1", "vni=2"],
         "mflowctl: vni.add: parameter 'vni' given twice\n"),
        ("a bad boolean", ["fdb", "flush", "static=maybe"],
         "mflowctl: fdb.flush: static: expected a boolean (true/false, yes/no, on/off, 1/0), "
         "got 'maybe'\n"),
        ("a bad object", ["mflow", "set", "tuning=[1]"],
         "mflowctl: mflow.set: tuning: expected a JSON object, got '[1]'\n"),
        ("a missing required parameter", ["fdb", "add", "5001", "02:00:00:00:00:01"],
         "mflowctl: fdb.add: missing required parameter 'vtep' (IP address)\n"),
        ("an integer in a NAME=VALUE", ["port", "add", "p0", "x", "mtu=big"],
         "mflowctl: port.add: mtu: expected an integer in 68..9000, got 'big'\n"),
    ]
    for name, args, err in usage:
        srv.clear()
        p = r.run(args, socket_path=path)
        expect("usage error: " + name, p, 2, stdout="", stderr=err)
        check("usage error: %s sends only list and help" % name,
              srv.methods() == ["list", "help"], repr(srv.methods()))

    srv.clear()
    p = r.run(["foo", "bar"], socket_path=path)
    expect("an unknown command", p, 2, stdout="",
           stderr="mflowctl: unknown command 'foo bar' (try 'mflowctl help')\n")
    check("an unknown command sends only list", srv.methods() == ["list"], repr(srv.methods()))
    p = r.run(["vni", "frob", "1"], socket_path=path)
    expect("an unknown verb of a known group", p, 2,
           stderr="mflowctl: unknown command 'vni frob' (try 'mflowctl help vni')\n")
    p = r.run(["port"], socket_path=path)
    expect("a group without show", p, 2,
           stderr="mflowctl: unknown command 'port' (try 'mflowctl help port')\n")
    p = r.run(["vni.frob"], socket_path=path)
    expect("an unknown method name", p, 2,
           stderr="mflowctl: unknown command 'vni.frob' (try 'mflowctl help')\n")


def test_errors(r, srv, tmp):
    path = srv.path
    msg = "mflowctl: vni.add: vni: expected an integer in 0..16777215, got 16777216\n"
    p = r.run(["vni", "add", "16777216"], socket_path=path)
    expect("a server error exits 1 with its message", p, 1, stdout="", stderr=msg)
    p = r.run(["--json", "vni", "add", "16777216"], socket_path=path)
    expect("--json prints the error object too", p, 1, stderr=msg)
    try:
        err = json.loads(p.stdout)
    except ValueError:
        err = None
    check("--json error object", err == {"code": -32602, "message": msg[len("mflowctl: vni.add: "):-1],
                                         "data": {"errno": "EINVAL"}}, repr(p.stdout))
    check("--json error object is indented", p.stdout.startswith('{\n  "code": -32602,'),
          repr(p.stdout))
    p = r.run(["vni", "add", "42"], socket_path=path)
    expect("another server error", p, 1, stderr="mflowctl: vni.add: VNI 42 exists\n")

    p = r.run(["test", "garbage"], socket_path=path)
    expect("a malformed answer exits 3", p, 3,
           stderr_has=("mflowctl: malformed answer from mflowd: ",))
    p = r.run(["test", "close"], socket_path=path)
    expect("a lost connection exits 3", p, 3,
           stderr="mflowctl: lost the connection to mflowd (closed before answering)\n")

    start = time.monotonic()
    p = r.run(["--timeout", "1", "test", "hang"], socket_path=path)
    took = time.monotonic() - start
    expect("a method that never answers times out", p, 3, stdout="",
           stderr="mflowctl: timed out after 1 s waiting for mflowd\n")
    check("the timeout is about 1 s", 0.9 <= took < (15 if r.valgrind else 5), "%.2f s" % took)

    silent = os.path.join(tmp, "silent.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(silent)
    s.listen(4)
    try:
        start = time.monotonic()
        p = r.run(["--timeout", "1", "vni"], socket_path=silent)
        took = time.monotonic() - start
        expect("a server that never answers times out", p, 3, stdout="",
               stderr="mflowctl: timed out after 1 s waiting for mflowd\n")
        check("the silent server's timeout is about 1 s", 0.9 <= took < (15 if r.valgrind else 5),
              "%.2f s" % took)
        p = r.run(["--timeout", "0.3", "raw", "x"], socket_path=silent)
        expect("a fractional timeout", p, 3,
               stderr="mflowctl: timed out after 0.3 s waiting for mflowd\n")
    finally:
        s.close()

    p = r.run(["--json", "test", "huge"], socket_path=path)
    try:
        rows = json.loads(p.stdout)
    except ValueError:
        rows = None
    check("a huge answer (%d rows) arrives whole" % HUGE_ROWS,
          p.returncode == 0 and isinstance(rows, list) and len(rows) == HUGE_ROWS
          and rows[-1] == {"i": HUGE_ROWS - 1,
                           "name": "row-%07d-abcdefghijklmnop" % (HUGE_ROWS - 1)},
          "exit %d, stderr %r" % (p.returncode, p.stderr[:300]))
    p = r.run(["test", "huge"], socket_path=path)
    lines = p.stdout.splitlines()
    check("a huge answer prints as a table", p.returncode == 0 and len(lines) == HUGE_ROWS + 1
          and lines[0] == "     I  NAME" and lines[-1] == "%6d  row-%07d-abcdefghijklmnop"
          % (HUGE_ROWS - 1, HUGE_ROWS - 1), repr(lines[:2] + lines[-1:]))
    p = r.run(["--timeout", "120", "test", "toobig"], socket_path=path)
    expect("an answer over 64 MiB exits 3", p, 3, stdout="",
           stderr="mflowctl: answer from mflowd exceeds 64 MiB\n")


def test_help(r, srv):
    path = srv.path
    p = r.run(["help"], socket_path=path)
    expect("help lists the commands by group", p, 0, stderr="", stdout_has=(
        "\ngeneral:\n  help [GROUP [VERB]]  List the commands",
        "\n  raw METHOD [JSON]    Send METHOD",
        "\n  list                 List the method names.\n",
        "\nvni:\n  vni show             Show the VNIs.\n  vni add              Create a VNI.\n"
        "  vni del              Delete a VNI.\n",
        "\nfdb:\n  fdb show ", "\nmflow:\n  mflow set            Change the microflow dispatcher.\n"))
    check("help does not list the help method itself", "\n  help  " not in p.stdout, p.stdout)
    vni_add = ("vni.add: Create a VNI.\n"
               "usage: mflowctl vni add VNI\n"
               "parameters, by position in this order or as NAME=VALUE:\n"
               "  vni  integer 0..16777215  required  The VxLAN network identifier.\n")
    p = r.run(["help", "vni", "add"], socket_path=path)
    expect("help GROUP VERB", p, 0, stdout=vni_add, stderr="")
    p = r.run(["help", "vni.add"], socket_path=path)
    expect("help METHOD", p, 0, stdout=vni_add)
    p = r.run(["help", "vni"], socket_path=path)
    expect("help GROUP shows every command of the group", p, 0, stdout=(
        "vni.show (read-only): Show the VNIs.\n"
        "usage: mflowctl vni show\n"
        "\n" + vni_add + "\n" + vni_add.replace("add", "del").replace("Create", "Delete")))
    p = r.run(["help", "mflow", "set"], socket_path=path)
    expect("help with every parameter type", p, 0, stdout=(
        "mflow.set: Change the microflow dispatcher.\n"
        "usage: mflowctl mflow set [MODE] [WORKERS] [BATCH_SIZE] [ENABLED] [TUNING]\n"
        "parameters, by position in this order or as NAME=VALUE:\n"
        "  mode        one of off|rss|mflow  optional  The dispatch mode.\n"
        "  workers     integer 1..64         optional  Worker lcores.\n"
        "  batch_size  integer 1..512        optional  Packets per burst.\n"
        "  enabled     boolean               optional  On or off.\n"
        "  tuning      JSON object           optional  Expert settings.\n"))
    p = r.run(["help", "port", "add"], socket_path=path)
    expect("help with string lengths", p, 0, stdout_has=(
        "  name     string (max 32 bytes)   required  The port name.\n",
        "  mtu      integer 68..9000        optional  The MTU.\n"))
    p = r.run(["help", "nosuch"], socket_path=path)
    expect("help for an unknown command", p, 2,
           stderr="mflowctl: unknown command 'nosuch' (try 'mflowctl help')\n")
    p = r.run(["help", "a", "b", "c"], socket_path=path)
    expect("help with too many words", p, 2)
    p = r.run(["help", "raw"], socket_path=path)
    expect("help raw", p, 0, stdout_has=("usage: mflowctl raw METHOD [JSON-PARAMS]",))
    p = r.run(["--json", "help", "vni.add"], socket_path=path)
    check("--json help METHOD prints the schema", p.returncode == 0
          and json.loads(p.stdout) == describe("vni.add"), p.stdout)
    p = r.run(["--json", "help"], socket_path=path)
    check("--json help prints the method list", p.returncode == 0
          and [m["method"] for m in json.loads(p.stdout)] == [m[0] for m in METHODS], p.stdout)


def test_raw(r, srv):
    path = srv.path
    srv.clear()
    p = r.run(["raw", "vni.add", '{"vni": 7}'], socket_path=path)
    expect("raw sends the params as given", p, 0, stdout="ok\n")
    check("raw sends only the method", srv.log == [("vni.add", {"vni": 7})], repr(srv.log))
    p = r.run(["raw", "vni.add", '{"vni": "7"}'], socket_path=path)
    expect("raw does not convert", p, 1,
           stderr='mflowctl: vni.add: vni: expected an integer in 0..16777215, got "7"\n')
    p = r.run(["raw", "nosuch.method"], socket_path=path)
    expect("raw to an unknown method is a server error", p, 1,
           stderr="mflowctl: nosuch.method: unknown method 'nosuch.method'\n")
    p = r.run(["--json", "raw", "list"], socket_path=path)
    check("raw --json", p.returncode == 0 and json.loads(p.stdout) == [m[0] for m in METHODS],
          p.stdout)
    p = r.run(["raw"], socket_path=path)
    expect("raw without a method", p, 2)


def test_chunked(r, tmp):
    srv = FakeServer(os.path.join(tmp, "chunked.sock"), chunked=True)
    try:
        p = r.run(["fdb", "add", "5001", "02:00:00:00:00:01", "10.0.0.1"], socket_path=srv.path)
        expect("answers split into 7-byte writes", p, 0, stdout="ok\n")
        p = r.run(["stats"], socket_path=srv.path)
        expect("an object answer split into 7-byte writes", p, 0, stdout_has=("ttl:    1\n",))
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mflowctl", required=True)
    ap.add_argument("--valgrind", action="store_true",
                    help="run mflowctl under valgrind memcheck (errors exit 9)")
    args = ap.parse_args()
    if args.valgrind and shutil.which("valgrind") is None:
        print("valgrind is not installed")
        return 1
    r = Runner(os.path.abspath(args.mflowctl), args.valgrind)
    tmp = tempfile.mkdtemp(prefix="mflowctl-test-")
    srv = None
    try:
        test_local(r, tmp)
        srv = FakeServer(os.path.join(tmp, "mflowd.sock"))
        test_output(r, srv)
        test_args(r, srv)
        test_errors(r, srv, tmp)
        test_help(r, srv)
        test_raw(r, srv)
        test_chunked(r, tmp)
    finally:
        if srv is not None:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    failed = results.count(False)
    print("%d tests, %d failed" % (len(results), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
