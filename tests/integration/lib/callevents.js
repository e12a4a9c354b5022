// What happened to each call, from the event stream: for tests that place
// many calls at once on one server and tell them apart by the caller's
// number. Keeps every event of the topics asked for (calls, voicemail, ...)
// and waits for the ones a test names.
//
//   const log = await CallEvents.open(srv);
//   const id = await log.callOf('+15559870001');        // its callAnswered/callRinging
//   const opt = await log.wait(id, 'attendantOption');  // data.callId or subject
//   log.types(id)                                       // ['callAnswered', 'attendantEntered', ...]
import {EventStream} from './ws.js';
import {DEMO_API_KEY, api, sleep} from './server.js';

export class CallEvents {
    constructor(stream) {
        this.stream = stream;
    }

    static async open(srv, {topics = 'calls,voicemail', auth = {apiKey: DEMO_API_KEY}} = {}) {
        return new CallEvents(await EventStream.open(srv.url, {...auth, query: {topics}}));
    }

    /* Every event so far, oldest first. */
    all() {
        return this.stream.messages.filter((m) => m.type === 'event').map((m) => m.event);
    }

    /* The events of one call: its subject, or data.callId. */
    of(callId) {
        return this.all().filter((e) => e.subject === callId || e.data?.callId === callId);
    }

    /* The types of a call's events, in order (for assertion messages). */
    types(callId) {
        return this.of(callId).map((e) => e.type);
    }

    /* The first event matching pred, waiting for it up to timeoutMs; what
     * (a string or a function giving one) says what for the error. */
    async find(pred, what, timeoutMs = 20000) {
        const until = Date.now() + timeoutMs;
        const say = () => (typeof what === 'function' ? what() : what);
        for (;;) {
            const e = this.all().find(pred);
            if (e) return e;
            if (this.stream.closed) throw new Error(`the event stream closed while waiting for ${say()}`);
            if (Date.now() > until) throw new Error(`no ${say()} within ${timeoutMs} ms`);
            await sleep(25);
        }
    }

    /* The id of the call from this caller (the number in its From). */
    async callOf(number, timeoutMs = 20000) {
        const from = `sip:${number}@`;
        const e = await this.find((x) => ['callAnswered', 'callRinging'].includes(x.type) &&
                                         x.data?.from?.startsWith(from), `a call from ${number}`, timeoutMs);
        return e.subject;
    }

    /* The call's first event of type (and matching pred, if given). */
    wait(callId, type, pred = () => true, timeoutMs = 20000) {
        return this.find((e) => e.type === type && (e.subject === callId || e.data?.callId === callId) && pred(e),
                         () => `${type} for ${callId} (so far: ${this.types(callId).join(', ')})`, timeoutMs);
    }

    close() {
        return this.stream.close();
    }
}

/* The call's record (GET /v1/calls) once it has ended and its legs'
 * figures are in (they are stored as each media leg closes, just after
 * the call ends). */
export async function endedCall(srv, callId, {legs = 1, auth = {apiKey: DEMO_API_KEY}, timeoutMs = 10000} = {}) {
    const until = Date.now() + timeoutMs;
    let rec;
    for (;;) {
        const r = await api(srv.url, 'GET', '/v1/calls?limit=500', auth);
        if (r.status !== 200) throw new Error(`GET /v1/calls: ${r.status} ${r.text}`);
        rec = r.json.items.find((c) => c.id === callId);
        if (rec && rec.state === 'ended' && rec.legs.length >= legs) return rec;
        if (Date.now() > until) throw new Error(`call ${callId} not ended with ${legs} legs: ${JSON.stringify(rec)}`);
        await sleep(50);
    }
}
