# bench/lib/bench.sh - what the shell benchmarks share (sourced, not run):
#   free_port            a port free for TCP and UDP alike on 127.0.0.1 (and
#                        port + 2 for UDP: SIPp's media port takes both)
#   cpu_ticks PID        user + system clock ticks a process has used
#   sipp_stats FILE      "ACHIEVED SUCCESSFUL FAILED" from SIPp's -stf file
#                        (achieved: successful calls per second of the run)
#   wait_healthy URL PID SECONDS   wait for /healthz, or fail

free_port() {
  python3 - <<'PY'
import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); port = t.getsockname()[1]
    held = [t]
    try:
        for p in (port, port + 2):  # SIPp binds its media port and media port + 2
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); held.append(u)
            u.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        for s in held: s.close()
    print(port); break
PY
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

sipp_stats() {
  python3 - "$1" <<'PY'
import sys
rows = [l.rstrip("\n").split(";") for l in open(sys.argv[1]) if l.strip()]
head, last = rows[0], rows[-1]
col = lambda name: last[head.index(name)]
# times are "DATE\tTIME\tEPOCH": from the start to the last row (the end)
epoch = lambda name: float(col(name).split("\t")[-1])
elapsed = epoch("CurrentTime") - epoch("StartTime")
ok, failed = int(col("SuccessfulCall(C)")), int(col("FailedCall(C)"))
print(f"{ok / elapsed if elapsed else 0:.0f} {ok} {failed}")
PY
}

wait_healthy() {
  local url=$1 pid=$2 seconds=$3
  for _ in $(seq $((seconds * 10))); do
    curl -sf "$url/healthz" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  curl -sf "$url/healthz" >/dev/null
}
