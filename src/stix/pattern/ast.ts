/**
 * AST of a STIX 2.1 pattern (§9). Every node carries `start`/`end`: 0-based offsets into the
 * pattern (end exclusive). Parentheses leave no node of their own; chains of one operator at one
 * level (`a AND b AND c`) are a single n-ary node with the operands in source order.
 */

export interface Span {
  readonly start: number;
  readonly end: number;
}

// ---- constants (§9.2) ----

export type Constant =
  | (Span & { readonly kind: 'string'; readonly value: string })
  | (Span & { readonly kind: 'integer'; readonly value: number; readonly text: string })
  | (Span & { readonly kind: 'float'; readonly value: number; readonly text: string })
  | (Span & { readonly kind: 'boolean'; readonly value: boolean })
  /** base64 text with any line feeds removed */
  | (Span & { readonly kind: 'binary'; readonly value: string })
  /** hex digits as written */
  | (Span & { readonly kind: 'hex'; readonly value: string })
  /** the STIX timestamp between t' and ' */
  | (Span & { readonly kind: 'timestamp'; readonly value: string });

export type ConstantKind = Constant['kind'];

/** The right-hand side of IN: `('a', 'b')`; all values of one type (integers and floats mix). */
export interface ConstantSet extends Span {
  readonly kind: 'set';
  readonly values: readonly Constant[];
}

// ---- object paths (§9.7) ----

export type PathStep =
  | { readonly kind: 'property'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number | '*' };

export interface ObjectPath extends Span {
  /** The SCO type before ':' (custom types like `x-foo` included). */
  readonly objectType: string;
  /** At least one step; the first is always a property. */
  readonly steps: readonly PathStep[];
  /**
   * Canonical text without whitespace: names that are not plain identifiers (or are keywords) are
   * quoted, e.g. `file:hashes.'SHA-256'`, `file:extensions.'windows-pebinary-ext'.sections[*].entropy`.
   */
  readonly text: string;
}

// ---- comparison expressions (§9.6), inside [ ] ----

export type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'IN' | 'LIKE' | 'MATCHES' | 'ISSUBSET' | 'ISSUPERSET';

export interface Comparison extends Span {
  readonly kind: 'comparison';
  readonly path: ObjectPath;
  readonly operator: ComparisonOperator;
  /** True for `NOT <operator>`. */
  readonly negated: boolean;
  /** A ConstantSet exactly when operator is IN. */
  readonly value: Constant | ConstantSet;
}

export interface Exists extends Span {
  readonly kind: 'exists';
  readonly path: ObjectPath;
}

export interface BooleanExpression extends Span {
  readonly kind: 'boolean';
  readonly operator: 'AND' | 'OR';
  /** Two or more operands. */
  readonly operands: readonly ComparisonExpression[];
}

export type ComparisonExpression = Comparison | Exists | BooleanExpression;

// ---- observation expressions (§9.5) ----

export interface ObservationExpression extends Span {
  readonly kind: 'observation';
  /** The comparison expression between [ and ]. */
  readonly comparison: ComparisonExpression;
}

export interface ObservationOperation extends Span {
  readonly kind: 'observation-operation';
  readonly operator: 'AND' | 'OR' | 'FOLLOWEDBY';
  /** Two or more operands, in source order. */
  readonly operands: readonly ObservationNode[];
}

export type Qualifier =
  | { readonly kind: 'within'; readonly seconds: number; readonly text: string }
  | { readonly kind: 'repeats'; readonly times: number }
  | { readonly kind: 'start-stop'; readonly startTime: string; readonly stopTime: string };

/** An observation expression (or parenthesized group) followed by one qualifier; stacked for several. */
export interface QualifiedObservation extends Span {
  readonly kind: 'qualified';
  readonly expression: ObservationNode;
  readonly qualifier: Qualifier;
}

export type ObservationNode = ObservationExpression | ObservationOperation | QualifiedObservation;

/** The root of a parsed pattern: a pattern expression is a tree of observation nodes. */
export type PatternNode = ObservationNode;
