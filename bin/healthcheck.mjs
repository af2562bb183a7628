#!/usr/bin/env node
// The Docker image's HEALTHCHECK: exit 0 when GET /healthz on TAXII_PORT answers
// 200, over HTTP or, when the server terminates TLS itself, over HTTPS (whose
// certificate is not checked: this asks only whether the process answers).
import { request as http } from 'node:http';
import { request as https } from 'node:https';

const port = Number(process.env.TAXII_PORT ?? 8000);
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

process.exit((await ask(http)) || (await ask(https, { rejectUnauthorized: false })) ? 0 : 1);
