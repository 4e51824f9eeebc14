import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * What is on the host disk under a case's location, as sorted relative paths (directories
 * end in `/`; symlinks are listed, not followed). Cases compare snapshots of it to see
 * what a backend really did, beyond what its own listing admits.
 */
export async function hostTree(location: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isDirectory()) {
        out.push(`${prefix}${entry.name}/`);
        await walk(path.join(dir, entry.name), `${prefix}${entry.name}/`);
      } else {
        out.push(prefix + entry.name);
      }
    }
  };
  await walk(location, '');
  return out.sort();
}

/** Files (not directories) in a host tree snapshot. */
export function hostFiles(tree: string[]): string[] {
  return tree.filter((p) => !p.endsWith('/'));
}
