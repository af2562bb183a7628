/**
 * How an administration command is declared: usage, options, positionals and what
 * it does with the admin services. A failure the user can fix is a CommandFailed:
 * one line, exit 1 (2 for usage).
 */
import type { ParseArgsConfig } from 'node:util';
import type { AuditQueries } from '../admin/audit.js';
import type { CollectionAdmin } from '../admin/collections.js';
import type { PartnerAdmin } from '../admin/partners.js';
import type { IssuedToken } from '../admin/tokens.js';
import type { ImportProgress, Transfers } from '../admin/transfers.js';
import type { JwtConfig } from '../config/types.js';

export const JSON_OPTION = { json: { type: 'boolean' } } as const;

export interface Output {
  /** A line for the user (standard output). */
  log(line: string): void;
  /** A line about the run or what went wrong (standard error). */
  error(line: string): void;
  /** Data, as it is produced (an export to standard output); resolves when it may go on. */
  write(chunk: string): Promise<void>;
  /** How far a long command is: a progress bar on a terminal, lines otherwise. */
  progress(progress: ImportProgress): void;
}

/** A command that went wrong in a way its user can fix: printed as one line, exit 1 (2 for usage). */
export class CommandFailed extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CommandFailed';
  }
}

/** The services a command acts through (src/admin/). */
export interface Services {
  readonly partners: PartnerAdmin;
  readonly collections: CollectionAdmin;
  issueToken(partnerId: string, ttl: string): Promise<IssuedToken>;
  readonly transfers: Transfers;
  readonly audit: AuditQueries;
}

export interface Subcommand {
  readonly usage: string;
  readonly summary: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly positionals: readonly string[];
  /** Positionals that may follow the required ones. */
  readonly optional?: readonly string[];
  /** The last positional may repeat (`import FILE...`). */
  readonly variadic?: boolean;
  /**
   * The positionals and `--output` are paths: made absolute before the command is
   * sent to a running server, which resolves them from its own directory.
   */
  readonly paths?: boolean;
  /**
   * How the audit trail records it: a change (the default) as an administration
   * event; 'none' for what only looks; 'self' for what records its own events
   * (import and export, per batch, as the partner they act for).
   */
  readonly audit?: 'none' | 'self';
  run(services: Services, args: ParsedArgs, out: Output): Promise<void>;
}

/** An invocation, parsed: `name` is how the audit trail and the log call it (`partner add`). */
export interface ParsedCommand {
  readonly name: string;
  readonly command: Subcommand;
  readonly args: ParsedArgs;
}

/** Who runs a command, and what it may need from the configuration. */
export interface CommandContext {
  /** `cli:<user>`: named in the audit trail. */
  readonly operator: string;
  jwt(): Promise<JwtConfig | undefined>;
}

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: readonly string[];
}

