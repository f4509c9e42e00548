// The editor's node templates: InvokeAI's node types with their typed inputs and outputs, derived from
// InvokeAI's OpenAPI schema by scripts/derive-node-templates.mjs (see NOTICE.md for source and licence).
// templates.json is compact (values equal to the defaults below are left out); this module restores the
// full shape once, at first use, so callers never deal with missing keys.
import compactTemplates from './templates.json' with { type: 'json' };

export type Cardinality = 'SINGLE' | 'COLLECTION' | 'SINGLE_OR_COLLECTION';

export interface FieldType {
  name: string;
  cardinality: Cardinality;
  batch?: boolean;
  /** The type the schema declares, when a `ui_type` overrides it (InvokeAI compares both). */
  originalType?: FieldType;
}

export type InputKind = 'connection' | 'direct' | 'any';

export interface InputTemplate {
  name: string;
  title: string;
  description: string;
  type: FieldType;
  input: InputKind;
  required: boolean;
  default?: unknown;
  /** The values offered, as the schema lists them: mostly strings, a few integers (e.g. `max_seq_len`). */
  enum?: Array<string | number>;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uiHidden: boolean;
  uiType?: string;
  uiComponent?: string;
  uiOrder?: number;
}

export interface OutputTemplate {
  name: string;
  title: string;
  description: string;
  type: FieldType;
  uiHidden: boolean;
}

export interface NodeTemplate {
  type: string;
  title: string;
  description: string;
  category: string;
  tags: string[];
  version: string;
  nodePack: string;
  classification?: string;
  outputType: string;
  /** In InvokeAI's display order. */
  inputs: InputTemplate[];
  outputs: OutputTemplate[];
}

/** Looks a template up by node type; what the rules and checks take, so tests can pass their own. */
export type TemplateLookup = (type: string) => NodeTemplate | undefined;

interface CompactFieldType {
  name: string;
  cardinality?: Cardinality;
  batch?: boolean;
  originalType?: CompactFieldType;
}

function expandType(type: CompactFieldType): FieldType {
  const out: FieldType = { name: type.name, cardinality: type.cardinality ?? 'SINGLE' };
  if (type.batch) out.batch = true;
  if (type.originalType) out.originalType = expandType(type.originalType);
  return out;
}

type CompactInput = Partial<Omit<InputTemplate, 'type'>> & { name: string; title: string; type: CompactFieldType };
type CompactOutput = Partial<Omit<OutputTemplate, 'type'>> & { name: string; title: string; type: CompactFieldType };
type CompactTemplate = Omit<Partial<NodeTemplate>, 'inputs' | 'outputs'> & {
  type: string;
  title: string;
  version: string;
  nodePack: string;
  outputType: string;
  inputs: CompactInput[];
  outputs: CompactOutput[];
};

function expandTemplate(t: CompactTemplate): NodeTemplate {
  return {
    ...t,
    description: t.description ?? '',
    category: t.category ?? 'other',
    tags: t.tags ?? [],
    inputs: t.inputs.map((i) => ({
      ...i,
      description: i.description ?? '',
      type: expandType(i.type),
      input: i.input ?? 'any',
      required: i.required ?? false,
      uiHidden: i.uiHidden ?? false,
    })),
    outputs: t.outputs.map((o) => ({
      ...o,
      description: o.description ?? '',
      type: expandType(o.type),
      uiHidden: o.uiHidden ?? false,
    })),
  };
}

let byType: Map<string, NodeTemplate> | undefined;

function index(): Map<string, NodeTemplate> {
  byType ??= new Map(
    (compactTemplates as unknown as CompactTemplate[]).map((t) => {
      const template = expandTemplate(t);
      return [template.type, template] as const;
    }),
  );
  return byType;
}

/** The template of a node type, or undefined for a type the schema does not know (e.g. a custom node pack). */
export function templateFor(type: string): NodeTemplate | undefined {
  return index().get(type);
}

/** Every known template, sorted by type. */
export function allTemplates(): readonly NodeTemplate[] {
  return [...index().values()];
}

export function inputTemplate(template: NodeTemplate, name: string): InputTemplate | undefined {
  return template.inputs.find((i) => i.name === name);
}

export function outputTemplate(template: NodeTemplate, name: string): OutputTemplate | undefined {
  return template.outputs.find((o) => o.name === name);
}

/**
 * Compares two `major.minor.patch` versions numerically; a missing or non-numeric part counts as 0
 * (workflows in the wild carry versions such as "1.0" or none at all).
 */
/**
 * An enum field's options as a select offers them: the text shown and sent by the control, and the
 * value to store. A select only knows text, so an integer option must go back into the workflow as the
 * integer it was ("512" would be a string where InvokeAI expects an integer).
 */
export function enumOptions(template: InputTemplate): Array<{ text: string; value: string | number }> {
  return (template.enum ?? []).map((value) => ({ text: String(value), value }));
}

/** The text a select shows for a stored enum value ('' when the value is not a string or number). */
export function enumText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => v.split('-')[0]!.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : 0));
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < Math.max(pa.length, pb.length, 3); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Anything with a node's `data` part, as stored in a workflow. */
export interface NodeDataLike {
  type?: unknown;
  version?: unknown;
  label?: unknown;
}

/**
 * True when the node was made with an older version of its node type than the template's, the case
 * InvokeAI offers "Update node" for. A node without a usable version counts as outdated.
 */
export function nodeIsOutdated(node: NodeDataLike, template: NodeTemplate): boolean {
  if (typeof node.version !== 'string' || node.version === '') return true;
  return compareVersions(node.version, template.version) < 0;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A node's title as InvokeAI shows it: its label, else its template's title, else its raw type. */
export function nodeTitle(node: NodeDataLike, template: NodeTemplate | undefined = templateOfNode(node)): string {
  return nonEmpty(node.label) ?? template?.title ?? (nonEmpty(node.type) ?? 'Unknown node');
}

function templateOfNode(node: NodeDataLike): NodeTemplate | undefined {
  return typeof node.type === 'string' ? templateFor(node.type) : undefined;
}

/**
 * A field's title: the label the user gave it in the node's `inputs`, else the template's title, else
 * the field name itself (an unknown node type's fields are still shown by name).
 */
export function fieldTitle(
  fieldName: string,
  fieldTemplate: InputTemplate | OutputTemplate | undefined,
  fieldInstance?: { label?: unknown },
): string {
  return nonEmpty(fieldInstance?.label) ?? fieldTemplate?.title ?? fieldName;
}

/** A type for people: "integer", "collection of images", "VAE". */
export function describeFieldType(type: FieldType): string {
  const base = TYPE_WORDS[type.name] ?? type.name.replace(/Field$/, '').replace(/([a-z])([A-Z])/g, '$1 $2');
  const plural = TYPE_PLURALS[type.name] ?? `${base}s`;
  const batch = type.batch ? ' batch' : '';
  switch (type.cardinality) {
    case 'COLLECTION':
      return type.name === 'CollectionField' ? `a collection${batch}` : `a collection of ${plural}${batch}`;
    case 'SINGLE_OR_COLLECTION':
      return `${withArticle(base)} or a collection of ${plural}${batch}`;
    default:
      return `${withArticle(base)}${batch}`;
  }
}

const TYPE_WORDS: Record<string, string> = {
  IntegerField: 'integer',
  FloatField: 'number',
  StringField: 'text',
  BooleanField: 'yes/no value',
  EnumField: 'choice',
  ImageField: 'image',
  VideoField: 'video',
  LatentsField: 'latents',
  ConditioningField: 'conditioning',
  VAEField: 'VAE',
  UNetField: 'UNet',
  CLIPField: 'CLIP',
  T5EncoderField: 'T5 encoder',
  TransformerField: 'transformer',
  ModelIdentifierField: 'model',
  AnyField: 'value of any type',
  CollectionItemField: 'collection item',
  ColorField: 'colour',
  SchedulerField: 'scheduler',
  BoardField: 'board',
  MetadataField: 'metadata',
  DenoiseMaskField: 'denoise mask',
};
const TYPE_PLURALS: Record<string, string> = {
  LatentsField: 'latents',
  ConditioningField: 'conditionings',
  FloatField: 'numbers',
  StringField: 'texts',
  MetadataField: 'metadata',
};
const UNCOUNTED = new Set(['text', 'latents', 'conditioning', 'metadata']);

function withArticle(word: string): string {
  if (UNCOUNTED.has(word)) return word;
  // A capital U reads "you" in the names here (UNet), so it takes "a".
  return /^[aeiouAEIO]/.test(word) ? `an ${word}` : `a ${word}`;
}
