/**
 * `taxii-exchange validate [--strictness LEVEL] FILE...`: the server's verdict on each
 * object of STIX files, offline. Files are read as `import` reads them (bundles,
 * envelopes, JSON lists, single objects, JSON lines; streamed, never held whole) and
 * judged by the code a POST goes through before it looks at the partner or the
 * collection's sharing settings (judgeObjectTexts in src/ingest.ts).
 */
import { createReadStream } from 'node:fs';
import { judgeObjectTexts } from '../ingest.js';
import { STRICTNESS_LEVELS, type ObjectValidator, type Strictness } from '../stix/object-validator.js';
import { MalformedFile, splitObjects } from '../stix/object-stream.js';
import { createValidators } from '../stix/validators.js';
import type { Output } from './admin-command.js';

const READ_CHUNK = 1024 * 1024;

interface FileCounts {
  readonly objects: number;
  readonly invalid: number;
  readonly unreadable: boolean;
}

async function validateFile(file: string, validator: ObjectValidator, out: Output): Promise<FileCounts> {
  let objects = 0;
  let invalid = 0;
  try {
    const texts = splitObjects(createReadStream(file, { encoding: 'utf8', highWaterMark: READ_CHUNK }));
    for await (const { line, verdict } of judgeObjectTexts(texts, validator)) {
      if (!verdict.ok) {
        invalid += 1;
        out.log(`${file}: objects[${objects}] ${verdict.id} (line ${line}): ${verdict.message}`);
      }
      objects += 1;
    }
    return { objects, invalid, unreadable: false };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(err instanceof MalformedFile) && code === undefined) throw err;
    const after = objects === 0 ? '' : ` (after ${objects} object(s), which are counted)`;
    out.error(`${file}: cannot read as JSON: ${(err as Error).message}${after}`);
    return { objects, invalid, unreadable: true };
  }
}

export async function validateCommand(args: readonly string[], out: Output): Promise<number> {
  let strictness: Strictness = 'standard';
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--strictness') {
      const level = args[++i];
      if (!STRICTNESS_LEVELS.includes(level as Strictness)) {
        out.error(`validate: --strictness takes ${STRICTNESS_LEVELS.join(', ')}`);
        return 2;
      }
      strictness = level as Strictness;
    } else files.push(arg);
  }
  if (files.length === 0) {
    out.error('validate: name at least one file');
    return 2;
  }
  const validator = createValidators()[strictness];
  let [objects, invalid, unreadable] = [0, 0, 0];
  for (const file of files) {
    const counts = await validateFile(file, validator, out);
    objects += counts.objects;
    invalid += counts.invalid;
    if (counts.unreadable) unreadable += 1;
  }
  const skipped = unreadable === 0 ? '' : `, ${unreadable} file(s) unreadable`;
  out.log(`${files.length} file(s), ${objects} object(s): ${objects - invalid} valid, ${invalid} invalid${skipped} (${strictness})`);
  return invalid === 0 && unreadable === 0 ? 0 : 1;
}
