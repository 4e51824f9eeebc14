import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The answer to a request Node's HTTP parser refused before any route saw it (a raw
 * non-ASCII byte in the target, `Transfer-Encoding` with `Content-Length`, two lengths, a
 * bad chunk size, headers over Node's limit). Fastify's default answers those with a body
 * of its own shape, and sends that body after a HEAD too, which breaks the client's framing
 * of the connection. Here: the API's `{ "error": { "code", "message" } }`, no body for a
 * HEAD, and the connection closed (after a framing error nothing more on it can be trusted).
 */
export function answerClientError(error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const overflow = error.code === 'HPE_HEADER_OVERFLOW';
  const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const status = overflow ? 431 : timeout ? 408 : 400;
  const body = JSON.stringify({
    error: overflow
      ? { code: 'ELIMIT', message: 'request headers are larger than the limit (limit maxHeaderBytes)', limit: 'maxHeaderBytes' }
      : timeout
        ? { code: 'ETIMEDOUT', message: 'the request did not arrive in time' }
        : { code: 'EINVAL', message: `malformed HTTP request${error.code === undefined ? '' : ` (${error.code})`}` },
  });
  const head = Buffer.isBuffer(error.rawPacket) && error.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${head ? '' : body}`,
  );
}
