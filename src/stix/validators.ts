/** One validator per strictness level; strict and standard share one compiled schema registry. */
import type { ObjectValidator, Strictness } from './object-validator.js';
import { createSchemaRegistry } from './schema-registry.js';
import { createStixValidator } from './stix-validator.js';

export function createValidators(): Record<Strictness, ObjectValidator> {
  const registry = createSchemaRegistry();
  // Its schemas open every nested structure; compiled on first use, since most servers have no permissive collection.
  let permissive: ObjectValidator | undefined;
  const open = (): ObjectValidator => (permissive ??= createStixValidator(createSchemaRegistry(undefined, { openStructures: true }), 'permissive'));
  return {
    strict: createStixValidator(registry, 'strict'),
    standard: createStixValidator(registry, 'standard'),
    permissive: {
      validate: (object, index) => open().validate(object, index),
      requiredProperties: (type) => open().requiredProperties(type),
    },
  };
}
