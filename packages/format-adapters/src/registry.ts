import { StorageError } from '@store/backend-core';
import type { FormatAdapter } from './adapter.js';

/**
 * Maps names, extensions (with or without the dot), aliases and media types to adapters,
 * case-insensitively. Users register their own formats next to the built-in three.
 */
export class FormatRegistry {
  readonly #byKey = new Map<string, FormatAdapter>();
  readonly #adapters: FormatAdapter[] = [];

  constructor(adapters: Iterable<FormatAdapter> = []) {
    for (const adapter of adapters) this.register(adapter);
  }

  /** Adds an adapter. A name/extension/media type already taken is `EEXIST` unless `replace`. */
  register(adapter: FormatAdapter, options: { replace?: boolean } = {}): this {
    const keys = keysOf(adapter);
    if (options.replace !== true) {
      const taken = keys.find((k) => this.#byKey.has(k));
      if (taken !== undefined) throw new StorageError('EEXIST', `format key "${taken}" is already registered (by ${this.#byKey.get(taken)!.name})`);
    }
    for (const k of keys) {
      const previous = this.#byKey.get(k);
      if (previous !== undefined && previous !== adapter) this.#forget(previous);
    }
    for (const k of keys) this.#byKey.set(k, adapter);
    this.#adapters.push(adapter);
    return this;
  }

  /** The adapter for a name, extension, media type or file name, or undefined. */
  find(extensionOrName: string): FormatAdapter | undefined {
    const key = normalize(extensionOrName);
    const direct = this.#byKey.get(key);
    if (direct !== undefined) return direct;
    const dot = key.lastIndexOf('.');
    return dot === -1 ? undefined : this.#byKey.get(key.slice(dot + 1));
  }

  /** Like `find`, but an unknown format is `EINVAL`. */
  get(extensionOrName: string): FormatAdapter {
    const adapter = this.find(extensionOrName);
    if (adapter === undefined) {
      throw new StorageError('EINVAL', `no format adapter for "${extensionOrName}" (known: ${this.#adapters.map((a) => a.name).join(', ')})`);
    }
    return adapter;
  }

  list(): FormatAdapter[] {
    return [...this.#adapters];
  }

  #forget(adapter: FormatAdapter): void {
    for (const [k, a] of this.#byKey) if (a === adapter) this.#byKey.delete(k);
    this.#adapters.splice(this.#adapters.indexOf(adapter), 1);
  }
}

function normalize(key: string): string {
  const k = key.trim().toLowerCase();
  return k.startsWith('.') ? k.slice(1) : k;
}

function keysOf(adapter: FormatAdapter): string[] {
  const keys = [adapter.name, adapter.extension, ...(adapter.aliases ?? []), adapter.mediaType].map(normalize);
  if (keys.some((k) => k === '')) throw new StorageError('EINVAL', `format adapter "${adapter.name}" has an empty name, extension or media type`);
  return [...new Set(keys)];
}
