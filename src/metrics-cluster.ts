/**
 * Metrics across TAXII_WORKERS (issue 13): every worker counts into its own
 * registry; the primary adds them up with prom-client's AggregatorRegistry,
 * for its own metrics listener and for a worker asked for /metrics on the TAXII
 * port, which asks the primary over the cluster's IPC channel.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsSource } from './http/metrics.js';

const REQUEST = 'taxii-exchange:metrics-request';
const ANSWER = 'taxii-exchange:metrics-answer';
/** A worker waits this long for the primary's sum (prom-client gives each worker 5 s to answer). */
const ANSWER_TIMEOUT_MS = 10_000;

interface Answer {
  readonly type: typeof ANSWER;
  readonly id: number;
  readonly contentType?: string;
  readonly text?: string;
  readonly error?: string;
}

const isAnswer = (message: unknown): message is Answer => (message as { type?: unknown } | null)?.type === ANSWER;
const isRequest = (message: unknown): message is { type: typeof REQUEST; id: number } => (message as { type?: unknown } | null)?.type === REQUEST;

/** In a worker: its app's registry is what it gives when the primary collects. */
export function shareWithPrimary(registry: Registry): void {
  // Constructing one installs prom-client's answer to the primary's requests in this worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

/** In a worker: what /metrics on the TAXII port serves, every worker's sum, asked of the primary. */
export function askPrimaryForMetrics(): MetricsSource {
  let next = 0;
  const waiting = new Map<number, (answer: Answer) => void>();
  process.on('message', (message: unknown) => {
    if (isAnswer(message)) waiting.get(message.id)?.(message);
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary did not answer with the metrics in time'));
      }, ANSWER_TIMEOUT_MS);
      waiting.set(id, (answer) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (answer.error !== undefined || answer.text === undefined) reject(new Error(`metrics: ${answer.error ?? 'no answer'}`));
        else resolve({ contentType: answer.contentType ?? 'text/plain', text: answer.text });
      });
      process.send?.({ type: REQUEST, id });
    });
}

/** In the primary: every worker's metrics added up, also for workers that ask. */
export function primaryMetrics(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  const source: MetricsSource = async () => ({ contentType: aggregator.contentType, text: await aggregator.clusterMetrics() });
  cluster.on('message', (worker, message: unknown) => {
    if (!isRequest(message)) return;
    source().then(
      (answer) => worker.send({ type: ANSWER, id: message.id, ...answer }),
      (err: unknown) => worker.send({ type: ANSWER, id: message.id, error: (err as Error).message }),
    );
  });
  return source;
}
