import { expect, test } from 'vitest';
import { capabilitiesOf, FilesystemBackend, MemoryBackend, type StorageBackend } from '../src/index.js';

const withSupports = (supports: StorageBackend['supports']): StorageBackend => ({ supports }) as StorageBackend;

test('persistent and crashSafe are separate claims; an undeclared crashSafe takes the value of persistent', () => {
  expect(capabilitiesOf(withSupports({ persistent: true })).crashSafe).toBe(true);
  expect(capabilitiesOf(withSupports({ persistent: true, crashSafe: false }))).toMatchObject({ persistent: true, crashSafe: false });
  expect(capabilitiesOf(withSupports({}))).toMatchObject({ persistent: false, crashSafe: false });
  expect(capabilitiesOf(withSupports(undefined)).crashSafe).toBe(false);
  expect(capabilitiesOf(new FilesystemBackend('/nonexistent-never-opened'))).toMatchObject({ persistent: true, crashSafe: true });
  expect(capabilitiesOf(new MemoryBackend())).toMatchObject({ persistent: false, crashSafe: false });
  // tempRecovery is claimed only by a backend with temp files of its own and a recover() method.
  expect(capabilitiesOf(new FilesystemBackend('/nonexistent-never-opened')).tempRecovery).toBe(true);
  expect(typeof new FilesystemBackend('/nonexistent-never-opened').recover).toBe('function');
  expect(capabilitiesOf(new MemoryBackend()).tempRecovery).toBe(false);
  expect(capabilitiesOf(withSupports({ persistent: true })).tempRecovery).toBe(false);
});
