import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(import.meta.dirname, '../..');

type ExportTarget = string | { types?: string; default?: string; import?: string };

/**
 * The package's entry points as import specifiers (`tributary`, `tributary/sqlite`, …)
 * mapped to their source files: package.json's `exports` name built files under
 * dist/, which tsconfig.build.json compiles one to one from src/.
 */
export function sourceEntryPoints(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, ExportTarget> };
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const built = typeof target === 'string' ? target : (target.default ?? target.import);
    if (built === undefined || !built.startsWith('./dist/') || !built.endsWith('.js')) continue;
    const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
    entries.set(specifier, resolve(ROOT, 'src', built.slice('./dist/'.length, -'.js'.length) + '.ts'));
  }
  return entries;
}

/** The compiler options of tsconfig.json: the project's strict settings. */
export function projectCompilerOptions(): ts.CompilerOptions {
  const config = ts.getParsedCommandLineOfConfigFile(resolve(ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  return config!.options;
}
