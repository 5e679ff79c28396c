import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The built CLI: the tests run it as users do. */
export const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');

/** Runs one CLI command against `db` and waits for it. */
export function cli(args: string[], db: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

export interface ServeProcess {
  child: ChildProcess;
  /** Every line it has logged so far (pino JSON on stdout). */
  logs: string[];
  url: string;
}

/** Starts `tributary serve` on `db` and resolves once it listens (pino logs "Server listening"). */
export async function serve(db: string, port: number, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--db', db, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (text: string) => logs.push(text));
  await new Promise<void>((done, fail) => {
    child.once('exit', (code) => fail(new Error(`serve exited early with ${code}: ${logs.join('\n')}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      logs.push(line);
      if (line.includes('Server listening')) done();
    });
  });
  child.removeAllListeners('exit');
  return { child, logs, url: `http://127.0.0.1:${port}` };
}

/** SIGTERM, then the exit code once it has exited. */
export function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done(child.exitCode);
    child.once('exit', (code) => done(code));
    child.kill('SIGTERM');
  });
}
