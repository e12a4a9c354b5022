#!/usr/bin/env python3
"""make_pcap.py OUT SECONDS - a G.711 stream for SIPp's play_pcap_audio.
make_pcap.py --raw OUT SECONDS - the same audio as raw mu-law bytes, for
SIPp's rtp_stream (8000 bytes a second, sent 160 to a packet).

One RTP stream (PCMU, payload type 0, 20 ms packets of 160 bytes, 50 a
second) of SECONDS seconds: a 440 Hz tone, in a classic pcap file
(Ethernet, IPv4, UDP). SIPp keeps only the UDP part and the capture times:
it rewrites the ports (source: its media port; destination: the port of
the peer's SDP) and the addresses, and sends each packet at its time.
"""
import math
import struct
import sys

RATE, PTIME, PT, SSRC = 8000, 0.020, 0, 0x5B0A7D11
SAMPLES = int(RATE * PTIME)  # 160


def ulaw(sample):
    """G.711 mu-law of a 16-bit sample."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exponent = 7
    while exponent > 0 and not sample & (0x4000 >> (7 - exponent)):
        exponent -= 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | exponent << 4 | mantissa) & 0xFF


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main():
    raw = sys.argv[1] == "--raw"
    out, seconds = sys.argv[1 + raw], float(sys.argv[2 + raw])
    count = int(round(seconds / PTIME))
    period = [ulaw(int(8000 * math.sin(2 * math.pi * 440 * i / RATE))) for i in range(RATE)]
    if raw:
        with open(out, "wb") as f:
            f.write(bytes(period[i % RATE] for i in range(count * SAMPLES)))
        return
    src, dst = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])
    with open(out, "wb") as f:
        # pcap: magic, version 2.4, zone, sigfigs, snaplen, link type 1 (Ethernet)
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n in range(count):
            start = (n * SAMPLES) % RATE
            payload = bytes(period[(start + i) % RATE] for i in range(SAMPLES))
            rtp = struct.pack("!BBHII", 0x80, (0x80 if n == 0 else 0) | PT, n & 0xFFFF,
                              (n * SAMPLES) & 0xFFFFFFFF, SSRC) + payload
            udp_len = 8 + len(rtp)
            udp = struct.pack("!HHHH", 6000, 6000, udp_len, 0) + rtp
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, n & 0xFFFF, 0x4000, 64, 17, 0,
                             src, dst)
            ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            frame = b"\0" * 12 + b"\x08\x00" + ip + udp
            t = n * PTIME
            f.write(struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)), len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
