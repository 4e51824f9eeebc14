import { SummaryWriter, listEventFiles, readEvents } from './src/index.js';
import { rmSync } from 'node:fs';
const dir = '/tmp/tfe/prof';
rmSync(dir, { recursive: true, force: true });
const TAGS = ['train/loss', 'train/accuracy', 'lr', 'grad_norm'];
for (let r = 0; r < 3; r++) {
  const d = dir + r;
  rmSync(d, { recursive: true, force: true });
  let t = performance.now();
  const w = new SummaryWriter({ logDir: d, maxFileSize: 1 << 30 });
  for (let i = 0; i < 1_000_000; i++) w.addScalar(TAGS[i & 3]!, i * 0.001, i >> 2);
  const t1 = performance.now();
  await w.close();
  console.log('write', (t1 - t).toFixed(0), 'close', (performance.now() - t1).toFixed(0));
  const f = d + '/' + (await listEventFiles(d))[0];
  t = performance.now();
  let n = 0;
  for await (const e of readEvents(f)) n++;
  console.log('read', n, (performance.now() - t).toFixed(0));
}
