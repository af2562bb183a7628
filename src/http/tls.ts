/**
 * TLS terminated by the server itself (issue 13): its certificate and key, and
 * optionally the CA whose client certificates it asks for or requires, read from
 * PEM files when the server starts and again on SIGHUP (a renewed certificate
 * takes effect for new connections without a restart), and what a client
 * certificate says about the connection.
 */
import { readFileSync } from 'node:fs';
import type { Server as HttpsServer, ServerOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { certificateTexts } from '../config/certificates.js';
import { taxiiError } from '../errors.js';
import type { TlsSettings } from '../config/types.js';

/** A file named by `server.tls` that cannot be read: the server does not start (or keeps its current files). */
export class TlsFilesUnreadable extends Error {
  constructor(file: string, cause: unknown) {
    super(`server.tls: cannot read ${file}: ${(cause as Error).message}`, { cause });
    this.name = 'TlsFilesUnreadable';
  }
}

function read(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TlsFilesUnreadable(file, err);
  }
}

/** The https options of these settings, files read now. */
export function tlsOptions(tls: TlsSettings): ServerOptions {
  return {
    cert: read(tls.certFile),
    key: read(tls.keyFile),
    ...(tls.clientCaFile !== undefined && {
      ca: read(tls.clientCaFile),
      requestCert: true,
      // 'request': a client without a certificate gets in (and authenticates otherwise); one with a
      // certificate the CA did not sign is refused either way (refuseUntrustedCertificates below).
      rejectUnauthorized: tls.clientCertificates !== 'request',
    }),
    minVersion: 'TLSv1.2',
  };
}

/** Re-reads the files for new connections; throws (keeping the current ones) when one cannot be read. */
export function reloadTls(app: FastifyInstance, tls: TlsSettings): void {
  (app.server as unknown as HttpsServer).setSecureContext(tlsOptions(tls));
}

/**
 * With `client_certificates: request`, TLS lets a client in whatever it presents
 * (requiring none); a certificate the configured CA did not sign is refused here,
 * on every path, rather than ignored.
 */
export function refuseUntrustedCertificates(app: FastifyInstance, tls: TlsSettings): void {
  if (tls.clientCaFile === undefined || tls.clientCertificates !== 'request') return;
  app.addHook('onRequest', async (request) => {
    const socket = request.raw.socket as TLSSocket;
    if (socket.authorized || typeof socket.getPeerCertificate !== 'function') return;
    if (Object.keys(socket.getPeerCertificate()).length === 0) return;
    throw taxiiError('UNAUTHENTICATED', `The client certificate is not one the server's client CA signed (${String(socket.authorizationError)}).`);
  });
}

/** The texts naming the client certificate of this connection, when the configured CA signed one (cached per connection). */
const presentedCertificates = new WeakMap<TLSSocket, readonly string[] | null>();
export function presentedCertificate(request: FastifyRequest): readonly string[] | undefined {
  const socket = request.raw.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  let texts = presentedCertificates.get(socket);
  if (texts === undefined) {
    const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
    texts = peer?.raw === undefined ? null : certificateTexts(peer.raw);
    presentedCertificates.set(socket, texts);
  }
  return texts ?? undefined;
}
