#!/usr/bin/env python3
"""analyse.py - one step of bench/bridged-calls, from its environment:

MODE (sb or relay), N, DIR (the step's folder: SIPp's stat.csv, relay.out),
RC (SIPp's exit code), HZ, T_START, T0, T1 (the window, epoch seconds),
C0, C1 (the measured process's CPU ticks at the window's edges), G0, G1
(the SIPp caller's and callee's), M0, M1, MT0, MT1 (the machine's busy and
total jiffies), MEDIA (seconds of audio each caller plays), and for the
server SOURCE (api or db), URL, KEY, DB.

SOCK_DROPS and ECHO_DROPS are the packets the measured process's and the
echo's UDP sockets dropped for want of room from the step's start to the
window's end, and to the step's end (drops.py).

Prints one JSON object: n, label, up, failed, loss_pct, pps, cpu_pct,
us_per_packet, gen_cpu_pct, busy_pct, pass, why, missing (packets missing
along the way), where (the same in words), and the totals.
"""
import datetime
import json
import os
import sqlite3
import sys
import time
import urllib.request

PTIME = 0.020
LOSS_MAX = 0.001

env = os.environ
mode, n, d = env["MODE"], int(env["N"]), env["DIR"]
hz = float(env["HZ"])
t_start, t0, t1 = float(env["T_START"]), float(env["T0"]), float(env["T1"])
window = t1 - t0
media = float(env["MEDIA"])
packets = round(media / PTIME)  # each caller's capture
cpu = (int(env["C1"]) - int(env["C0"])) / hz
gen_cpu = (int(env["G1"]) - int(env["G0"])) / hz
busy = (int(env["M1"]) - int(env["M0"])) / max(1, int(env["MT1"]) - int(env["MT0"]))


def sipp_counts():
    """Successful and failed calls from SIPp's statistics file (its last row)."""
    try:
        rows = [l.rstrip("\n").split(";") for l in open(os.path.join(d, "stat.csv")) if l.strip()]
        head, last = rows[0], rows[-1]
        return int(last[head.index("SuccessfulCall(C)")]), int(last[head.index("FailedCall(C)")])
    except (OSError, ValueError, IndexError):
        return 0, n


def ms(v):
    """A time of a call record (ISO 8601 from the API, ms from the store) in epoch seconds."""
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return v / 1000.0
    return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()


def records():
    """This step's calls: every call started since the step began."""
    if env["SOURCE"] == "api":
        req = urllib.request.Request(env["URL"], headers={"X-API-Key": env["KEY"]})
        with urllib.request.urlopen(req, timeout=30) as r:
            items = json.load(r)["items"]
    else:  # past the API's 500: the store itself, read-only
        db = sqlite3.connect(f"file:{env['DB']}?mode=ro", uri=True, timeout=30)
        db.row_factory = sqlite3.Row
        items = [dict(r) for r in db.execute(
            "SELECT started_at AS startedAt, answered_at AS answeredAt, state, legs FROM calls"
            " WHERE started_at >= ?", (int((t_start - 1) * 1000),))]
        db.close()
        for it in items:
            it["legs"] = json.loads(it["legs"]) if it["legs"] else []
    return [c for c in items if ms(c["startedAt"]) >= t_start - 1]


ok, failed = sipp_counts()
failed += max(0, n - ok - failed)
why = []
result = {"n": n, "label": "switchboard" if mode == "sb" else "bare relay", "sipp_rc": int(env["RC"])}

if mode == "sb":
    # the legs' figures arrive as the media threads close them
    calls = []
    for _ in range(60):
        calls = records()
        done = [c for c in calls if c["state"] == "ended" and len(c["legs"]) >= 2]
        if len(done) >= len(calls) and len(calls) >= ok:
            break
        time.sleep(0.5)
    answered = [c for c in calls if c.get("answeredAt") and len(c["legs"]) >= 2]
    relayed_total = in_window = tx_a = lost = 0
    sums = {"a_rx": 0, "a_tx": 0, "b_rx": 0, "b_tx": 0}
    up = 0
    jitter = 0.0
    for c in answered:
        a, b = sorted(c["legs"], key=lambda l: l["leg"])[:2]  # A (the caller's) opened first
        relayed = a["txPackets"] + b["txPackets"]
        relayed_total += relayed
        tx_a += a["txPackets"]
        for leg, name in ((a, "a"), (b, "b")):
            sums[name + "_rx"] += leg["rxPackets"]
            sums[name + "_tx"] += leg["txPackets"]
        lost += a["lost"] + b["lost"]
        jitter = max(jitter, a["jitterMs"], b["jitterMs"])
        start = ms(c["answeredAt"])
        end = start + media
        in_window += relayed * max(0.0, min(t1, end) - max(t0, start)) / media
        if start <= t0 and end >= t1:
            up += 1
    loss = 1 - tx_a / (len(answered) * packets) if answered else 1.0
    if answered:
        starts = sorted(ms(c["answeredAt"]) - t_start for c in answered)
        result.update(first_answer_s=round(starts[0], 3), last_answer_s=round(starts[-1], 3),
                      window_from_s=round(t0 - t_start, 3), window_to_s=round(t1 - t_start, 3))
    # where packets went missing, along their way (see bench/bridged-calls)
    where = {"into leg A": len(answered) * packets - sums["a_rx"],
             "A->B relay": sums["a_rx"] - sums["b_tx"],
             "B->echo->B": sums["b_tx"] - sums["b_rx"],
             "B->A relay": sums["b_rx"] - sums["a_tx"]}
    result["missing"] = where
    result["where"] = ", ".join(f"{k} {v}" for k, v in where.items() if v)
    result.update(calls=len(calls), answered=len(answered), relayed=relayed_total,
                  lost_seen_by_server=lost, max_jitter_ms=round(jitter, 2))
    if len(calls) < n:
        why.append(f"{n - len(calls)} calls never reached the server")
else:
    lines = [l.split() for l in open(os.path.join(d, "relay.out")) if l.startswith("relayed")]
    counts = [dict(zip(l[0::2], map(int, l[1::2]))) for l in lines]
    if len(counts) < 3:
        counts += [{"relayed": 0, "to_echo": 0, "to_caller": 0, "errors": 0}] * (3 - len(counts))
    in_window = counts[1]["relayed"] - counts[0]["relayed"]
    last = counts[-1]
    loss = 1 - last["to_caller"] / (ok * packets) if ok else 1.0
    # no per-call records: all N were up if the window carried N calls' packets
    # (from the packets towards the echo: the way back has the echo's losses)
    up = min(n, round((counts[1]["to_echo"] - counts[0]["to_echo"]) / (window / PTIME)))
    where = {"caller->relay->echo": ok * packets - last["to_echo"],
             "echo->relay->caller": last["to_echo"] - last["to_caller"]}
    result["missing"] = where
    result["where"] = ", ".join(f"{k} {v}" for k, v in where.items() if v)
    result.update(relayed=last["relayed"], send_errors=last["errors"])

result.update(socket_drops=int(env.get("SOCK_DROPS", 0)), echo_socket_drops=int(env.get("ECHO_DROPS", 0)))
expected = (len(answered) if mode == "sb" else ok) * packets
echo_loss = min(max(0.0, loss), result["echo_socket_drops"] / expected if expected else 0.0)
loss = max(0.0, loss - echo_loss)  # the load generator's drops apart
result["echo_loss_pct"] = echo_loss * 100
if result["where"]:
    result["where"] += (f"; full socket buffers dropped {result['socket_drops']} in the {result['label']}"
                        f" (until the window's end) and {result['echo_socket_drops']} at the echo")
if failed:
    why.append(f"{failed} calls failed")
if up < n:
    why.append(f"only {up} of {n} calls streamed through the whole window")
if loss >= LOSS_MAX:
    why.append(f"loss {loss * 100:.3f}% >= {LOSS_MAX * 100:g}% (missing: {result['where']})")
result.update(
    up=up, failed=failed, loss_pct=loss * 100, window_s=round(window, 3),
    packets_in_window=round(in_window), pps=in_window / window if window else 0,
    cpu_s=cpu, cpu_pct=100 * cpu / window if window else 0,
    us_per_packet=1e6 * cpu / in_window if in_window else None,
    gen_cpu_pct=100 * gen_cpu / window if window else 0, busy_pct=100 * busy,
    pass_=not why, why="; ".join(why))
result["pass"] = result.pop("pass_")
print(json.dumps(result))
