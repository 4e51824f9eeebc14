import { fileURLToPath } from 'node:url';
import { FilesystemBackend, MemoryBackend } from '@store/backend-core';
import { describe, test } from 'vitest';
// The built suite, because SB-CRASH-01 spawns dist/crash-writer.js in a child process.
import { conformance } from '../dist/index.js';

const builtin = (name: string): string => fileURLToPath(new URL(`../dist/targets/${name}.js`, import.meta.url));

describe('FilesystemBackend (durability fsync)', () => {
  conformance({ test, target: { name: 'fs', create: (location) => new FilesystemBackend(location), module: builtin('filesystem') } });
});

describe('FilesystemBackend (durability none)', () => {
  conformance({ test, target: { name: 'fs-none', create: (location) => new FilesystemBackend(location, { durability: 'none' }) } });
});

describe('MemoryBackend', () => {
  conformance({ test, target: { name: 'memory', create: () => new MemoryBackend(), module: builtin('memory') } });
});
