/**
 * What the crash cases' child processes (crash-writer, orphan-writer) share: opening the
 * backend under test from the target's module, and a log whose lines survive SIGKILL.
 */
import { openSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { StorageBackend } from '@store/backend-core';

/** Imports `module` and calls its `createBackend(location)` (or default export). */
export async function openBackendFromModule(module: string, location: string): Promise<StorageBackend> {
  const mod = (await import(pathToFileURL(module).href)) as {
    createBackend?: (location: string) => StorageBackend | Promise<StorageBackend>;
    default?: (location: string) => StorageBackend | Promise<StorageBackend>;
  };
  const create = mod.createBackend ?? mod.default;
  if (typeof create !== 'function') throw new Error(`${module} exports no createBackend(location)`);
  return create(location);
}

/**
 * A line logger on a file, with a synchronous write(2) per line: once it returns the line
 * is in the kernel and survives a SIGKILL, unlike output buffered on the way to a pipe.
 */
export function killSafeLog(file: string): (line: string) => void {
  const fd = openSync(file, 'a');
  return (line) => void writeSync(fd, `${line}\n`);
}
