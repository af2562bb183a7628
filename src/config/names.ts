/**
 * The name syntaxes of schemas/config.schema.json, for what is named outside the
 * configuration file too (the command line, recipients markings): one syntax for
 * partner, group and community names, one for collection aliases.
 */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const NAME_RULE = 'letters, digits, _ . - (at most 128, starting with a letter or digit)';
export const ALIAS = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const IDENTITY_ID = /^identity--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
