#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The mflowd command-line contract, run against the real binary.

Config errors name the key and value and exit 2 before EAL or any port
starts; a missing device or missing privileges exit 1 with a clear message;
SIGUSR1 writes the stats file; SIGTERM stops cleanly, prints the counters and
exits 0. Every run is bounded in time.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FULL = os.path.join(HERE, "..", "unit", "data", "full.json")
DROP_DEF = os.path.join(HERE, "..", "..", "vxlan", "vx_drop.def")

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print("%s %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else ": " + detail), flush=True)


def run(cmd, timeout=30, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


PREFIXES = []


def eal(name):
    """EAL arguments with a private runtime directory, removed at the end."""
    prefix = "mflowd-cli-%d-%s" % (os.getpid(), name)
    PREFIXES.append(prefix)
    return ["--no-pci", "--no-huge", "-m", "256", "--no-shconf", "--file-prefix", prefix,
            "--no-telemetry", "-l", "0"]


def write(tmp, name, doc):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def null_config(stats):
    return {
        "underlay": {"port": "net_null0", "ip4": "198.18.0.1/24", "mac": "02:00:00:00:00:01"},
        "vnis": [{"vni": 100, "vteps": ["198.18.0.2"]}],
        "endpoints": [{"name": "c1", "port": "net_null1", "vni": 100,
                       "mac": "02:00:00:00:01:11"}],
        "stats": {"file": stats},
    }


def wait_for(pred, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mflowd", required=True)
    args = ap.parse_args()
    mflowd = os.path.abspath(args.mflowd)

    try:
        with tempfile.TemporaryDirectory(prefix="mflowd-daemon-") as tmp:
            checks(mflowd, tmp)
    finally:
        for prefix in PREFIXES:
            shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
    failed = results.count(False)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


def checks(mflowd, tmp):
    """Every check, in a temporary directory."""
    r = run([mflowd, "--", "--config", FULL, "--check"])
    check("--check accepts the full example", r.returncode == 0 and "valid" in r.stdout,
          r.stderr)

    bad = json.load(open(FULL))
    bad["vnis"][0]["vni"] = 16777216
    r = run([mflowd] + eal("d1") + ["--", "--config", write(tmp, "bad.json", bad)])
    check("bad VNI exits 2 naming key and value",
          r.returncode == 2 and "vnis[0].vni" in r.stderr and "16777216" in r.stderr,
          "rc=%d %s" % (r.returncode, r.stderr))
    check("config error stops before EAL starts", "EAL" not in r.stderr, r.stderr)

    r = run([mflowd, "--", "--config", write(tmp, "syntax.json", '{"underlay": {,}}')])
    check("JSON syntax error exits 2 with line and column",
          r.returncode == 2 and "syntax.json:1:" in r.stderr, r.stderr)

    r = run([mflowd, "--", "--config", os.path.join(tmp, "missing.json")])
    check("missing config file exits 2", r.returncode == 2 and "missing.json" in r.stderr,
          r.stderr)

    r = run([mflowd, "--config", FULL])
    check("missing '--' separator exits 2 with usage",
          r.returncode == 2 and "usage" in r.stderr, r.stderr)

    r = run([mflowd, "--", "--config", FULL, "--bogus"])
    check("unknown option exits 2", r.returncode == 2, r.stderr)

    r = run([mflowd, "--", "--config", FULL, "--stats-interval", "-1"])
    check("bad --stats-interval exits 2", r.returncode == 2 and "stats-interval" in r.stderr,
          r.stderr)

    cfg = null_config(os.path.join(tmp, "s0.json"))
    cfg["underlay"]["port"] = "net_af_packet0,iface=mfnosuchif0"
    r = run([mflowd] + eal("d2") + ["--", "--config", write(tmp, "noif.json", cfg)])
    check("missing interface exits 1 naming the port",
          r.returncode == 1 and "mfnosuchif0" in r.stderr,
          "rc=%d %s" % (r.returncode, r.stderr[-500:]))

    # Without root, EAL or the port must fail with a message, not crash or hang.
    cfg = null_config(os.path.join(tmp, "s1.json"))
    cfg["underlay"]["port"] = "net_af_packet0,iface=lo"
    path = write(tmp, "unpriv.json", cfg)
    os.chmod(tmp, 0o755)
    os.chmod(path, 0o644)
    # EAL keeps its runtime directory under XDG_RUNTIME_DIR when not root.
    rundir = os.path.join(tmp, "run")
    os.mkdir(rundir)
    os.chmod(rundir, 0o777)
    r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", mflowd] +
            eal("d3") + ["--", "--config", path],
            env=dict(os.environ, XDG_RUNTIME_DIR=rundir))
    check("unprivileged run exits 1 with a message",
          r.returncode == 1 and r.stderr.strip() != "",
          "rc=%d %s" % (r.returncode, r.stderr[-500:]))

    stats = os.path.join(tmp, "stats.json")
    path = write(tmp, "null.json", null_config(stats))
    # The first periodic write comes at start, the next an hour later: any
    # file after that is SIGUSR1's.
    p = subprocess.Popen([mflowd] + eal("d4") + ["--", "--config", path,
                                                   "--stats-interval", "3600",
                                                   "--socket", os.path.join(tmp, "d4.sock")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        up = wait_for(lambda: os.path.exists(stats), 20)
        check("the stats file is written at start", up)
        if up:
            os.unlink(stats)
            p.send_signal(signal.SIGUSR1)
            up = wait_for(lambda: os.path.exists(stats), 10)
        check("SIGUSR1 writes the stats file", up)
        doc = json.load(open(stats)) if up else {}
        names = set(doc.get("drops", {}))
        want = set(re.findall(r"^VX_DROP\((\w+),", open(DROP_DEF).read(), re.M))
        check("stats name every drop reason of vx_drop.def", len(want) > 30 and names == want,
              str(sorted(names ^ want)))
        ports = [x["name"] for x in doc.get("ports", [])]
        check("stats list both ports", ports == ["underlay", "c1"], str(ports))
        fdb = doc.get("fdb", [])
        check("stats show the endpoint's static FDB entry",
              any(e["mac"] == "02:00:00:00:01:11" and e["kind"] == "local"
                  and e["target"] == "c1" and e["static"] for e in fdb), str(fdb))
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=15)
        check("SIGTERM exits 0", p.returncode == 0, "rc=%s %s" % (p.returncode, err[-500:]))
        check("counters printed at exit", "drop" in out and "underlay" in out, out[-500:])
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()

    tap_and_memif(mflowd, tmp)


def tap_and_memif(mflowd, tmp):
    """net_tap as the underlay, answering ARP and ping from a namespace the
    test creates, and net_memif (server role) as an endpoint port."""
    ns, tap = "mfd-tap-%d" % os.getpid(), "mfdtap%d" % (os.getpid() % 10000)
    stats = os.path.join(tmp, "tap-stats.json")
    cfg = {
        # net_tap gives the kernel side the port's MAC, so mflowd speaks with its own.
        "underlay": {"port": "net_tap0,iface=" + tap, "ip4": "198.18.7.1/24",
                     "mac": "02:00:00:00:07:01"},
        "vnis": [{"vni": 100, "vteps": ["198.18.7.2"]}],
        "endpoints": [{"name": "m1", "vni": 100, "mac": "02:00:00:00:07:11",
                       "port": "net_memif0,role=server,socket=" +
                               os.path.join(tmp, "memif.sock")}],
    }
    path = write(tmp, "tap.json", cfg)
    p = subprocess.Popen([mflowd] + eal("d5") + ["--", "--config", path, "--stats-file", stats,
                                                   "--stats-interval", "3600",
                                                   "--socket", os.path.join(tmp, "d5.sock")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        up = wait_for(lambda: os.path.exists(stats), 20)
        check("net_tap underlay and net_memif endpoint open", up,
              "" if up else (p.stderr.read() if p.poll() is not None else "no stats"))
        if not up:
            return
        run(["ip", "netns", "add", ns])
        run(["ip", "link", "set", tap, "netns", ns])
        run(["ip", "-n", ns, "link", "set", tap, "up"])
        run(["ip", "-n", ns, "addr", "add", "198.18.7.2/24", "dev", tap])
        r = run(["ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.2", "-W", "2",
                 "198.18.7.1"])
        check("ping over net_tap: ARP answered and echo replied", r.returncode == 0,
              r.stdout[-300:])
        os.unlink(stats)
        p.send_signal(signal.SIGUSR1)
        doc = json.load(open(stats)) if wait_for(lambda: os.path.exists(stats), 10) else {}
        st = doc.get("stats", {})
        check("counters show the ARP reply and 3 echo replies",
              st.get("arp_reply_tx", 0) >= 1 and st.get("echo_reply_tx") == 3, str(st))
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=15)
        check("SIGTERM with tap and memif ports exits 0", p.returncode == 0,
              "rc=%s" % p.returncode)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
