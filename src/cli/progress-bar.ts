const WIDTH = 30;

/** `[#####-----]  45%  123,456/274,000 events  98,000 ev/s  ETA 2 s`: how far a long job is and how long it has left. */
export function progressLine(done: number, total: number, doneThisRun: number, seconds: number): string {
  const fraction = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(fraction * WIDTH);
  const rate = seconds > 0 ? doneThisRun / seconds : 0;
  const eta = rate > 0 ? `${Math.ceil((total - done) / rate)} s` : '?';
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}]`;
  const count = `${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} events`;
  return `${bar} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${count}  ${Math.round(rate).toLocaleString('en-US')} ev/s  ETA ${eta}`;
}
