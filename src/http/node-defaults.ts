/**
 * What Node's HTTP server answers by itself unless told otherwise, answered here
 * as TAXII errors: the Expect request header (RFC 9110 §10.1.1) and CONNECT. Node
 * answers any expectation but 100-continue with a bare 417; writes its interim 100
 * Continue straight into the connection even while an earlier pipelined request is
 * still being answered, in the middle of that answer; and closes a connection
 * carrying CONNECT, answers to requests before it included.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { taxiiError, toErrorResource } from '../errors.js';
import { answerOnSocket } from './errors.js';
import { TAXII_MEDIA_TYPE } from '../taxii/media-types.js';

/** An expectation other than 100-continue: 417 as a TAXII error resource. */
function refuseExpectation(_request: IncomingMessage, response: ServerResponse): void {
  const failure = taxiiError('EXPECTATION_FAILED', 'This server meets no expectation but 100-continue; send the request without Expect.');
  const body = JSON.stringify(toErrorResource(failure, randomUUID()));
  response.writeHead(failure.status, { 'content-type': TAXII_MEDIA_TYPE, 'content-length': Buffer.byteLength(body), connection: 'close' });
  response.end(body);
}

/**
 * 100-continue: the interim answer goes out only when this request is the one being
 * answered on its connection (a client that pipelines has sent its body anyway), then
 * the request takes its usual way through the app.
 */
function continueWhenCurrent(server: Server): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const current = (request.socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (current === response) response.writeContinue();
    server.emit('request', request, response);
  };
}

/** CONNECT: this server is no proxy. Node hands the connection over; it gets a TAXII 404. */
function refuseConnect(_request: IncomingMessage, socket: Socket): void {
  answerOnSocket(socket, taxiiError('NOT_FOUND', 'This server is not a proxy: CONNECT is not served.'));
}

export function handleNodeDefaults(server: Server): void {
  server.on('checkExpectation', refuseExpectation);
  server.on('checkContinue', continueWhenCurrent(server));
  server.on('connect', refuseConnect);
}
