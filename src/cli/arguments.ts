import { invalidArgument } from '../core/errors.js';

/** A flag that must be a whole number >= 0, or undefined when absent. */
export function integerFlag(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) {
    throw invalidArgument(`--${name}`, `must be a whole number, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** A TCP port flag: a whole number from 0 (any free port) to 65535, or undefined when absent. */
export function portFlag(name: string, value: unknown): number | undefined {
  const port = integerFlag(name, value);
  if (port !== undefined && port > 65_535) throw invalidArgument(`--${name}`, `must be a port from 0 to 65535, got ${port}`);
  return port;
}

/** A flag that must be JSON, parsed. */
export function jsonFlag(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw invalidArgument(`--${name}`, `must be JSON: ${(error as Error).message}`);
  }
}

/** Exactly one positional argument, named for the error message. */
export function onePositional(positionals: string[], name: string): string {
  if (positionals.length !== 1) throw invalidArgument(name, `is required, once (got ${positionals.length} arguments)`);
  return positionals[0]!;
}

/** A repeatable string flag as a list, or undefined when absent. */
export function stringList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list: unknown[] = Array.isArray(value) ? value : [value];
  return list.filter((item): item is string => typeof item === 'string');
}

/** A string flag's value, or undefined when absent. */
export function stringFlag(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
