/**
 * Files of the server's StorageBackend: browse folders, view a file (text, image or hex;
 * the first 256 KiB through a Range request), download it, upload files into the current
 * folder, delete (after a confirm dialog).
 */
import { ApiError, errorText, encodePath, getJson, request } from '../api.js';
import { confirmDialog } from '../auth.js';
import { h, message, replace } from '../dom.js';
import { formatBytes, hexDump, utf8OrNull } from '../format.js';

const PREVIEW_BYTES = 256 * 1024;
/** Files of a folder that get a size and time (one stat request each). */
const STAT_LIMIT = 200;
const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

const fileUrl = (path: string): string => `/v1/files/${encodePath(path)}`;
const fileHash = (path: string): string => `#/files/${encodePath(path)}`;

export interface Folder {
  /** Sub-folder names, each ending in '/'. */
  folders: string[];
  files: string[];
}

/**
 * What is directly in a folder. The files API lists files only, so folders are derived from
 * a recursive listing (first segment of each deeper path), falling back to the flat list
 * when the backend cannot list recursively.
 */
export async function listFolder(dir: string): Promise<Folder> {
  let paths: string[];
  try {
    paths = await getJson<string[]>(`${fileUrl(dir)}?recursive=1`);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status >= 500 || e.status === 401) throw e;
    paths = await getJson<string[]>(fileUrl(dir));
  }
  const folders = new Set<string>();
  const files: string[] = [];
  for (const p of paths) {
    const slash = p.indexOf('/');
    if (slash >= 0) folders.add(p.slice(0, slash + 1));
    else files.push(p);
  }
  return { folders: [...folders].sort(), files: files.sort() };
}

function crumbs(path: string): HTMLElement {
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return h('span', {});
  const nav = h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/files/' }, 'Files'));
  let acc = '';
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    acc += `${p}${last && !path.endsWith('/') ? '' : '/'}`;
    nav.append(' / ', last ? h('span', { 'aria-current': 'page' }, p) : h('a', { href: fileHash(acc) }, p));
  });
  return nav;
}

/** Saves bytes fetched with the token (a plain link could not send the Authorization header). */
export async function download(path: string): Promise<void> {
  const res = await request(fileUrl(path));
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: path.split('/').pop() ?? 'download' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function mountDir(root: HTMLElement, dir: string): () => void {
  const list = h('tbody', {});
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const input = h('input', { type: 'file', multiple: true, id: 'upload-input' });

  const load = async (): Promise<void> => {
    try {
      const { folders, files } = await listFolder(dir);
      const names = [...folders, ...files];
      replace(
        list,
        ...(names.length
          ? names.map((n) => {
              const isDir = n.endsWith('/');
              const full = dir + n;
              return h(
                'tr',
                { 'data-name': n },
                h('td', { class: 'icon', 'aria-hidden': 'true' }, h('span', { class: isDir ? 'i-folder' : 'i-file' })),
                h('td', {}, h('a', { href: fileHash(full) }, n)),
                h('td', { class: 'size muted', 'data-path': isDir ? null : full }, isDir ? '' : '…'),
                h('td', { class: 'mtime muted', 'data-path': isDir ? null : full }),
                h(
                  'td',
                  { class: 'actions' },
                  isDir
                    ? null
                    : h('button', { type: 'button', class: 'link', 'aria-label': `Download ${n}`, onclick: () => void download(full).catch((e: unknown) => (status.textContent = errorText(e))) }, 'Download'),
                  isDir ? null : h('button', { type: 'button', class: 'link danger', 'aria-label': `Delete ${n}`, onclick: () => void remove(full) }, 'Delete'),
                ),
              );
            })
          : [h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'Empty folder.'))]),
      );
      void fillStats(files.slice(0, STAT_LIMIT).map((f) => dir + f));
    } catch (e) {
      replace(list, h('tr', {}, h('td', { colspan: 5 }, message(e instanceof ApiError && e.status === 404 ? 'No such folder.' : `Could not list: ${errorText(e)}`, 'error'))));
    }
  };

  // Sizes and times come from one stat per file, a few at a time, after the names are shown.
  const fillStats = async (paths: string[]): Promise<void> => {
    const queue = [...paths];
    const worker = async (): Promise<void> => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
        try {
          const st = await getJson<{ size: number; mtimeMs?: number }>(`${fileUrl(p)}?stat=1`);
          for (const cell of list.querySelectorAll<HTMLElement>('td[data-path]')) {
            if (cell.dataset['path'] !== p) continue;
            if (cell.classList.contains('size')) cell.textContent = formatBytes(st.size);
            else if (st.mtimeMs !== undefined) cell.textContent = new Date(st.mtimeMs).toLocaleString();
          }
        } catch {
          // A file deleted meanwhile keeps its placeholder; the next reload drops it.
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  };

  const remove = async (path: string): Promise<void> => {
    if (!(await confirmDialog('Delete file', `Delete ${path}? This cannot be undone.`, 'Delete'))) return;
    try {
      await request(fileUrl(path), { method: 'DELETE' });
      status.textContent = `Deleted ${path}`;
      await load();
    } catch (e) {
      status.textContent = `Could not delete: ${errorText(e)}`;
    }
  };

  const upload = async (): Promise<void> => {
    const files = Array.from(input.files ?? []);
    for (const [i, f] of files.entries()) {
      status.textContent = `Uploading ${f.name} (${i + 1}/${files.length}, ${formatBytes(f.size)})…`;
      try {
        await request(fileUrl(dir + f.name), { method: 'PUT', body: f, headers: { 'content-type': 'application/octet-stream' } });
      } catch (e) {
        status.textContent = `Could not upload ${f.name}: ${errorText(e)}`;
        return;
      }
    }
    status.textContent = `Uploaded ${files.length} file${files.length === 1 ? '' : 's'}`;
    input.value = '';
    await load();
  };
  input.addEventListener('change', () => void upload());

  replace(
    root,
    crumbs(dir),
    h('h2', {}, dir ? dir : 'Files'),
    h('div', { class: 'toolbar' }, h('label', { class: 'button', for: 'upload-input' }, 'Upload files…'), input, status),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table files' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'icon' }, h('span', { class: 'sr-only' }, 'kind')), h('th', { scope: 'col' }, 'name'), h('th', { scope: 'col', class: 'size' }, 'size'), h('th', { scope: 'col', class: 'mtime' }, 'modified'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'actions')))), list)),
  );
  void load();
  return () => {};
}

function mountFile(root: HTMLElement, path: string): () => void {
  let url: string | null = null;
  const view = h('div', { class: 'file-view' }, message('Loading…'));
  const info = h('p', { class: 'muted' });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' });
  const parent = path.slice(0, path.lastIndexOf('/') + 1);

  const load = async (): Promise<void> => {
    try {
      const res = await request(fileUrl(path), { headers: { range: `bytes=0-${PREVIEW_BYTES - 1}` } });
      const bytes = new Uint8Array(await res.arrayBuffer());
      const range = res.headers.get('content-range');
      const total = range ? Number(range.split('/')[1]) : bytes.length;
      info.textContent = `${formatBytes(total)}${res.headers.get('etag') ? ` · ETag ${res.headers.get('etag')}` : ''}${total > bytes.length ? ` · showing the first ${formatBytes(bytes.length)}` : ''}`;
      const ext = path.split('.').pop()?.toLowerCase() ?? '';
      const imageType = IMAGE_TYPES[ext];
      if (imageType && total === bytes.length) {
        url = URL.createObjectURL(new Blob([bytes], { type: imageType }));
        replace(view, h('img', { src: url, alt: path, class: 'file-image' }));
        return;
      }
      const text = utf8OrNull(bytes, total > bytes.length);
      replace(view, h('pre', { class: text === null ? 'hex' : 'file-text' }, text ?? hexDump(bytes)));
    } catch (e) {
      replace(view, message(e instanceof ApiError && e.status === 404 ? 'No such file.' : `Could not read: ${errorText(e)}`, 'error'));
    }
  };

  const remove = async (): Promise<void> => {
    if (!(await confirmDialog('Delete file', `Delete ${path}? This cannot be undone.`, 'Delete'))) return;
    try {
      await request(fileUrl(path), { method: 'DELETE' });
      location.hash = fileHash(parent);
    } catch (e) {
      status.textContent = `Could not delete: ${errorText(e)}`;
    }
  };

  replace(
    root,
    crumbs(path),
    h('h2', { class: 'break' }, path.split('/').pop() ?? path),
    info,
    h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'button', onclick: () => void download(path).catch((e: unknown) => (status.textContent = errorText(e))) }, 'Download'),
      h('button', { type: 'button', class: 'danger', onclick: () => void remove() }, 'Delete'),
      status,
    ),
    view,
  );
  void load();
  return () => {
    if (url) URL.revokeObjectURL(url);
  };
}

export function mountFiles(root: HTMLElement, path: string): () => void {
  return path === '' || path.endsWith('/') ? mountDir(root, path) : mountFile(root, path);
}
