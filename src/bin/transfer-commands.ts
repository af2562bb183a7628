/**
 * `taxii-exchange import …` and `taxii-exchange export …` (issue 12): bulk
 * transfers as one partner, through the transfer service (src/admin/transfers.ts).
 * Files are read as streams: counted once (which also finds a truncated file
 * before anything is stored), then imported in batches.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, statSync, unlinkSync } from 'node:fs';
import type { ImportSummary, Transfers } from '../admin/transfers.js';
import { MalformedFile, splitObjects, type ObjectText } from '../stix/object-stream.js';
import { CommandFailed, JSON_OPTION, type ParsedArgs, type Subcommand } from './admin-command.js';

const READ_CHUNK = 1024 * 1024;

function objectsOf(file: string): AsyncIterable<ObjectText> {
  return splitObjects(createReadStream(file, { encoding: 'utf8', highWaterMark: READ_CHUNK }));
}

async function countObjects(file: string): Promise<number> {
  try {
    if (!statSync(file).isFile()) throw new CommandFailed(`${file}: not a file`);
    let count = 0;
    for await (const _ of objectsOf(file)) count++;
    return count;
  } catch (err) {
    if (err instanceof MalformedFile) throw new CommandFailed(`${file}: ${err.message}; nothing was imported`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new CommandFailed(`${file}: cannot read it (${code})`);
    throw err;
  }
}

const SHOWN_REFUSALS = 20;
const SHOWN_REASONS = 10;

function summaryLines(summary: ImportSummary): string[] {
  const seconds = summary.elapsedMs / 1000;
  const lines = [
    `imported ${summary.done} object(s) in ${seconds.toFixed(1)} s: ${summary.stored} stored, ${summary.present} already present, ${summary.refused} refused`,
  ];
  if (summary.refused === 0) return lines;
  lines.push('refused, by reason:');
  for (const { reason, count } of summary.reasons.slice(0, SHOWN_REASONS)) lines.push(`  ${count} × ${reason}`);
  if (summary.reasons.length > SHOWN_REASONS) lines.push(`  … and ${summary.reasons.length - SHOWN_REASONS} other reason(s)`);
  lines.push('refused objects:');
  for (const r of summary.refusals.slice(0, SHOWN_REFUSALS)) lines.push(`  ${r.file}:${r.line} ${r.id} ${r.version}: ${r.message}`);
  if (summary.refused > SHOWN_REFUSALS) lines.push(`  … and ${summary.refused - SHOWN_REFUSALS} more (--json lists up to 1,000)`);
  return lines;
}

export const IMPORT: Subcommand = {
  usage: 'import FILE... --collection ROOT/COLLECTION --as PARTNER [--json]',
  summary: [
    'store the objects of STIX bundles, envelopes, JSON lists or JSON-lines files as if PARTNER had posted them',
    '(the same validation, write policy and storage); what is already there is not stored again;',
    'exits 1 if any object was refused',
  ].join('\n'),
  options: { collection: { type: 'string' }, as: { type: 'string' }, ...JSON_OPTION },
  positionals: ['FILE'],
  variadic: true,
  paths: true,
  audit: 'self',
  async run({ transfers }, args, out) {
    const { collection, partner, target } = await targetOf(transfers, args, 'write');
    const files = args.positionals;
    let total = 0;
    for (const file of files) total += await countObjects(file);
    out.error(`importing ${total} object(s) from ${files.length} file(s) into ${collection} as ${partner}`);
    const sources = files.map((file) => ({ file, objects: objectsOf(file) }));
    let summary: ImportSummary;
    try {
      summary = await transfers.importObjects(target, sources, total, (p) => out.progress(p));
    } catch (err) {
      // The file changed between the count and the import.
      if (err instanceof MalformedFile) throw new CommandFailed(`${err.message}; the objects before it were imported`);
      throw err;
    }
    if (args.values['json'] === true) {
      const { done, stored, present, refused, elapsedMs, reasons, refusals } = summary;
      out.log(JSON.stringify({ objects: done, stored, already_present: present, refused, elapsed_ms: elapsedMs, reasons, refusals }));
    } else for (const line of summaryLines(summary)) out.log(line);
    if (summary.refused > 0) throw new CommandFailed(`${summary.refused} object(s) refused`);
  },
};

export const EXPORT: Subcommand = {
  usage: 'export --collection ROOT/COLLECTION --as PARTNER [--since TIMESTAMP] [--type TYPE]... [--all-versions] [--output FILE]',
  summary: [
    'write a STIX bundle of what PARTNER may read in the collection (the same read scope as its GET):',
    'the latest version of each object, or every version with --all-versions; to standard output or --output FILE',
  ].join('\n'),
  options: {
    collection: { type: 'string' }, as: { type: 'string' }, since: { type: 'string' }, type: { type: 'string', multiple: true },
    'all-versions': { type: 'boolean' }, output: { type: 'string' },
  },
  positionals: [],
  paths: true,
  audit: 'self',
  async run({ transfers }, args, out) {
    const { collection, partner, target } = await targetOf(transfers, args, 'read');
    const since = args.values['since'];
    const types = args.values['type'];
    const options = {
      ...(typeof since === 'string' && { since }),
      ...(Array.isArray(types) && { types }),
      allVersions: args.values['all-versions'] === true,
    };
    const bundleId = `bundle--${randomUUID()}`;
    const output = args.values['output'];
    if (typeof output !== 'string') {
      const count = await transfers.exportObjects(target, options, bundleId, (chunk) => out.write(chunk));
      out.error(`exported ${count} object(s) from ${collection} as ${partner}`);
      return;
    }
    const count = await exportToFile(output, (write) => transfers.exportObjects(target, options, bundleId, write));
    out.error(`exported ${count} object(s) from ${collection} as ${partner} to ${output}`);
  },
};

/** Writes through a file stream, waiting when it is full; a failed export leaves no file behind. */
async function exportToFile(path: string, produce: (write: (chunk: string) => Promise<void>) => Promise<number>): Promise<number> {
  const stream = createWriteStream(path, { flags: 'wx' });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw new CommandFailed(`${path}: cannot create it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); an export never overwrites a file`);
  }
  let failure: Error | undefined;
  stream.on('error', (err) => (failure = err));
  const write = (chunk: string) =>
    new Promise<void>((resolve, reject) => {
      if (failure !== undefined) return reject(failure);
      if (stream.write(chunk)) resolve();
      else stream.once('drain', () => resolve());
    });
  try {
    const count = await produce(write);
    await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (failure !== undefined) throw failure;
    return count;
  } catch (err) {
    stream.destroy();
    unlinkSync(path);
    throw err;
  }
}

/** --collection and --as, as the collection that partner sees. */
async function targetOf(transfers: Transfers, args: ParsedArgs, need: 'read' | 'write') {
  const collection = requiredOption(args.values['collection'], '--collection ROOT/COLLECTION');
  const partner = requiredOption(args.values['as'], '--as PARTNER');
  return { collection, partner, target: await transfers.target(collection, partner, need) };
}

function requiredOption(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new CommandFailed(`give ${what}`, 2);
  return value;
}
