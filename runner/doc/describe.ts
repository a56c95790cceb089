/**
 * Reading a module's JSON Schema into the rows a reader needs: name, type, required, default,
 * choices, description. The schema is the only source, so the docs cannot drift from the
 * validation. Only the shapes our module schemas use are understood (object properties,
 * anyOf/oneOf alternatives, enum/const, additionalProperties maps); anything else shows as `any`.
 */

type Schema = Record<string, unknown>;

/** One documented parameter of a module. */
export interface ParamRow {
  name: string;
  type: string;
  required: boolean;
  default?: unknown;
  choices?: unknown[];
  description: string;
}

/** What a module's schema says about its arguments as a whole. */
export interface ArgsDescription {
  /** Named parameters, in schema order. */
  params: ParamRow[];
  /** Sentences about the arguments as a whole (shorthand forms, one-of rules, free-form maps). */
  rules: string[];
}

/** Describe the arguments of a module from its schema. */
export function describeModuleArgs(schema: Schema): ArgsDescription {
  const rules: string[] = [];
  let objectSchema: Schema | undefined = isObjectSchema(schema) ? schema : undefined;
  for (const alt of alternativesOf(schema)) {
    if (isObjectSchema(alt)) objectSchema ??= alt;
    else rules.push(`The arguments may also be given as ${describeType(alt)}: ${text(alt.description)}`.trim());
  }
  if (!objectSchema) return { params: [], rules };
  const required = new Set(asStrings(objectSchema.required));
  const properties = (objectSchema.properties ?? {}) as Record<string, Schema>;
  const params = Object.entries(properties).map(([name, prop]) => describeParam(name, prop, required.has(name)));
  rules.push(...describeRequiredAlternatives(objectSchema));
  const extra = objectSchema.additionalProperties;
  if (extra && typeof extra === 'object') {
    const names = (objectSchema.propertyNames as Schema | undefined)?.pattern;
    rules.push(`Any key${names ? ` matching \`${String(names)}\`` : ''} is accepted; each value: ${text((extra as Schema).description) || describeType(extra as Schema)}`);
  }
  return { params, rules };
}

function describeParam(name: string, prop: Schema, required: boolean): ParamRow {
  const choices = choicesOf(prop);
  return {
    name,
    type: describeType(prop),
    required,
    ...(prop.default !== undefined ? { default: prop.default } : {}),
    ...(choices ? { choices } : {}),
    description: text(prop.description),
  };
}

/** A short human type: `string`, `list of string`, `string or list of string`, `map of string`. */
export function describeType(schema: Schema): string {
  const alts = alternativesOf(schema);
  if (alts.length > 0 && schema.type === undefined) return unique(alts.map(describeType)).join(' or ');
  const choices = choicesOf(schema);
  const types = schema.type === undefined ? (choices ? unique(choices.map(jsonType)) : []) : asStrings(schema.type);
  if (types.length === 0) return 'any';
  return types
    .map((t) => {
      if (t === 'array') return `list of ${schema.items ? describeType(schema.items as Schema) : 'any'}`;
      if (t === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        return `map of ${describeType(schema.additionalProperties as Schema)}`;
      }
      return t === 'object' ? 'mapping' : t;
    })
    .join(' or ');
}

/** enum/const values, also of list items (certs' profiles). */
function choicesOf(schema: Schema): unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum;
  if (schema.const !== undefined) return [schema.const];
  const items = schema.items as Schema | undefined;
  if (items && Array.isArray(items.enum)) return items.enum;
  return undefined;
}

/** `oneOf: [{required:[a]},{required:[b]}]` is how our schemas say "exactly one of a, b". */
function describeRequiredAlternatives(schema: Schema): string[] {
  const rules: string[] = [];
  for (const keyword of ['oneOf', 'anyOf'] as const) {
    const alts = schema[keyword];
    if (!Array.isArray(alts)) continue;
    const sets = alts.map((a) => asStrings((a as Schema).required));
    if (sets.every((s) => s.length > 0) && alts.every((a) => Object.keys(a as Schema).length === 1)) {
      const names = sets.map((s) => s.map((n) => `\`${n}\``).join(' + ')).join(', ');
      rules.push(keyword === 'oneOf' ? `Exactly one of ${names} is required.` : `At least one of ${names} is required.`);
    }
  }
  return rules;
}

function alternativesOf(schema: Schema): Schema[] {
  const alts = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  // Alternatives made only of `required`/`format` lists are constraints, not alternative shapes.
  if (!Array.isArray(alts) || alts.every((a) => a.type === undefined && a.properties === undefined && a.enum === undefined)) return [];
  return alts;
}

function isObjectSchema(schema: Schema): boolean {
  return schema.type === 'object' || (schema.type === undefined && schema.properties !== undefined);
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
}

function asStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
