import type { Value } from '../../src/index.js';

/** One object touching every type and the awkward corners, rendered in test/golden/*. */
export function representative(): Value {
  const owner: Record<string, Value> = {
    name: 'Ada Lovelace',
    age: 36,
    verified: true,
    nickname: null,
    joined: new Date(Date.UTC(2024, 4, 1, 12, 30, 0, 250)),
    accountId: 123456789012345678901234567890n,
    avatar: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    pets: [
      { kind: 'cat', name: 'Tom', legs: 4 },
      { kind: 'bird', name: 'yes', legs: 2 },
      { kind: 'fish', name: '', legs: 0, tags: [] },
    ],
  };
  return {
    id: 'page-0001',
    owner,
    lookalikes: ['123', 'true', 'null', '~', '-0', '2001-12-14', ' padded '],
    numbers: [0, -0, 1.5, -2e-7, 1e21, 9007199254740994],
    single: ['only'],
    empty: {},
    notes: 'line one\nline two\n',
    'first name': 'Ada',
    '': 'empty key',
    '0': 'zero key',
    '$date': 'a key that looks like a tag',
    markup: '<b>bold</b> & "quoted"',
    control: 'bell\u0007',
  };
}
