#!/usr/bin/env node
// The Docker image's HEALTHCHECK: exit 0 when GET /healthz on TAXII_PORT answers
// 200, over HTTP or, when the server terminates TLS itself, over HTTPS (whose
// certificate is not checked: this asks only whether the process answers). When
// the server requires client certificates, TAXII_HEALTHCHECK_CERT and
// TAXII_HEALTHCHECK_KEY name a certificate its client CA signed, and its key (PEM
// files); it need not name a partner, since /healthz asks for no credentials.
import { readFileSync } from 'node:fs';
import { request as http } from 'node:http';
import { request as https } from 'node:https';

const port = Number(process.env.TAXII_PORT ?? 8000);
const [certFile, keyFile] = [process.env.TAXII_HEALTHCHECK_CERT, process.env.TAXII_HEALTHCHECK_KEY];
const clientCertificate = certFile && keyFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile) } : {};
const ask = (send, options = {}) =>
  new Promise((resolve) => {
    const req = send({ host: '127.0.0.1', port, path: '/healthz', timeout: 2500, ...options }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });

process.exit((await ask(http)) || (await ask(https, { rejectUnauthorized: false, ...clientCertificate })) ? 0 : 1);
