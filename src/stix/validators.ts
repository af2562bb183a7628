/** One validator per strictness level, sharing one compiled schema registry. */
import type { ObjectValidator, Strictness } from './object-validator.js';
import { createSchemaRegistry } from './schema-registry.js';
import { createStixValidator } from './stix-validator.js';

export function createValidators(): Record<Strictness, ObjectValidator> {
  const registry = createSchemaRegistry();
  return {
    strict: createStixValidator(registry, 'strict'),
    standard: createStixValidator(registry, 'standard'),
    permissive: createStixValidator(registry, 'permissive'),
  };
}
