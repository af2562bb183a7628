/**
 * How an administration command is declared: usage, options, positionals and what
 * it does with the admin services. A failure the user can fix is a CommandFailed:
 * one line, exit 1 (2 for usage).
 */
import type { ParseArgsConfig } from 'node:util';
import type { CollectionAdmin } from '../admin/collections.js';
import type { PartnerAdmin } from '../admin/partners.js';
import type { IssuedToken } from '../admin/tokens.js';

export const JSON_OPTION = { json: { type: 'boolean' } } as const;

export interface Output {
  log(line: string): void;
  error(line: string): void;
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
}

export interface Subcommand {
  readonly usage: string;
  readonly summary: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly positionals: readonly string[];
  /** Positionals that may follow the required ones. */
  readonly optional?: readonly string[];
  run(services: Services, args: ParsedArgs, out: Output): Promise<void>;
}

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: readonly string[];
}

