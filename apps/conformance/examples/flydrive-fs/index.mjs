// flydrive 1.x's FSDriver as a StorageBackend, for the conformance suite:
//   store-conformance --module examples/flydrive-fs/index.mjs
// A thin adapter: it translates calls and results and adds nothing of its own — no
// atomicity, no key validation, no locking, no sorting — so what the suite reports is
// what flydrive does. Keys are flydrive keys as they are; the driver keeps them as files
// <location>/<key>. (flydrive 2.x needs Node 24; this project runs on Node 20.)
import path from 'node:path';
import { FSDriver } from 'flydrive/drivers/fs';

export class FlydriveFsBackend {
  // Plain files under `location`, so data outlives the process; crashSafe is not declared
  // either way, so it follows `persistent` and the suite checks it. `rename` is flydrive's move().
  supports = { persistent: true, rename: true };

  constructor(location) {
    this.driver = new FSDriver({ location, visibility: 'private' });
  }

  async writeFile(key, data) {
    await this.driver.put(key, data);
  }

  async readFile(key) {
    return this.driver.getBytes(key);
  }

  async listFiles(directory) {
    const { objects } = await this.driver.listAll(directory, { recursive: false });
    const names = [];
    // DriveFile keys are relative to the root; the contract wants names within `directory`.
    for (const object of objects) if (object.isFile) names.push(path.posix.basename(object.key));
    return names;
  }

  async createDirectory() {
    // flydrive has no directories (put() makes parents): nothing to do.
  }

  async exists(key) {
    return this.driver.exists(key);
  }

  async deleteFile(key) {
    await this.driver.delete(key);
  }

  async rename(from, to) {
    await this.driver.move(from, to);
  }
}

export function createBackend(location) {
  return new FlydriveFsBackend(location);
}
