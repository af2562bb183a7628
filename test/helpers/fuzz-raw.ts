/**
 * Raw HTTP/1.1 over a real TCP socket, for what inject() cannot express (the
 * requests themselves are in fuzz-raw-requests.ts). `converse` writes bytes (in
 * pieces, with pauses), then reads until the server closes, the expected answers
 * are in, or it hangs, and splits what came back into answers.
 */
import { connect } from 'node:net';
import { requestCount, type Exchange } from './fuzz.js';

// ---------------------------------------------------------------- reading answers

export interface RawResponse extends Exchange {
  /** The whole response arrived (status line, headers and body). */
  readonly complete: boolean;
}

/** How a conversation ended: the server closed, reset, or it answered everything asked. */
export type Ending = 'closed' | 'reset' | 'answered' | 'hang';

export interface Conversation {
  readonly responses: readonly RawResponse[];
  readonly ending: Ending;
  readonly ms: number;
  /** Bytes after the last response that do not parse as one. */
  readonly leftover: Buffer;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

function chunkedBody(buf: Buffer, from: number): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = [];
  let at = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return undefined;
    const size = Number.parseInt(buf.subarray(at, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) {
      const end = buf.indexOf(CRLFCRLF, eol);
      return end < 0 ? (buf.subarray(eol + 2, eol + 4).toString() === '\r\n' ? {
        body: Buffer.concat(parts), end: eol + 4,
      } : undefined) : { body: Buffer.concat(parts), end: end + 4 };
    }
    if (buf.length < eol + 2 + size + 2) return undefined;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/**
 * Splits what the server sent into responses; `methods` are the methods of the
 * requests in order, as far as they can be known. `closed`: no more bytes will come.
 */
export function parseResponses(buf: Buffer, methods: readonly string[], closed: boolean): { responses: RawResponse[]; leftover: Buffer } {
  const responses: RawResponse[] = [];
  let at = 0;
  let requestIndex = 0;
  while (at < buf.length) {
    const headEnd = buf.indexOf(CRLFCRLF, at);
    if (headEnd < 0) break;
    const [statusLine = '', ...lines] = buf.subarray(at, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (m === null) break;
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const bodyStart = headEnd + 4;
    // Which request an answer is for is a guess once a defect made two requests of one, so
    // HEAD answers are told by the bytes: the announced body is not there (the stream ends,
    // or the next answer starts right after the head).
    const startsAnswer = (from: number) => buf.subarray(from, from + 7).toString('latin1') === 'HTTP/1.';
    const announcesBody = headers['content-length'] !== undefined ? Number(headers['content-length']) > 0 : /chunked/i.test(headers['transfer-encoding'] ?? '');
    const bodiless = announcesBody && (startsAnswer(bodyStart) || (closed && buf.length === bodyStart));
    const method = bodiless ? 'HEAD' : (methods[requestIndex] ?? 'GET');
    let body: Buffer = Buffer.alloc(0);
    let end = bodyStart;
    let complete = true;
    if (status < 200 || status === 204 || status === 304 || bodiless) {
      end = bodyStart;
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const chunked = chunkedBody(buf, bodyStart);
      if (chunked === undefined) {
        complete = false;
        end = buf.length;
      } else ({ body, end } = chunked);
    } else if (headers['content-length'] !== undefined) {
      end = bodyStart + Number(headers['content-length']);
      complete = end <= buf.length;
      body = buf.subarray(bodyStart, Math.min(end, buf.length));
    } else {
      end = buf.length;
      body = buf.subarray(bodyStart);
      complete = closed;
    }
    if (status >= 200) requestIndex++;
    responses.push({ method, url: '', requestHeaders: {}, status, headers, body, complete });
    at = Math.min(end, buf.length);
    if (!complete) break;
  }
  return { responses, leftover: buf.subarray(at) };
}

export interface ConverseOptions {
  readonly port: number;
  /** Request methods in order (which answers are to a POST, as far as that can be known). */
  readonly methods: readonly string[];
  /** Stop once this many final answers are in (the connection may stay open). */
  readonly expectAnswers?: number;
  /** Silence after a complete answer after which the conversation counts as answered. */
  readonly settleMs?: number;
  /** Pause between pieces, in milliseconds. */
  readonly pauseMs?: number;
  readonly hangMs: number;
}

/** Writes `pieces` on a fresh connection and reads until the server closes, everything is answered, or `hangMs`. */
export function converse(pieces: readonly Buffer[], options: ConverseOptions): Promise<Conversation> {
  requestCount.raw += Math.max(1, options.methods.length);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(options.port, '127.0.0.1');
    const received: Buffer[] = [];
    let ending: Ending | undefined;
    let settle: NodeJS.Timeout | undefined;
    const finish = (how: Ending) => {
      if (ending !== undefined) return;
      ending = how;
      clearTimeout(timer);
      clearTimeout(settle);
      socket.destroy();
      const all = Buffer.concat(received);
      const { responses, leftover } = parseResponses(all, options.methods, how !== 'answered' && how !== 'hang');
      resolve({ responses, ending: how, ms: Date.now() - started, leftover });
    };
    const timer = setTimeout(() => finish('hang'), options.hangMs);
    socket.on('data', (data: Buffer) => {
      received.push(data);
      const { responses, leftover } = parseResponses(Buffer.concat(received), options.methods, false);
      const finals = responses.filter((r) => r.status >= 200 && r.complete);
      if (options.expectAnswers !== undefined && finals.length >= options.expectAnswers) finish('answered');
      // Whatever was asked, a complete answer followed by silence is an answer: do not wait
      // for the keep-alive timeout to close the connection.
      clearTimeout(settle);
      if (finals.length > 0 && leftover.length === 0 && responses.every((r) => r.complete)) settle = setTimeout(() => finish('answered'), options.settleMs ?? 300);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'closed'));
    socket.on('close', () => finish('closed'));
    socket.on('connect', async () => {
      for (const [i, piece] of pieces.entries()) {
        if (ending !== undefined || socket.destroyed) return;
        if (i > 0 && (options.pauseMs ?? 0) > 0) await new Promise((r) => setTimeout(r, options.pauseMs));
        if (ending !== undefined || socket.destroyed) return;
        socket.write(piece);
      }
    });
  });
}
