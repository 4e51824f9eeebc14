import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { StorageError } from '@store/backend-core';
import { adapterFor, schemas, type FormatAdapter, type Value } from '@store/format-adapters';
import { writeFileAtomic } from './fs-util.js';

export type PageFormat = 'json' | 'yaml' | 'xml';

/**
 * `always` (default): every page write is written and fsynced (file and folder) before its
 * call resolves, as the seed asks, then the commit record too. `commit`: a write stays in
 * memory until its transaction commits; the commit record, fsynced before `commit`
 * resolves, carries the page text (one sync per commit, like a WAL), and the version file
 * is written from it after the commit, not fsynced — a file not written yet or lost in a
 * crash is rewritten from the record by whoever reads it. Committed data survives a crash
 * either way.
 */
export type Durability = 'always' | 'commit';

/** The store's configuration file (`storage.json`, `storage.yaml` or `storage.xml`). */
export interface StoreConfig {
  /** Format of page files, `.versions` files and of the config file created by default. */
  format: PageFormat;
  /** Largest page file in bytes (as serialized); `insertObject` opens a new page beyond it. Default 8192. */
  pageSize: number;
  /** Every `insertObject` opens a new page. Default false. */
  forceOneObjectPerPage: boolean;
  /** Runs version cleanup every so many ms while the store is open; 0 = off (default). */
  cleanupIntervalMs: number;
  durability: Durability;
}

export const DEFAULT_CONFIG: StoreConfig = {
  format: 'json',
  pageSize: 8192,
  forceOneObjectPerPage: false,
  cleanupIntervalMs: 0,
  durability: 'always',
};

/** Discovery order: the first of these that exists is the configuration. */
export const CONFIG_FILES = ['storage.json', 'storage.yaml', 'storage.xml'] as const;

const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    format: { enum: ['json', 'yaml', 'xml'] },
    pageSize: { type: 'integer', minimum: 256, maximum: 64 * 1024 * 1024 },
    forceOneObjectPerPage: { type: 'boolean' },
    cleanupIntervalMs: { type: 'integer', minimum: 0 },
    durability: { enum: ['always', 'commit'] },
  },
} as const;

export interface LoadedConfig {
  config: StoreConfig;
  /** The file it came from (absolute), or undefined when defaults were used read-only. */
  file: string | undefined;
  created: boolean;
}

/**
 * Finds the configuration of the store at `root`, or (unless `readOnly`) writes the
 * defaults merged with `initial` as `storage.<initial.format ?? json>`. Any file found is
 * validated: a malformed file is `ECORRUPT`, a bad value `EINVAL` naming the field.
 */
export async function loadConfig(root: string, initial: Partial<StoreConfig>, readOnly: boolean): Promise<LoadedConfig> {
  for (const name of CONFIG_FILES) {
    const file = path.join(root, name);
    if (!existsSync(file)) continue;
    const adapter = adapterFor(name);
    let value: Value;
    try {
      value = adapter.deserialize(readFileSync(file, 'utf8'));
    } catch (error) {
      if (error instanceof StorageError) throw new StorageError(error.code, `${name}: ${error.message}`, { path: name, cause: error });
      throw error;
    }
    return { config: validateConfig(value, name), file, created: false };
  }
  const config = validateConfig({ ...DEFAULT_CONFIG, ...initial } as unknown as Value, 'options');
  if (readOnly) return { config, file: undefined, created: false };
  const name = `storage.${config.format}`;
  const file = path.join(root, name);
  await writeFileAtomic(file, adapterFor(config.format).serialize(config as unknown as Value), { sync: true, exclusive: true });
  // Another process may have created a config at the same moment; theirs or ours, one won.
  return loadConfig(root, initial, true).then((loaded) => ({ ...loaded, created: loaded.file === file }));
}

export function validateConfig(value: unknown, where: string): StoreConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StorageError('EINVAL', `${where}: configuration must be an object`, { path: where });
  }
  schemas.assert(CONFIG_SCHEMA, value, { path: where });
  return { ...DEFAULT_CONFIG, ...(value as Partial<StoreConfig>) };
}

export function pageAdapter(config: StoreConfig): FormatAdapter {
  return adapterFor(config.format);
}
