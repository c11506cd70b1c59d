# SPDX-License-Identifier: BSD-3-Clause
"""pcap golden tests: net_pcap in -> mflowd -> net_pcap out, checked with tshark.

For every scenario of gen.py this script writes the input pcaps and a config
into a temporary directory, runs mflowd with every port as a net_pcap device,
waits (bounded) until the stats file shows that every input frame was
received, stops mflowd with SIGTERM and checks the output pcaps with tshark
and the final stats JSON against the expectations.

Prints one PASS or FAIL line per named check and "N passed, N failed" at the
end. Exit status: 0 when every check passed, 1 otherwise, 77 (skip) when
tshark or scapy is missing.
"""

import argparse
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TSHARK = "/usr/bin/tshark"
# How long one mflowd run may take to consume its input, and to stop.
CONSUME_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
TSHARK_TIMEOUT_S = 120
# Errors shown per failed check.
MAX_ERRORS = 12

# Fields read from every output frame. With "occurrence=f" each is the first
# occurrence, which is the outer header for eth, udp and vxlan, and for ip
# when the outer family is IPv4.
FIELDS = [
    "frame.len",
    "eth.dst",
    "eth.src",
    "eth.type",
    "ip.version",
    "ip.hdr_len",
    "ip.len",
    "ip.flags.df",
    "ip.flags.mf",
    "ip.frag_offset",
    "ip.ttl",
    "ip.proto",
    "ip.src",
    "ip.dst",
    "ip.checksum.status",
    "ipv6.version",
    "ipv6.plen",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.src",
    "ipv6.dst",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "udp.checksum",
    "udp.checksum.status",
    "vxlan.flags",
    "vxlan.vni",
    "_ws.malformed",
    "arp.opcode",
    "arp.src.hw_mac",
    "arp.src.proto_ipv4",
    "arp.dst.hw_mac",
    "arp.dst.proto_ipv4",
    "icmp.type",
    "icmp.code",
    "icmp.checksum.status",
    "icmpv6.type",
    "icmpv6.code",
    "icmpv6.checksum.status",
    "icmpv6.nd.na.flag.r",
    "icmpv6.nd.na.flag.s",
    "icmpv6.nd.na.flag.o",
    "icmpv6.nd.na.target_address",
    "icmpv6.opt.type",
    "icmpv6.opt.linkaddr",
]

# Values of *.checksum.status in tshark field output.
CSUM_GOOD = "1"


class Stop(Exception):
    """Raised by the SIGTERM/SIGINT handler so that cleanup runs."""


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, errors):
        """Record a check; @errors is a list of messages (empty: passed)."""
        if not errors:
            self.passed += 1
            print("PASS %s" % name, flush=True)
            return
        self.failed += 1
        print("FAIL %s" % name, flush=True)
        for e in errors[:MAX_ERRORS]:
            print("     %s" % e, flush=True)
        if len(errors) > MAX_ERRORS:
            print("     ... %d more" % (len(errors) - MAX_ERRORS), flush=True)


def tshark_frames(path):
    """Decode a pcap with tshark: a list of (raw bytes, {field: value})."""
    base = [TSHARK, "-n", "-r", path]
    opts = ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"]
    cmd = base + opts + ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=f", "-E", "quote=n"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TSHARK_TIMEOUT_S, check=True)
    rows = []
    for line in out.stdout.decode().splitlines():
        vals = line.split("\t")
        vals += [""] * (len(FIELDS) - len(vals))
        rows.append(dict(zip(FIELDS, vals)))
    out = subprocess.run(
        base + ["-T", "json", "-x", "-j", "frame"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=TSHARK_TIMEOUT_S,
        check=True,
    )
    text = out.stdout.decode().strip()
    pkts = json.loads(text) if text else []
    raws = [bytes.fromhex(p["_source"]["layers"]["frame_raw"][0]) for p in pkts]
    if len(raws) != len(rows):
        raise RuntimeError("tshark gave %d raw frames but %d field rows for %s" % (len(raws), len(rows), path))
    return list(zip(raws, rows))


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def port_counters(stats):
    return {p.get("name"): p for p in stats.get("ports", [])} if stats else {}


def run_mflowd(args, gen, scn, tmp):
    """Run one scenario. Returns (errors, final stats, output paths)."""
    paths = scn.write(tmp)
    order = ["underlay"] + scn.eps
    devargs = {}
    for i, port in enumerate(order):
        rx, tx = paths[port]
        devargs[port] = "net_pcap%d,rx_pcap=%s,tx_pcap=%s" % (i, rx, tx)
    cfg_path = os.path.join(tmp, scn.name + ".json")
    with open(cfg_path, "w") as f:
        json.dump(scn.config(devargs), f, indent=1)
    stats_path = os.path.join(tmp, scn.name + ".stats.json")
    log_path = os.path.join(tmp, scn.name + ".log")
    # EAL 22.11 refuses --in-memory with --no-huge (which implies legacy
    # memory); --no-shconf keeps the run from sharing state with others.
    prefix = "mflowd-pcap-%d-%s" % (os.getpid(), scn.name)
    cmd = [args.mflowd, "--no-pci", "--no-huge", "--no-shconf", "--no-telemetry", "-m", "512"]
    cmd += ["--file-prefix", prefix, "-l", args.lcores]
    cmd += ["--", "--config", cfg_path, "--stats-file", stats_path, "--stats-interval", "1",
            "--socket", os.path.join(tmp, scn.name + ".sock")]
    want = {p: len(scn.inputs[p]) for p in order}
    errors = []
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + CONSUME_TIMEOUT_S
        consumed_at = None
        stats = None
        while True:
            if proc.poll() is not None:
                errors.append("mflowd exited early with status %d" % proc.returncode)
                break
            if time.monotonic() > deadline:
                errors.append("input not consumed within %d s; last port counters: %s" % (CONSUME_TIMEOUT_S, rx_summary(stats)))
                break
            time.sleep(0.1)
            stats = read_json(stats_path)
            if stats is None:
                continue
            # The stats file exists, so the SIGUSR1 handler is installed.
            proc.send_signal(signal.SIGUSR1)
            time.sleep(0.1)
            stats = read_json(stats_path) or stats
            ports = port_counters(stats)
            done = all(p in ports and ports[p].get("rx_pkts", 0) >= n for p, n in want.items())
            if not done:
                continue
            # Let the loop run once more after the last receive, then stop it.
            if consumed_at is None:
                consumed_at = stats.get("uptime_s", 0)
                continue
            if stats.get("uptime_s", 0) > consumed_at:
                break
        before = stats_stamp(stats_path)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                errors.append("mflowd did not exit within %d s of SIGTERM" % STOP_TIMEOUT_S)
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT_S)
            else:
                if proc.returncode != 0:
                    errors.append("mflowd exited with status %d after SIGTERM (want 0)" % proc.returncode)
                elif stats_stamp(stats_path) == before:
                    errors.append("mflowd did not rewrite the stats file on exit")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        # EAL still creates its runtime directory; remove ours only.
        shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
    final = read_json(stats_path)
    if final is None:
        errors.append("no final stats file at %s" % stats_path)
    if errors:
        with open(log_path, "rb") as f:
            tail = f.read().decode(errors="replace").splitlines()[-15:]
        errors += ["log: " + line for line in tail]
    return errors, final, {p: paths[p][1] for p in order}


def stats_stamp(path):
    """Identity of the stats file's current version (it is replaced by rename)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def rx_summary(stats):
    return {n: p.get("rx_pkts") for n, p in port_counters(stats).items()}


def check_counters(rep, scn, final):
    name = scn.name
    if final is None:
        rep.check("%s: drop counters" % name, ["no final stats"])
        return
    errs = []
    drops = final.get("drops", {})
    for k in sorted(set(drops) | set(scn.drops)):
        want = scn.drops.get(k, 0)
        got = drops.get(k)
        if got != want:
            errs.append("drops.%s = %s, want %d" % (k, got, want))
    rep.check("%s: drop counters exact (%s)" % (name, ", ".join("%s=%d" % kv for kv in sorted(scn.drops.items())) or "all zero"), errs)
    if scn.stats:
        errs = []
        st = final.get("stats", {})
        for k, want in sorted(scn.stats.items()):
            if st.get(k) != want:
                errs.append("stats.%s = %s, want %d" % (k, st.get(k), want))
        rep.check("%s: stats counters (%s)" % (name, ", ".join("%s=%d" % kv for kv in sorted(scn.stats.items()))), errs)


def check_ports(rep, scn, final, outputs):
    errs = []
    ports = port_counters(final)
    for port, frames in outputs.items():
        p = ports.get(port)
        if p is None:
            errs.append("port %s missing from the stats" % port)
            continue
        if p.get("rx_pkts") != len(scn.inputs[port]):
            errs.append("port %s rx_pkts = %s, want %d" % (port, p.get("rx_pkts"), len(scn.inputs[port])))
        if p.get("tx_pkts") != len(frames):
            errs.append("port %s tx_pkts = %s but its pcap holds %d frames" % (port, p.get("tx_pkts"), len(frames)))
    rep.check("%s: port counters match the pcaps" % scn.name, errs)


def outer_errors(gen, scn, i, raw, f):
    """Header checks of one encapsulated frame; returns (errors, key or None)."""
    errs = []
    where = "underlay frame %d" % (i + 1)
    flen = len(raw)
    if f["_ws.malformed"]:
        errs.append("%s: tshark reports it malformed" % where)
    if f["eth.src"] != gen.UNDERLAY_MAC:
        errs.append("%s: eth.src %s, want underlay MAC %s" % (where, f["eth.src"], gen.UNDERLAY_MAC))
    if f["eth.type"] == "0x0800":
        olen = 50
        vtep = f["ip.dst"]
        exp = {
            "ip.version": "4",
            "ip.hdr_len": "20",
            "ip.len": str(flen - 14),
            "ip.flags.df": "1",
            "ip.flags.mf": "0",
            "ip.frag_offset": "0",
            "ip.ttl": "64",
            "ip.proto": "17",
            "ip.src": gen.LOCAL4,
            "ip.checksum.status": CSUM_GOOD,
            "udp.length": str(flen - 34),
            "udp.checksum": "0x0000",
        }
    elif f["eth.type"] == "0x86dd":
        olen = 70
        vtep = f["ipv6.dst"]
        exp = {
            "ipv6.version": "6",
            "ipv6.plen": str(flen - 54),
            "ipv6.nxt": "17",
            "ipv6.hlim": "64",
            "ipv6.src": gen.LOCAL6,
            "udp.length": str(flen - 54),
            "udp.checksum.status": CSUM_GOOD,
        }
    else:
        return ["%s: ethertype %s is neither IPv4 nor IPv6" % (where, f["eth.type"])], None
    exp["udp.dstport"] = str(gen.VXLAN_PORT)
    exp["vxlan.flags"] = "0x0800"
    for k, v in exp.items():
        if f[k] != v:
            errs.append("%s (to %s): %s = %r, want %r" % (where, vtep, k, f[k], v))
    want_mac = scn.neigh.get(vtep)
    if f["eth.dst"] != want_mac:
        errs.append("%s: eth.dst %s, want neighbour MAC %s of %s" % (where, f["eth.dst"], want_mac, vtep))
    try:
        sport = int(f["udp.srcport"])
    except ValueError:
        sport = -1
    if not 49152 <= sport <= 65535:
        errs.append("%s: UDP source port %s outside 49152..65535" % (where, f["udp.srcport"]))
    if flen < olen or not f["vxlan.vni"]:
        errs.append("%s: no VxLAN header" % where)
        return errs, None
    vni = int(f["vxlan.vni"])
    vxh = raw[olen - 8 : olen]
    if vxh != bytes([0x08, 0, 0, 0]) + vni.to_bytes(3, "big") + b"\0":
        errs.append("%s: VxLAN header bytes %s, want flags 08 and zero reserved fields" % (where, vxh.hex()))
    return errs, (vtep, vni, raw[olen:])


def describe(scn, key):
    fid, seq = scn.frame_id.get(key[-1], (None, None))
    if fid is None:
        return "unknown frame of %d bytes (%s...)" % (len(key[-1]), key[-1][:20].hex())
    return "flow %d (%s) seq %d, %d bytes" % (fid, scn.flows.get(fid, "?"), seq, len(key[-1]))


def multiset_errors(scn, what, expected, actual):
    """Compare two Counters of keys whose last element is the frame bytes."""
    errs = []
    for k in expected:
        if actual[k] < expected[k]:
            errs.append("%s: missing %dx %s%s" % (what, expected[k] - actual[k], describe(scn, k), dest(k)))
    for k in actual:
        if actual[k] > expected[k]:
            errs.append("%s: unexpected %dx %s%s" % (what, actual[k] - expected[k], describe(scn, k), dest(k)))
    return errs


def dest(k):
    return " to VTEP %s VNI %d" % (k[0], k[1]) if len(k) == 3 else ""


def order_errors(scn, what, expected_seq, actual_seq):
    """Per-flow order: @expected_seq and @actual_seq are lists of (group, fid, seq)."""
    def by_flow(lst):
        d = collections.defaultdict(list)
        for group, fid, seq in lst:
            d[(group, fid)].append(seq)
        return d

    exp = by_flow(expected_seq)
    act = by_flow(actual_seq)
    errs = []
    for key, seqs in act.items():
        pos = {s: i for i, s in enumerate(exp.get(key, []))}
        # Frames that should not be there at all are reported by the multiset check.
        idx = [pos[s] for s in seqs if s in pos]
        if any(b <= a for a, b in zip(idx, idx[1:])):
            errs.append("%s: flow %d (%s) via %s out of order: seq %s" % (what, key[1], scn.flows.get(key[1], "?"), key[0], seqs))
    return errs


def check_replies(rep, scn, frames):
    errs = []
    want = scn.expect_replies
    if len(frames) != len(want):
        errs.append("%d frames on the underlay, want %d" % (len(frames), len(want)))
    for i, ((_raw, f), (desc, exp)) in enumerate(zip(frames, want)):
        for k, v in exp.items():
            if f[k] != v:
                errs.append("frame %d (%s): %s = %r, want %r" % (i + 1, desc, k, f[k], v))
    rep.check("%s: underlay replies, in order: %s" % (scn.name, "; ".join(d for d, _e in want)), errs)


def check_underlay(rep, gen, scn, frames):
    name = scn.name
    if scn.expect_replies is not None:
        check_replies(rep, scn, frames)
        return
    hdr_errs = []
    actual = collections.Counter()
    act_order = []
    sports = collections.defaultdict(set)
    for i, (raw, f) in enumerate(frames):
        errs, key = outer_errors(gen, scn, i, raw, f)
        hdr_errs += errs
        if key is None:
            continue
        actual[key] += 1
        fid, seq = scn.frame_id.get(key[2], (None, None))
        if fid is not None:
            act_order.append((key[0], fid, seq))
            sports[fid].add(f["udp.srcport"])
    expected = collections.Counter((vtep, vni, inner) for vtep, vni, inner, _f, _s in scn.expect_underlay)
    if not scn.expect_underlay and not frames:
        rep.check("%s: nothing sent on the underlay" % name, [])
        return
    if not scn.expect_underlay:
        rep.check("%s: nothing sent on the underlay" % name, ["%d frames sent, first: %s" % (len(frames), frames[0][0][:64].hex())])
        return
    n4 = sum(1 for _r, f in frames if f["eth.type"] == "0x0800")
    rep.check(
        "%s: outer headers of %d encapsulated frames (%d IPv4, %d IPv6): MACs, DF, TTL/hop limit 64, checksums, port 4789, source port range, VxLAN flags"
        % (name, len(frames), n4, len(frames) - n4),
        hdr_errs,
    )
    rep.check(
        "%s: encapsulated inner frames byte-identical, one copy per VTEP of the VNI, nothing else (%d expected)" % (name, sum(expected.values())),
        multiset_errors(scn, "underlay", expected, actual),
    )
    exp_order = [(vtep, fid, seq) for vtep, _vni, _inner, fid, seq in scn.expect_underlay]
    rep.check("%s: per-flow order kept on the underlay" % name, order_errors(scn, "underlay", exp_order, act_order))
    if scn.entropy_fids:
        errs = []
        owner = {}
        for fid in sorted(scn.entropy_fids):
            ports = sports.get(fid, set())
            if len(ports) > 1:
                errs.append("flow %d (%s) used several UDP source ports: %s" % (fid, scn.flows.get(fid), sorted(ports)))
            for p in ports:
                if p in owner and owner[p] != fid:
                    errs.append("flows %d and %d share UDP source port %s" % (owner[p], fid, p))
                owner[p] = fid
        rep.check("%s: UDP source port entropy: one port per inner flow, distinct across %d flows" % (name, len(scn.entropy_fids)), errs)


def check_endpoint(rep, gen, scn, ep, frames):
    expected = collections.Counter((raw,) for raw, _f, _s in scn.expect_ep[ep])
    actual = collections.Counter((raw,) for raw, _fields in frames)
    errs = multiset_errors(scn, ep, expected, actual)
    errs += ["%s frame %d: tshark reports it malformed" % (ep, i + 1) for i, (_r, f) in enumerate(frames) if f["_ws.malformed"]]
    exp_order = [(ep, fid, seq) for _raw, fid, seq in scn.expect_ep[ep]]
    act_order = [(ep,) + scn.frame_id[raw] for raw, _f in frames if raw in scn.frame_id]
    errs += order_errors(scn, ep, exp_order, act_order)
    n = sum(expected.values())
    if n:
        what = "%s: endpoint %s got exactly its %d frames (VNI %d), byte-identical, in order" % (scn.name, ep, n, gen.EPS[ep][0])
    else:
        what = "%s: endpoint %s got nothing" % (scn.name, ep)
    rep.check(what, errs)


def check_fdb(rep, scn, final):
    if scn.fdb_expect is None or final is None:
        return
    got = set()
    errs = []
    for e in final.get("fdb", []):
        try:
            got.add((e["vni"], e["mac"].lower(), e["kind"], e["target"], bool(e["static"])))
        except (KeyError, AttributeError):
            errs.append("malformed fdb entry %r" % (e,))
    for e in sorted(scn.fdb_expect - got, key=str):
        errs.append("missing FDB entry vni=%d mac=%s kind=%s target=%s static=%s" % e)
    for e in sorted(got - scn.fdb_expect, key=str):
        errs.append("unexpected FDB entry vni=%d mac=%s kind=%s target=%s static=%s" % e)
    rep.check("%s: FDB after the run (static entries kept, inner sources learned per VTEP)" % scn.name, errs)


def run_scenario(rep, args, gen, scn, tmp):
    print("# %s: %s" % (scn.name, scn.what), flush=True)
    errs, final, outputs = run_mflowd(args, gen, scn, tmp)
    rep.check("%s: mflowd consumed %d input frames and exited 0 on SIGTERM" % (scn.name, sum(len(v) for v in scn.inputs.values())), errs)
    if final is None:
        return
    decoded = {}
    for port, path in outputs.items():
        if not os.path.exists(path):
            rep.check("%s: output pcap of %s exists" % (scn.name, port), ["%s missing" % path])
            return
        decoded[port] = tshark_frames(path)
    check_counters(rep, scn, final)
    check_ports(rep, scn, final, decoded)
    check_underlay(rep, gen, scn, decoded["underlay"])
    for ep in scn.eps:
        check_endpoint(rep, gen, scn, ep, decoded[ep])
    check_fdb(rep, scn, final)


def on_signal(signum, _frame):
    raise Stop("signal %d" % signum)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mflowd", required=True, help="path of the mflowd executable")
    ap.add_argument("--lcores", default="0", help="EAL -l argument (default 0)")
    ap.add_argument("--scenario", action="append", help="run only this scenario (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()

    if not os.access(TSHARK, os.X_OK):
        print("SKIP: %s not found" % TSHARK)
        return 1 if os.environ.get('MFLOWD_TEST_STRICT') else 77
    # Keep the source tree clean: no __pycache__ next to gen.py.
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import gen
    except ImportError as e:
        print("SKIP: cannot import the generator (scapy missing?): %s" % e)
        return 1 if os.environ.get('MFLOWD_TEST_STRICT') else 77

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rep = Report()
    tmp = tempfile.mkdtemp(prefix="mflowd-pcap-")
    try:
        for scn in gen.scenarios():
            if args.scenario and scn.name not in args.scenario:
                continue
            try:
                run_scenario(rep, args, gen, scn, tmp)
            except (subprocess.SubprocessError, RuntimeError, OSError, ValueError) as e:
                rep.check("%s: checker ran to completion" % scn.name, ["%s: %s" % (type(e).__name__, e)])
    except Stop as e:
        rep.check("test run not interrupted", [str(e)])
    finally:
        if args.keep:
            print("# kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (rep.passed, rep.failed))
    return 1 if rep.failed or rep.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
