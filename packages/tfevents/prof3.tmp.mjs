import { SummaryWriter } from './dist/index.js';
import { rmSync } from 'node:fs';
const TAGS = ['train/loss', 'train/accuracy', 'lr', 'grad_norm'];
for (let r = 0; r < 4; r++) {
  const d = '/tmp/tfe/w' + r;
  rmSync(d, { recursive: true, force: true });
  let t = performance.now();
  const w = new SummaryWriter({ logDir: d, maxFileSize: 1 << 30 });
  for (let i = 0; i < 1_000_000; i++) w.addScalar(TAGS[i & 3], i * 0.001, i >> 2);
  const t1 = performance.now();
  await w.close();
  console.log('write', (t1 - t).toFixed(0), 'close', (performance.now() - t1).toFixed(0));
}
