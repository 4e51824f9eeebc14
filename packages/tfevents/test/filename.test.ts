import { compareCodeUnits } from '@store/backend-core';
import { describe, expect, it } from 'vitest';
import { nextEventFileName, type EventFileName } from '../src/filename.js';

describe('event file names', () => {
  it('have the TensorBoard layout', () => {
    const { name, seconds } = nextEventFileName('host.example', 4242, '.v2', undefined, 1_700_000_000_999);
    expect(seconds).toBe(1_700_000_000);
    expect(name).toMatch(/^events\.out\.tfevents\.1700000000\.host\.example\.4242\.\d+\.v2$/);
    expect(nextEventFileName('h', 1, '', undefined, 5_000).name).toMatch(/^events\.out\.tfevents\.0000000005\.h\.1\.\d+$/);
  });

  it('always sort after the previous file, whatever the counter and the clock do', () => {
    let previous: EventFileName | undefined;
    const names: string[] = [];
    // 150 rotations within one second (the counter crosses 9→10 and 99→100), then the clock goes back.
    for (let i = 0; i < 200; i++) {
      const nowMs = i < 150 ? 1_700_000_000_000 : 1_699_999_990_000;
      previous = nextEventFileName('h', 7, '', previous, nowMs);
      names.push(previous.name);
    }
    for (let i = 1; i < names.length; i++) expect(compareCodeUnits(names[i]!, names[i - 1]!), `${names[i - 1]} < ${names[i]}`).toBeGreaterThan(0);
  });
});
