import { quick, runBenchmarks, type BenchCase, type BenchGroup } from '@store/bench-harness';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { parse as yamlParse, stringify as yamlStringify } from 'yaml';
import YAML from 'yamljs';
import { json, xml, yaml, type Value } from '../src/index.js';
import { countKeyColons, countKeyTokens } from '../src/json-keys.js';

/**
 * serialize + deserialize of a ~1 KiB object (a typical page record), per format, beside
 * JSON.stringify/JSON.parse in the same run. The raw libraries with their default,
 * lossy settings are listed too, to show what the lossless layer costs on top of them.
 */
function record(i: number): Value {
  return {
    id: `page-${String(i).padStart(4, '0')}`,
    kind: 'animal',
    name: 'Tom the cat',
    age: 7,
    weightKg: 4.25,
    vaccinated: true,
    owner: { name: 'Ada Lovelace', email: 'ada@example.com', phone: null, address: { street: '12 St James Square', city: 'London', zip: 'SW1Y 4JH' } },
    tags: ['indoor', 'friendly', 'senior', '123'],
    visits: [
      { date: '2024-01-05', vet: 'Dr. Who', cost: 120.5, notes: 'annual check-up, all fine' },
      { date: '2024-06-12', vet: 'Dr. Watson', cost: 80, notes: 'vaccination booster' },
      { date: '2024-11-30', vet: 'Dr. Who', cost: 45.99, notes: 'nail trim & ear cleaning' },
    ],
    description: 'A calm, elderly house cat who likes sunny windowsills and dislikes the vacuum cleaner.',
    metrics: { meals: 2, treats: 5, naps: 14, score: 0.875 },
    history: [1, 2, 3, 5, 8, 13, 21, 34],
    diet: { food: 'dry kibble, salmon flavour', allergies: ['chicken'], waterBowlLitres: 0.5 },
    microchip: { id: '985112003456789', registered: true, registry: 'PetLog UK' },
    insurance: { provider: 'Paws & Claws Mutual', policy: 'PC-2024-000123', monthlyPremium: 17.5, excess: 100 },
  };
}

const value = record(1);
/** The same record with a `:` in two values (a time of day, a URL), the usual case for real data. */
const withColons = record(1) as Record<string, Value>;
withColons.visits = [
  { date: '2024-01-05T12:30:45Z', vet: 'Dr. Who', cost: 120.5, notes: 'annual check-up, all fine' },
  { date: '2024-06-12', vet: 'Dr. Watson', cost: 80, notes: 'see https://vet.example.com/tom' },
];
const bytes = Buffer.byteLength(JSON.stringify(value));
const batch = quick ? 10 : 200;

const fxpParser = new XMLParser();
const fxpBuilder = new XMLBuilder({ format: true, indentBy: '  ' });

const pairs: [string, (v: Value) => string, (t: string) => unknown][] = [
  ['JSON.stringify/parse', (v) => JSON.stringify(v, null, 2), (t) => JSON.parse(t)],
  ['@store json', (v) => json.serialize(v), (t) => json.deserialize(t)],
  ['@store xml', (v) => xml.serialize(v), (t) => xml.deserialize(t)],
  ['@store yaml', (v) => yaml.serialize(v), (t) => yaml.deserialize(t)],
  ['fast-xml-parser defaults (lossy)', (v) => fxpBuilder.build({ value: v }) as string, (t) => fxpParser.parse(t)],
  ['yaml defaults (lossy)', (v) => yamlStringify(v), (t) => yamlParse(t)],
  ['yamljs (lossy)', (v) => YAML.stringify(v, 10, 2), (t) => YAML.parse(t)],
];

function cases(kind: 'both' | 'serialize' | 'deserialize'): BenchCase[] {
  return pairs.map(([name, ser, de]) => {
    const text = ser(value);
    return {
      name,
      run: () => {
        for (let i = 0; i < batch; i++) {
          if (kind === 'serialize') ser(value);
          else if (kind === 'deserialize') de(text);
          else de(ser(value));
        }
        return batch;
      },
    };
  });
}

/** Reads of the JSON text of the record with colons in values, by JSON.parse and our adapter. */
function colonCases(): BenchCase[] {
  const text = JSON.stringify(withColons, null, 2);
  const read = (name: string, de: (t: string) => unknown): BenchCase => ({
    name,
    run: () => {
      for (let i = 0; i < batch; i++) de(text);
      return batch;
    },
  });
  return [read('JSON.parse', (t) => JSON.parse(t)), read('@store json', (t) => json.deserialize(t))];
}

/** The first test of the previous check: every colon of the text. */
function countColons(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf(':'); i !== -1 && n <= limit; i = text.indexOf(':', i + 1)) n++;
  return n;
}

/**
 * The duplicate-key check alone, after JSON.parse of the same text: as it decided before
 * (all colons; more than keys, so scan the text's string literals for key tokens) and now
 * (colons that may end a key token; no more than keys, done), side by side.
 */
function checkCases(): BenchCase[] {
  const text = JSON.stringify(withColons, null, 2);
  let keys = 0;
  const countKeys = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    if (!Array.isArray(v)) keys += Object.keys(v).length;
    for (const item of Object.values(v)) countKeys(item);
  };
  countKeys(JSON.parse(text));
  if (countColons(text, keys) <= keys || countKeyColons(text, keys) !== keys || countKeyTokens(text) !== keys) throw new Error('bench text: not the case measured here');
  const run = (name: string, check: () => boolean): BenchCase => ({
    name,
    run: () => {
      for (let i = 0; i < batch; i++) {
        JSON.parse(text);
        if (check()) throw new Error('duplicate reported');
      }
      return batch;
    },
  });
  return [
    run('JSON.parse', () => false),
    run('+ all colons, then key tokens (before)', () => countColons(text, keys) > keys && countKeyTokens(text) !== keys),
    run('+ colons that may end a key (now)', () => countKeyColons(text, keys) > keys && countKeyTokens(text) !== keys),
  ];
}

const groups: BenchGroup[] = [
  { title: `serialize + deserialize, ${bytes}-byte object (JSON size)`, unit: 'round trips', baseline: 'JSON.stringify/parse', cases: cases('both') },
  { title: 'serialize only', unit: 'documents', baseline: 'JSON.stringify/parse', cases: cases('serialize') },
  { title: 'deserialize only', unit: 'documents', baseline: 'JSON.stringify/parse', cases: cases('deserialize') },
  { title: 'JSON deserialize, colons in two values', unit: 'documents', baseline: 'JSON.parse', cases: colonCases() },
  { title: 'JSON duplicate-key check, colons in two values', unit: 'documents', baseline: 'JSON.parse', cases: checkCases() },
];

console.log(`document sizes: ${pairs.map(([name, ser]) => `${name} ${Buffer.byteLength(ser(value))} B`).join(', ')}`);
await runBenchmarks('format-adapters', groups);
