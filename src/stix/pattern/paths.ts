/** Object paths used by a parsed pattern, for semantic checks (object types, property names). */
import type { ComparisonExpression, ObservationNode, PatternNode } from './ast.js';

/**
 * Every object path in the pattern, as canonical text (`ipv4-addr:value`, `file:hashes.'SHA-256'`),
 * each once, in order of first appearance. Iterative, so long operator chains cost no stack.
 */
export function objectPaths(ast: PatternNode): string[] {
  const seen = new Set<string>();
  const stack: Array<ObservationNode | ComparisonExpression> = [ast];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === undefined) break;
    switch (node.kind) {
      case 'observation-operation':
      case 'boolean':
        for (let i = node.operands.length - 1; i >= 0; i--) {
          const operand = node.operands[i];
          if (operand !== undefined) stack.push(operand);
        }
        break;
      case 'qualified':
        stack.push(node.expression);
        break;
      case 'observation':
        stack.push(node.comparison);
        break;
      case 'comparison':
      case 'exists':
        seen.add(node.path.text);
        break;
    }
  }
  return [...seen];
}
