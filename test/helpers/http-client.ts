/**
 * One HTTP(S) request over a real socket, to a server in this process or in
 * another, on a connection of its own (so a cluster hands each to the next
 * worker). Every answer from the server's own port is held to openapi.yaml, as
 * `inject` answers are (test/helpers/app.ts); `contract: false` is for other
 * listeners (the metrics port) and for requests that are malformed on purpose.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { holdToContract } from './openapi-contract.js';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body as text. */
  readonly text: string;
  /** Over TLS: the SHA-256 fingerprint of the certificate the server presented. */
  readonly serverCertificate?: string;
}

export interface HttpCall extends RequestOptions {
  readonly port: number;
  readonly path: string;
  readonly tls?: boolean;
  readonly body?: string | Buffer;
  readonly contract?: boolean;
}

export function httpCall(options: HttpCall): Promise<HttpAnswer> {
  const { port, path, tls = false, body: payload, contract = true, ...rest } = options;
  const send = tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({ host: '127.0.0.1', port, path, agent: false, method: payload === undefined ? 'GET' : 'POST', ...rest }, (res) => {
      const serverCertificate = tls ? (res.socket as TLSSocket).getPeerCertificate().fingerprint256 : undefined;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const answer: HttpAnswer = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          text: body.toString('utf8'),
          ...(serverCertificate !== undefined && { serverCertificate }),
        };
        try {
          if (contract) holdToContract(req.method, new URL(path, 'http://localhost').pathname, { statusCode: answer.status, headers: res.headers, rawPayload: body });
          resolve(answer);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
