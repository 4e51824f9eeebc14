/**
 * The reference server with `writerThread: false`: PUT writes files on the main thread, as
 * before src/file-writer.ts. Started by bench/index.ts beside the default server, so the
 * table shows what the writer thread changes, measured in the same run.
 */
import { createServer } from '../src/index.js';

const server = await createServer({ dataDir: process.argv[2]!, writerThread: false });
const url = await server.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening on ${url}`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
