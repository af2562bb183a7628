#!/usr/bin/env node
/** The `taxii-exchange` command line (the commands are in commands.ts). */
import { runCommand } from './commands.js';
import type { Output } from './admin-command.js';
import { progressReporter } from './progress.js';

const terminal: Output = {
  log: (line) => console.log(line),
  error: (line) => console.error(line),
  write: (chunk) => new Promise((resolve) => (process.stdout.write(chunk) ? resolve() : process.stdout.once('drain', resolve))),
  progress: progressReporter(process.stderr),
};

// The exit code is set, not forced, so everything written to a pipe is flushed first.
runCommand(process.argv.slice(2), process.env, terminal).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
