// unstorage's `fs` driver as a StorageBackend, for the conformance suite:
//   store-conformance --module examples/unstorage-fs/index.mjs
// A thin adapter: it translates calls and results and adds nothing of its own — no
// atomicity, no key validation, no locking, no sorting — so what the suite reports is
// what unstorage does. Keys 'a/b' are unstorage keys 'a:b' (unstorage maps '/' to ':'
// itself); the driver keeps them as files <location>/a/b.
import { StorageError } from '@store/backend-core';
import { createStorage } from 'unstorage';
import fsDriver from 'unstorage/drivers/fs';

export class UnstorageFsBackend {
  // It writes plain files under `base`, so data outlives the process; crashSafe is not
  // declared either way, so it follows `persistent` and the suite checks it.
  supports = { persistent: true };

  constructor(location) {
    this.storage = createStorage({ driver: fsDriver({ base: location }) });
  }

  async writeFile(key, data) {
    await this.storage.setItemRaw(key, data);
  }

  async readFile(key) {
    const value = await this.storage.getItemRaw(key);
    // unstorage answers null for a missing key (and for a directory): the contract's ENOENT.
    if (value === null || value === undefined) throw new StorageError('ENOENT', 'no such key', { path: String(key) });
    return value;
  }

  async listFiles(directory) {
    const base = String(directory).split('/').filter((s) => s !== '').join(':');
    const prefix = base === '' ? '' : `${base}:`;
    const keys = await this.storage.getKeys(base);
    return keys.filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes(':')).map((k) => k.slice(prefix.length));
  }

  async createDirectory() {
    // unstorage has no directories: nothing to do.
  }

  async exists(key) {
    return this.storage.hasItem(key);
  }

  async deleteFile(key) {
    await this.storage.removeItem(key);
  }

  async close() {
    await this.storage.dispose();
  }
}

export function createBackend(location) {
  return new UnstorageFsBackend(location);
}
