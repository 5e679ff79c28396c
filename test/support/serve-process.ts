import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The built CLI: the tests run it as users do. */
export const BIN = resolve(import.meta.dirname, '../../dist/cli/main.js');

/** Runs one CLI command against `db` and waits for it. */
export function cli(args: string[], db: string, input?: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args, '--db', db], { encoding: 'utf8', input });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs one CLI command without blocking, for tests whose server lives in the
 * test process (a blocking spawn would starve it); no TRIBUTARY_* variable leaks in.
 */
export function cliAsync(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TRIBUTARY_DB: '', TRIBUTARY_URL: '', TRIBUTARY_TOKEN: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A free loopback port, found by listening on port 0 and closing again. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** One pino line of a server's log. */
export interface LogLine {
  level: number;
  msg?: string;
  time: number;
  err?: { message?: string };
  [key: string]: unknown;
}

export interface ServeProcess {
  child: ChildProcess;
  /** Its base URL, from the address it logged. */
  url: string;
  /** Every stdout line, parsed when it is JSON. */
  logs: LogLine[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts `tributary serve` with `args` and resolves once it listens (pino logs "Server listening at <url>"). */
export async function serve(args: string[]): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: LogLine[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal, at: performance.now() })),
  );
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const url = await new Promise<string>((done, fail) => {
    void exited.then(({ code }) => fail(new Error(`serve exited early with ${code}: ${stderr.join('\n')}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ level: 0, msg: line, time: Date.now() });
      }
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (listening !== null) done(listening[1]!);
    });
  });
  return { child, url, logs, stderr, exited };
}

/** SIGTERM, then the exit code once it has exited. */
export function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
    child.once('exit', (code) => done(code));
    child.kill('SIGTERM');
  });
}

/** Waits until `check` holds, polling; fails after `ms` with `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}
