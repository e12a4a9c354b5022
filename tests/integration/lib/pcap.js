// G.711 audio as a pcap file for SIPp's play_pcap_audio: a tone in PCMU
// (or PCMA), one RTP packet of 20 ms per Ethernet/IPv4/UDP frame, written
// by the tests themselves so that no binary capture lives in the repository.
// A caller's whole side of a call can be written too: tone, silence and
// keys pressed as RFC 4733 telephone-events, one stream with continuous
// sequence numbers and timestamps (SIPp sends a capture's packets as they
// are, so separate captures played one after another would repeat them).
//
//   writeTonePcap('/tmp/tone.pcap', {packets: 100});   // 2 s of 440 Hz PCMU
//   writeRtpPcap('/tmp/caller.pcap', callerRtp([{silence: 1000}, {key: '4'}, {tone: 3000}]));
//
// SIPp reads the pcap, keeps the RTP payloads and their timing, and sends
// them from its media port to the address of the SDP it received.
import {writeFileSync} from 'node:fs';

/* ITU-T G.711 mu-law of one 16-bit linear sample. */
export function linearToUlaw(sample) {
    const BIAS = 0x84;
    const CLIP = 32635;
    let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
    const sign = s < 0 ? 0x80 : 0;
    if (s < 0) s = -s;
    if (s > CLIP) s = CLIP;
    s += BIAS;
    let exponent = 7;
    for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
    const mantissa = (s >> (exponent + 3)) & 0x0f;
    return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/* ITU-T G.711 A-law of one 16-bit linear sample. */
export function linearToAlaw(sample) {
    let s = Math.max(-32768, Math.min(32767, Math.round(sample))) >> 3;
    let mask;
    if (s >= 0) {
        mask = 0xd5;
    } else {
        mask = 0x55;
        s = -s - 1;
    }
    const seg = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff].findIndex((end) => s <= end);
    if (seg < 0) return 0x7f ^ mask;
    const aval = (seg << 4) | ((s >> (seg < 2 ? 1 : seg)) & 0x0f);
    return aval ^ mask;
}

function ipChecksum(buf) {
    let sum = 0;
    for (let i = 0; i < buf.length; i += 2) sum += buf.readUInt16BE(i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return ~sum & 0xffff;
}

/* One Ethernet + IPv4 + UDP frame around payload (127.0.0.1 to itself). */
function udpFrame(payload, srcPort, dstPort, id) {
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + payload.length, 2);
    ip.writeUInt16BE(id & 0xffff, 4);
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    ip.writeUInt32BE(0x7f000001, 12);
    ip.writeUInt32BE(0x7f000001, 16);
    ip.writeUInt16BE(ipChecksum(ip), 10);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(srcPort, 0);
    udp.writeUInt16BE(dstPort, 2);
    udp.writeUInt16BE(8 + payload.length, 4); // checksum 0: none (allowed over IPv4)
    return Buffer.concat([eth, ip, udp, payload]);
}

/*
 * The RTP packets of a tone: {packets} of 20 ms (160 samples at 8 kHz),
 * payload type pt (0 PCMU, 8 PCMA), frequency freq Hz, amplitude amp
 * (linear, of 32767). Returns an array of RTP packets (Buffers).
 */
export function toneRtp({packets = 100, pt = 0, freq = 440, amp = 8000, ssrc = 0x5e1f7e57,
                         seq0 = 1000, ts0 = 0} = {}) {
    const encode = pt === 8 ? linearToAlaw : linearToUlaw;
    const out = [];
    for (let p = 0; p < packets; p++) {
        const rtp = Buffer.alloc(12 + 160);
        rtp[0] = 0x80;
        rtp[1] = pt | (p === 0 ? 0x80 : 0); // marker on the first packet
        rtp.writeUInt16BE((seq0 + p) & 0xffff, 2);
        rtp.writeUInt32BE((ts0 + p * 160) >>> 0, 4);
        rtp.writeUInt32BE(ssrc >>> 0, 8);
        for (let i = 0; i < 160; i++) {
            const n = p * 160 + i;
            rtp[12 + i] = encode(amp * Math.sin((2 * Math.PI * freq * n) / 8000));
        }
        out.push(rtp);
    }
    return out;
}

const EVENT_CODES = '0123456789*#';

/*
 * A caller's RTP, 20 ms a packet, from steps in order:
 *   {silence: ms}           PCMU (or PCMA) silence
 *   {tone: ms, freq, amp}   a tone (default 440 Hz)
 *   {key: '5', ms}          a key as an RFC 4733 event of ms (default 100):
 *                           a packet every 20 ms with the event's start as
 *                           timestamp and the duration so far, the first
 *                           marked, the end sent three times
 * Sequence numbers and timestamps run on across steps, as a phone's do.
 */
export function callerRtp(steps, {pt = 0, eventPt = 101, ssrc = 0xca11e4, seq0 = 2000} = {}) {
    const encode = pt === 8 ? linearToAlaw : linearToUlaw;
    const out = [];
    let seq = seq0;
    let ts = 0;
    let sample = 0; // of the tone steps, so that a tone runs on smoothly
    const packet = (payloadType, marker, stamp, payload) => {
        const rtp = Buffer.alloc(12 + payload.length);
        rtp[0] = 0x80;
        rtp[1] = payloadType | (marker ? 0x80 : 0);
        rtp.writeUInt16BE(seq++ & 0xffff, 2);
        rtp.writeUInt32BE(stamp >>> 0, 4);
        rtp.writeUInt32BE(ssrc >>> 0, 8);
        payload.copy(rtp, 12);
        out.push(rtp);
    };
    for (const step of steps) {
        if (step.key !== undefined) {
            const code = EVENT_CODES.indexOf(step.key);
            if (code < 0 || step.key.length !== 1) throw new Error(`no RFC 4733 event for key ${step.key}`);
            const frames = Math.max(1, Math.round((step.ms ?? 100) / 20));
            for (let f = 1; f <= frames + 2; f++) {
                const end = f >= frames;
                const ev = Buffer.from([code, (end ? 0x80 : 0) | 10, 0, 0]); // volume -10 dBm0
                ev.writeUInt16BE(Math.min(f, frames) * 160, 2);
                packet(eventPt, f === 1, ts, ev);
            }
            ts += (frames + 2) * 160;
            continue;
        }
        const ms = step.tone ?? step.silence;
        if (ms === undefined) throw new Error(`a step is {silence}, {tone} or {key}: ${JSON.stringify(step)}`);
        const {freq = 440, amp = 8000} = step;
        for (let p = 0; p < Math.round(ms / 20); p++) {
            const payload = Buffer.alloc(160);
            for (let i = 0; i < 160; i++) {
                const v = step.tone !== undefined ? amp * Math.sin((2 * Math.PI * freq * (sample + i)) / 8000) : 0;
                payload[i] = encode(v);
            }
            sample += 160;
            packet(pt, false, ts, payload);
            ts += 160;
        }
    }
    return out;
}

/* RTP packets as a pcap (microsecond timestamps, link type Ethernet), one
 * every intervalMs: the file's bytes. */
export function rtpPcap(rtpPackets, {intervalMs = 20, srcPort = 6000, dstPort = 6002} = {}) {
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0); // magic: microseconds
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(0, 8); // thiszone
    header.writeUInt32LE(0, 12); // sigfigs
    header.writeUInt32LE(65535, 16); // snaplen
    header.writeUInt32LE(1, 20); // DLT_EN10MB
    const parts = [header];
    const t0 = 1700000000 * 1e6;
    rtpPackets.forEach((rtp, i) => {
        const frame = udpFrame(rtp, srcPort, dstPort, i + 1);
        const rec = Buffer.alloc(16);
        const us = t0 + i * intervalMs * 1000;
        rec.writeUInt32LE(Math.floor(us / 1e6), 0);
        rec.writeUInt32LE(us % 1e6, 4);
        rec.writeUInt32LE(frame.length, 8);
        rec.writeUInt32LE(frame.length, 12);
        parts.push(rec, frame);
    });
    return Buffer.concat(parts);
}

/* Write RTP packets as a pcap file (see rtpPcap). */
export function writeRtpPcap(path, rtpPackets, opts = {}) {
    writeFileSync(path, rtpPcap(rtpPackets, opts));
}

/* A tone as a pcap file; returns the RTP packets written. */
export function writeTonePcap(path, opts = {}) {
    const rtp = toneRtp(opts);
    writeRtpPcap(path, rtp, opts);
    return rtp;
}
