// How the dashboard writes figures: durations, percentages, times and dates
// in the organisation's time zone (not the browser's: a wall screen may
// run anywhere).

/* 75 -> "1:15", 3725 -> "1:02:05"; null -> "–" */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return '–';
  const s = Math.max(0, Math.floor(Number(seconds)));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/* 0.834 -> "83%"; null -> "–" */
export function percent(ratio) {
  return ratio === null || ratio === undefined ? '–' : `${Math.round(ratio * 100)}%`;
}

export function seconds(value) {
  return value === null || value === undefined ? '–' : `${Math.round(value)} s`;
}

/* "14:05" at the organisation. */
export function clock(ms, tz) {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: tz || undefined })
    .format(new Date(ms));
}

/* "2026-12-07": the organisation's date at ms. */
export function localDate(ms, tz) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    year: 'numeric', month: '2-digit', day: '2-digit', timeZone: tz || undefined,
  }).formatToParts(new Date(ms));
  const get = (t) => parts.find((p) => p.type === t)?.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/* "Monday 7 December, 14:05:09" for the header. */
export function longTime(ms, tz) {
  return new Intl.DateTimeFormat('en-GB', {
    weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', second: '2-digit',
    timeZone: tz || undefined,
  }).format(new Date(ms));
}

export const STATE_TEXT = { available: 'Available', busy: 'Busy', wrapUp: 'Wrap-up', unavailable: 'Unavailable' };
