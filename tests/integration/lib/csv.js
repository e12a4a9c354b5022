// A report's CSV read back and held against its JSON (docs/reporting.md:
// the same rows, nested objects as dotted columns, null as an empty field).
import assert from 'node:assert/strict';

/* A CSV of simple fields (ours quote only what needs it) into rows. */
export function parseCsv(text) {
    const lines = text.split('\r\n').filter((l) => l.length);
    if (!lines.length) return [];
    const split = (l) => {
        const out = [];
        let cur = '', q = false;
        for (let i = 0; i < l.length; i++) {
            const c = l[i];
            if (q && c === '"' && l[i + 1] === '"') { cur += '"'; i++; }
            else if (c === '"') q = !q;
            else if (c === ',' && !q) { out.push(cur); cur = ''; }
            else cur += c;
        }
        out.push(cur);
        return out;
    };
    const head = split(lines[0]);
    return lines.slice(1).map((l) => Object.fromEntries(split(l).map((v, i) => [head[i], v])));
}

/* A JSON row flattened the way the CSV names its columns. */
export function flatten(o, prefix = '', out = {}) {
    for (const [k, v] of Object.entries(o)) {
        const name = prefix ? `${prefix}.${k}` : k;
        if (Array.isArray(v)) out[name] = v.map((x) => `${x.intent}=${x.count}`).join(';');
        else if (v && typeof v === 'object') flatten(v, name, out);
        else out[name] = v;
    }
    return out;
}

/* The CSV text holds the JSON rows. An agent's time in its current state
 * grows between two requests: those columns (`growing`) may only be larger
 * in the later CSV; occupancy follows from them. */
export function assertCsvMatchesJson(text, json, {name = 'report', growing = []} = {}) {
    const csv = parseCsv(text);
    assert.equal(csv.length, json.length, `${name}: as many CSV rows as JSON rows`);
    json.forEach((row, i) => {
        const flat = flatten(row);
        assert.deepEqual(Object.keys(csv[i]).sort(), Object.keys(flat).sort(), `${name}: the same columns`);
        for (const [k, v] of Object.entries(flat)) {
            const got = csv[i][k];
            if (growing.some((g) => k.startsWith(g))) {
                if (k.startsWith('stateSeconds.')) assert.ok(Number(got) >= v, `${name} ${k}: ${got} >= ${v}`);
                continue;
            }
            if (v === null) assert.equal(got, '', `${name} ${k}`);
            else if (typeof v === 'number') assert.equal(Number(got), v, `${name} ${k}`);
            else assert.equal(got, String(v), `${name} ${k}`);
        }
    });
}
