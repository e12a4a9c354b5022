// Audio helpers for the SIP tests: G.711 mu-law both ways, a tone as
// 20 ms RTP payloads, the share of one frequency in samples (Goertzel),
// and a WAV file's format and samples, or a WAV file made of samples.
import assert from 'node:assert/strict';

/* Linear 16-bit to G.711 mu-law. */
export function ulaw(sample) {
    const BIAS = 0x84;
    let sign = 0;
    let s = sample;
    if (s < 0) {
        s = -s;
        sign = 0x80;
    }
    s = Math.min(s, 32635) + BIAS;
    let exp = 7;
    for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--;
    const mant = (s >> (exp + 3)) & 0x0f;
    return ~(sign | (exp << 4) | mant) & 0xff;
}

/* G.711 mu-law to linear 16-bit. */
export function unulaw(byte) {
    const u = ~byte & 0xff;
    const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
    return u & 0x80 ? 0x84 - t : t - 0x84;
}

/* 20 ms of a tone of hz, packet number i (PCMU). */
export function tone(hz, i) {
    const b = Buffer.alloc(160);
    for (let n = 0; n < 160; n++) b[n] = ulaw(Math.round(8000 * Math.sin((2 * Math.PI * hz * (i * 160 + n)) / 8000)));
    return b;
}

/* 20 ms of silence (PCMU). */
export function silence() {
    return Buffer.alloc(160, 0xff);
}

/* The power of one frequency in samples (Goertzel), relative to the total. */
export function share(samples, hz) {
    const k = (2 * Math.cos((2 * Math.PI * hz) / 8000));
    let s1 = 0, s2 = 0, total = 0;
    for (const x of samples) {
        const s0 = x + k * s1 - s2;
        s2 = s1;
        s1 = s0;
        total += x * x;
    }
    const power = s1 * s1 + s2 * s2 - k * s1 * s2;
    return total ? power / (total * samples.length / 2) : 0;
}

/* A WAV file: {fmt: {channels, rate, bits}, left, right, dataBytes}. */
export function parseWav(buf) {
    assert.equal(buf.toString('latin1', 0, 4), 'RIFF');
    assert.equal(buf.toString('latin1', 8, 12), 'WAVE');
    let off = 12, fmt, data;
    while (off + 8 <= buf.length) {
        const id = buf.toString('latin1', off, off + 4);
        const len = buf.readUInt32LE(off + 4);
        if (id === 'fmt ') fmt = {channels: buf.readUInt16LE(off + 10), rate: buf.readUInt32LE(off + 12), bits: buf.readUInt16LE(off + 22)};
        if (id === 'data') data = buf.subarray(off + 8, off + 8 + len);
        off += 8 + len + (len & 1);
    }
    const left = [], right = [];
    const step = 2 * fmt.channels;
    for (let i = 0; i + step - 1 < data.length; i += step) {
        left.push(data.readInt16LE(i));
        if (fmt.channels === 2) right.push(data.readInt16LE(i + 2));
    }
    return {fmt, left, right, dataBytes: data.length};
}

/* A WAV file's bytes: 8 kHz 16-bit mono of samples. */
export function wavBytes(samples) {
    const data = Buffer.alloc(samples.length * 2);
    samples.forEach((s, i) => data.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(s))), i * 2));
    const head = Buffer.alloc(44);
    head.write('RIFF', 0, 'latin1');
    head.writeUInt32LE(36 + data.length, 4);
    head.write('WAVEfmt ', 8, 'latin1');
    head.writeUInt32LE(16, 16);
    head.writeUInt16LE(1, 20); // PCM
    head.writeUInt16LE(1, 22); // mono
    head.writeUInt32LE(8000, 24);
    head.writeUInt32LE(16000, 28); // bytes per second
    head.writeUInt16LE(2, 32); // block align
    head.writeUInt16LE(16, 34); // bits
    head.write('data', 36, 'latin1');
    head.writeUInt32LE(data.length, 40);
    return Buffer.concat([head, data]);
}
