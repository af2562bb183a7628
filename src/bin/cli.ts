#!/usr/bin/env node
/** The `taxii-exchange` command line (the commands are in commands.ts). */
import { runCommand } from './commands.js';

// The exit code is set, not forced, so everything written to a pipe is flushed first.
runCommand(process.argv.slice(2), process.env, console).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
