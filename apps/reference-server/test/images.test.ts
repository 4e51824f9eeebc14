import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SummaryWriter } from '@store/tfevents';
import { png } from './console/png.js';
import { startServer, type Running } from './helpers.js';

describe('GET /v1/images', () => {
  let running: Running;
  const images = [png(4, 3), png(5, 2), png(1, 1)];

  beforeAll(async () => {
    running = await startServer();
    const w = new SummaryWriter({ logDir: path.join(running.server.ctx.logdir, 'vision', 'a') });
    images.forEach((img, step) => w.addImage('samples/<b>', img, step * 10, { wallTime: 1000 + step }));
    w.addScalar('loss', 1, 0);
    await w.close();
  });
  afterAll(() => running?.close());

  const get = (q: string) => fetch(`${running.url}/v1/images${q}`);

  it('lists the image values of a tag with their sizes, and the runs list names the tag an image', async () => {
    const runs = (await (await fetch(`${running.url}/v1/runs`)).json()) as Array<{ run: string; tags: Record<string, string> }>;
    expect(runs).toEqual([{ run: 'vision/a', tags: { 'samples/<b>': 'image', loss: 'scalar' } }]);
    const res = await get(`?run=vision/a&tag=${encodeURIComponent('samples/<b>')}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([
      { step: 0, wallTime: 1000, width: 4, height: 3, colorspace: 3, count: 1 },
      { step: 10, wallTime: 1001, width: 5, height: 2, colorspace: 3, count: 1 },
      { step: 20, wallTime: 1002, width: 1, height: 1, colorspace: 3, count: 1 },
    ]);
  });

  it('answers the stored bytes of one image as image/png', async () => {
    for (const [i, img] of images.entries()) {
      const res = await get(`/data?run=vision/a&tag=${encodeURIComponent('samples/<b>')}&index=${i}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await res.arrayBuffer()).equals(img)).toBe(true);
    }
  });

  it('names what is wrong: missing run, tag, index; a run path outside the logdir; a scalar tag', async () => {
    const cases: Array<[string, number, string]> = [
      ['?run=nope&tag=x', 404, 'ENOENT'],
      ['?run=vision/a&tag=missing', 404, 'ENOENT'],
      ['?run=vision/a&tag=loss', 404, 'ENOENT'],
      [`/data?run=vision/a&tag=${encodeURIComponent('samples/<b>')}&index=3`, 404, 'ENOENT'],
      [`/data?run=vision/a&tag=${encodeURIComponent('samples/<b>')}&index=0&image=1`, 404, 'ENOENT'],
      [`/data?run=vision/a&tag=${encodeURIComponent('samples/<b>')}&index=-1`, 400, 'EINVAL'],
      ['?run=../../etc&tag=x', 400, 'EINVAL'],
      ['?run=vision/a', 400, 'EINVAL'],
    ];
    for (const [q, status, code] of cases) {
      const res = await get(q);
      expect([q, res.status]).toEqual([q, status]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
  });
});
