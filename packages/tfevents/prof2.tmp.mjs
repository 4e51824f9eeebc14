import { readEvents } from './dist/index.js';
const f = process.argv[2];
for (let r = 0; r < 4; r++) {
  const t = performance.now();
  let n = 0;
  for await (const e of readEvents(f)) n++;
  console.log('read', n, (performance.now() - t).toFixed(0));
}
