import { progressLine } from './progress-bar.js';

/** The progress bar of a long copy on stderr: redrawn in place on a terminal, else a line at most every second. */
export function stderrProgress(): { show(done: number, total: number): void; end(): void } {
  const tty = process.stderr.isTTY;
  const started = performance.now();
  let shownAt = 0;
  let shown = false;
  let shownDone = -1;
  return {
    show(done, total) {
      const now = performance.now();
      // the same count twice (a last page, then the end) draws nothing new
      if (done === shownDone || (now - shownAt < 1_000 && done < total)) return;
      shownDone = done;
      shownAt = now;
      shown = true;
      const line = progressLine(done, total, done, (now - started) / 1000);
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    },
    end() {
      if (shown && tty) process.stderr.write('\n');
      shown = false;
    },
  };
}
