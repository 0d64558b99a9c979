/**
 * Block parameters: one small spec per parameter drives validation (zod), the JSON catalogue the
 * editor renders as inspector widgets, and the TypeScript type the block implementation receives.
 */
import { z } from 'zod';

interface ParamBase {
  help: string;
  /** May be changed while the run is going (SET_PARAM / `--set` on resume). */
  live?: boolean;
  unit?: string;
}

export interface NumberParam extends ParamBase {
  kind: 'number';
  default: number;
  min?: number;
  max?: number;
  /** Minimum excluded (e.g. a learning rate must be > 0). */
  exclusiveMin?: boolean;
  /** Hint for the inspector: log-scale slider. */
  scale?: 'log' | 'linear';
}
export interface IntegerParam extends ParamBase {
  kind: 'integer';
  default: number;
  min?: number;
  max?: number;
}
export interface BooleanParam extends ParamBase {
  kind: 'boolean';
  default: boolean;
}
export interface ChoiceParam<O extends string = string> extends ParamBase {
  kind: 'choice';
  options: readonly O[];
  default: O;
}
export interface StringParam extends ParamBase {
  kind: 'string';
  default: string;
}
export interface IntegerListParam extends ParamBase {
  kind: 'integerList';
  default: number[];
  min?: number;
  max?: number;
  minLength?: number;
}
/** A number per key (e.g. one weight per incoming loss term, keyed by the source node id). */
export interface WeightsParam extends ParamBase {
  kind: 'weights';
  default: Record<string, number>;
}

export type ParamSpec =
  | NumberParam
  | IntegerParam
  | BooleanParam
  | ChoiceParam
  | StringParam
  | IntegerListParam
  | WeightsParam;

export type ParamSpecs = Record<string, ParamSpec>;

export type ParamValue<S extends ParamSpec> = S extends NumberParam | IntegerParam
  ? number
  : S extends BooleanParam
    ? boolean
    : S extends ChoiceParam<infer O>
      ? O
      : S extends StringParam
        ? string
        : S extends IntegerListParam
          ? number[]
          : S extends WeightsParam
            ? Record<string, number>
            : never;

export type ParamValues<P extends ParamSpecs> = { [K in keyof P]: ParamValue<P[K]> };

export const num = (spec: Omit<NumberParam, 'kind'>): NumberParam => ({ kind: 'number', ...spec });
export const int = (spec: Omit<IntegerParam, 'kind'>): IntegerParam => ({ kind: 'integer', ...spec });
export const bool = (spec: Omit<BooleanParam, 'kind'>): BooleanParam => ({ kind: 'boolean', ...spec });
export const choice = <const O extends string>(spec: Omit<ChoiceParam<O>, 'kind'>): ChoiceParam<O> => ({
  kind: 'choice',
  ...spec,
});
export const str = (spec: Omit<StringParam, 'kind'>): StringParam => ({ kind: 'string', ...spec });
export const intList = (spec: Omit<IntegerListParam, 'kind'>): IntegerListParam => ({
  kind: 'integerList',
  ...spec,
});
export const weights = (spec: Omit<WeightsParam, 'kind'>): WeightsParam => ({ kind: 'weights', ...spec });

/** The zod schema of one parameter's value. */
export function paramZod(spec: ParamSpec): z.ZodType {
  switch (spec.kind) {
    case 'number': {
      let n = z.number();
      if (spec.min !== undefined) n = spec.exclusiveMin ? n.gt(spec.min) : n.gte(spec.min);
      if (spec.max !== undefined) n = n.lte(spec.max);
      return n.refine(Number.isFinite, 'must be a finite number');
    }
    case 'integer': {
      let n = z.number().int();
      if (spec.min !== undefined) n = n.gte(spec.min);
      if (spec.max !== undefined) n = n.lte(spec.max);
      return n;
    }
    case 'boolean':
      return z.boolean();
    case 'choice':
      return z.enum(spec.options as [string, ...string[]]);
    case 'string':
      return z.string();
    case 'integerList': {
      let item = z.number().int();
      if (spec.min !== undefined) item = item.gte(spec.min);
      if (spec.max !== undefined) item = item.lte(spec.max);
      let list = z.array(item);
      if (spec.minLength !== undefined) list = list.min(spec.minLength);
      return list;
    }
    case 'weights':
      return z.record(z.string(), z.number().refine(Number.isFinite, 'must be a finite number'));
  }
}

/** Human description of the valid range, used in error messages and the catalogue. */
export function describeRange(spec: ParamSpec): string {
  switch (spec.kind) {
    case 'number':
    case 'integer': {
      const lo = spec.min === undefined ? '' : `${spec.kind === 'number' && spec.exclusiveMin ? '>' : '≥'} ${spec.min}`;
      const hi = spec.max === undefined ? '' : `≤ ${spec.max}`;
      const kind = spec.kind === 'integer' ? 'an integer' : 'a number';
      return [kind, lo, hi].filter(Boolean).join(' ').replace(/ (≤)/, ', $1');
    }
    case 'choice':
      return `one of ${spec.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'integerList':
      return `a list of integers${spec.min !== undefined ? ` ≥ ${spec.min}` : ''}`;
    case 'weights':
      return 'an object of finite numbers';
  }
}

/**
 * Checks one value against its spec. Returns null when valid, else a sentence naming the problem
 * (the caller prefixes node and param names).
 */
export function checkParamValue(spec: ParamSpec, value: unknown): string | null {
  const result = paramZod(spec).safeParse(value);
  if (result.success) return null;
  return `${JSON.stringify(value)} is not valid: expected ${describeRange(spec)}`;
}

/** Parses a command-line value (`--set node.param=value`) into the param's type. */
export function parseParamText(spec: ParamSpec, text: string): unknown {
  switch (spec.kind) {
    case 'number':
    case 'integer':
      return text.trim() === '' ? Number.NaN : Number(text);
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'choice':
    case 'string':
      return text;
    case 'integerList':
    case 'weights':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
  }
}
