import { writeFileSync } from 'node:fs';
import { TributaryError } from '../../core/errors.js';
import { runLakeRequest } from './lake-engine.js';
import { encodeError, type FromWorker, type LakeRequest, type ToWorker } from './lake-protocol.js';
import { LakeQueryStop } from './lake-stop.js';

// The lake worker: a process forked by LakeProcess that runs the lake queries its parent sends, one at a time.

if (process.send === undefined) {
  process.stderr.write('the lake worker runs only as a child process forked with an IPC channel\n');
  process.exit(2);
}

let current: { id: number; interrupt: AbortController } | undefined;

// with its parent gone nobody reads the answer, and a DuckDB still computing would hold a normal exit: stop at once
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));

process.on('message', (message: ToWorker) => {
  if (message.type === 'interrupt') {
    // the caller already has its answer (the time limit, or its signal's reason): this only frees the worker
    if (current?.id === message.id) current.interrupt.abort(new TributaryError('LAKE_QUERY_TIMEOUT', 'interrupted by the parent process'));
  } else if (message.type === 'query' && current === undefined) {
    void answer(message.id, message.request);
  }
});

send({ type: 'ready' });

async function answer(id: number, request: LakeRequest): Promise<void> {
  const interrupt = new AbortController();
  current = { id, interrupt };
  const stop = new LakeQueryStop(interrupt.signal);
  resetPeakMemory();
  try {
    const { truncated } = await runLakeRequest(request, stop, (rows) => send({ type: 'rows', id, rows }));
    send({ type: 'done', id, truncated });
  } catch (error) {
    const coded = error instanceof TributaryError ? error : new TributaryError('LAKE_QUERY_FAILED', String(error), { sql: request.sql });
    send({ type: 'failed', id, error: encodeError(coded) });
  } finally {
    stop.dispose();
    current = undefined;
  }
}

function send(message: FromWorker): void {
  // a send that fails finds the parent gone: the disconnect that follows ends this process
  process.send!(message, () => undefined);
}

/** Resets VmHWM, so that the peak the parent reads is this query's alone (Linux; elsewhere a no-op). */
function resetPeakMemory(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // no /proc here: the parent cannot watch this worker's memory either
  }
}
