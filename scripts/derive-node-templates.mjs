#!/usr/bin/env node
// Derives the editor's node templates from InvokeAI's published OpenAPI schema, the same document
// InvokeAI's own editor builds its templates from. Run by hand when the reference schema changes:
//
//   node scripts/derive-node-templates.mjs [path/to/invokeai-openapi.json]
//
// Writes shared/node-templates/templates.json (committed; the app never reads ../shared at run time) and
// shared/node-templates/NOTICE.md (InvokeAI's licence notice, which must ship with the derived data).
//
// The derivation follows InvokeAI's frontend (features/nodes/util/schema/parseSchema.ts, parseFieldType.ts,
// buildFieldInputTemplate.ts) so that a workflow judged valid here is judged valid there: the same
// reserved fields are skipped, the same field types and cardinalities come out, `ui_type` overrides the
// parsed type (keeping the parsed one as `originalType` for stateful types), stateless types are
// connection-only without a default, and a field whose type cannot be parsed is left out as InvokeAI does.
// The JSON is compact: values equal to the defaults that shared/node-templates/index.ts fills back in
// (empty description, SINGLE cardinality, not required, not hidden, input `any`) are omitted.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = resolve(process.argv[2] ?? join(root, '..', 'shared', 'reference', 'invokeai-openapi.json'));
const outDir = join(root, 'shared', 'node-templates');

// InvokeAI parseSchema.ts: fields that are node attributes, not inputs, and node types it never offers.
const RESERVED_INPUT_FIELD_NAMES = new Set(['id', 'type', 'use_cache']);
const RESERVED_OUTPUT_FIELD_NAMES = new Set(['type']);
const RESERVED_FIELD_TYPES = new Set(['IsIntermediate']);
const INVOCATION_DENYLIST = new Set(['graph', 'linear_ui_output']);
const BATCH_INPUT_FIELDS = { float_batch: 'floats', integer_batch: 'integers', string_batch: 'strings', image_batch: 'images' };
const BATCH_OUTPUT_FIELDS = {
  float_generator: 'floats',
  integer_generator: 'integers',
  string_generator: 'strings',
  image_generator: 'images',
};

// InvokeAI parseFieldType.ts
const OPENAPI_TO_FIELD_TYPE = { integer: 'IntegerField', number: 'FloatField', string: 'StringField', boolean: 'BooleanField' };

// InvokeAI types/field.ts: types whose value lives in the node (a widget); all others only connect.
const STATEFUL_FIELD_TYPES = new Set([
  'IntegerField', 'FloatField', 'StringField', 'BooleanField', 'EnumField', 'ImageField', 'VideoField', 'BoardField',
  'StylePresetField', 'SystemPromptField', 'ModelIdentifierField', 'LoRAField', 'ColorField', 'SchedulerField',
  'SavedWorkflowField', 'FloatGeneratorField', 'IntegerGeneratorField', 'StringGeneratorField', 'ImageGeneratorField',
  'LoRAMetadataField', 'ControlNetMetadataField', 'IPAdapterMetadataField', 'T2IAdapterMetadataField',
  'MetadataExtraField',
]);

// InvokeAI buildFieldInputTemplate.ts: the value a new node gets when the schema gives none.
const FALLBACK_DEFAULTS = {
  IntegerField: 0,
  FloatField: 0,
  StringField: '',
  BooleanField: false,
  BoardField: 'auto',
  ColorField: { r: 127, g: 127, b: 127, a: 255 },
  SchedulerField: 'dpmpp_3m_k',
  SavedWorkflowField: '',
};
const COLLECTION_DEFAULT_TYPES = new Set(['ImageField', 'StringField', 'IntegerField', 'FloatField']);

class FieldParseError extends Error {}

const isRef = (o) => Boolean(o && typeof o === 'object' && '$ref' in o);
const isSchema = (o) => Boolean(o && typeof o === 'object' && !('$ref' in o));
const refName = (o) => o.$ref.split('/').pop();

function parseFieldType(schema) {
  if (isRef(schema)) return { name: refName(schema), cardinality: 'SINGLE' };
  if (!isSchema(schema)) throw new FieldParseError('not a schema');
  if (schema.const !== undefined && schema.const !== null && schema.const !== '') {
    return { name: 'EnumField', cardinality: 'SINGLE' };
  }
  if (!schema.type) {
    if (schema.allOf) {
      const first = schema.allOf[0];
      if (isRef(first)) return { name: refName(first), cardinality: 'SINGLE' };
    } else if (schema.anyOf) {
      const anyOf = schema.anyOf.filter((s) => !(isSchema(s) && s.type === 'null'));
      if (anyOf.length === 1) {
        if (isRef(anyOf[0])) return { name: refName(anyOf[0]), cardinality: 'SINGLE' };
        if (isSchema(anyOf[0])) return parseFieldType(anyOf[0]);
      }
      if (anyOf.length !== 2) throw new FieldParseError(`union of ${anyOf.length} types`);
      // Polymorphic `T | list[T]` is SINGLE_OR_COLLECTION; any other pair is not supported by InvokeAI.
      let first;
      let second;
      const pair = isSchema(anyOf[0]) && anyOf[0].type === 'array' ? [anyOf[0].items, anyOf[1]]
        : isSchema(anyOf[1]) && anyOf[1].type === 'array' ? [anyOf[0], anyOf[1].items] : null;
      if (pair) {
        const [a, b] = pair;
        if (isRef(a) && isRef(b)) {
          first = refName(a);
          second = refName(b);
        } else if (isSchema(a) && isSchema(b) && a.type !== 'array' && b.type !== 'array') {
          first = a.type;
          second = b.type;
        }
      }
      if (first && first === second) {
        return { name: OPENAPI_TO_FIELD_TYPE[first] ?? first, cardinality: 'SINGLE_OR_COLLECTION' };
      }
      throw new FieldParseError(`mismatched union ${first} / ${second}`);
    }
  } else if (schema.enum) {
    return { name: 'EnumField', cardinality: 'SINGLE' };
  } else if (schema.type === 'array') {
    if (isSchema(schema.items)) {
      const itemType = schema.items.type;
      const name = typeof itemType === 'string' ? OPENAPI_TO_FIELD_TYPE[itemType] : undefined;
      if (!name) throw new FieldParseError(`unsupported array item type ${itemType}`);
      return { name, cardinality: 'COLLECTION' };
    }
    if (isRef(schema.items)) return { name: refName(schema.items), cardinality: 'COLLECTION' };
  } else if (typeof schema.type === 'string') {
    const name = OPENAPI_TO_FIELD_TYPE[schema.type];
    if (!name) throw new FieldParseError(`unsupported primitive type ${schema.type}`);
    return { name, cardinality: 'SINGLE' };
  }
  throw new FieldParseError('unable to parse field type');
}

// lodash startCase, as InvokeAI titles a field that has no title: words split at separators,
// lower→upper case changes and letter↔digit changes, each capitalised.
function startCase(name) {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Za-z])([0-9])/g, '$1 $2')
    .replace(/([0-9])([A-Za-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}

function enumOptions(schema) {
  if (schema.anyOf) {
    const anyOf = schema.anyOf.filter((s) => !(isSchema(s) && s.type === 'null'));
    if (anyOf.length !== 1 || !isSchema(anyOf[0])) return [];
    return anyOf[0].const !== undefined ? [anyOf[0].const] : (anyOf[0].enum ?? []);
  }
  if (schema.const !== undefined) return [schema.const];
  return schema.enum ?? [];
}

function typeOf(property, nodeType, fieldName, batchFields) {
  const override = property.ui_type
    ? { name: property.ui_type, cardinality: property.ui_type === 'CollectionField' ? 'COLLECTION' : 'SINGLE' }
    : null;
  let original = null;
  try {
    original = parseFieldType(property);
  } catch (e) {
    if (!(e instanceof FieldParseError)) throw e;
  }
  const type = override ?? original;
  if (!type) return null;
  if (override && original && STATEFUL_FIELD_TYPES.has(override.name) &&
      (override.name !== original.name || override.cardinality !== original.cardinality)) {
    type.originalType = compactType(original);
  }
  if (batchFields[nodeType] === fieldName) type.batch = true;
  return type;
}

function compactType(type) {
  const out = { name: type.name };
  if (type.cardinality !== 'SINGLE') out.cardinality = type.cardinality;
  if (type.batch) out.batch = true;
  if (type.originalType) out.originalType = type.originalType;
  return out;
}

const BOUND_KEYS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'minItems', 'maxItems'];

function inputTemplate(property, name, type, skipped) {
  const stateful = STATEFUL_FIELD_TYPES.has(type.name);
  const out = { name, title: property.title ?? startCase(name) };
  if (property.description) out.description = property.description;
  out.type = compactType(type);
  // Stateless types carry no value in the node, so InvokeAI makes them connection-only.
  const input = stateful ? (property.input ?? 'any') : 'connection';
  if (input !== 'any') out.input = input;
  if (property.orig_required) out.required = true;
  if (stateful) {
    let fallback;
    // A ui_type over an enum (SchedulerField) keeps the options: InvokeAI's widget offers the same list.
    if (type.name === 'EnumField' || type.originalType?.name === 'EnumField') {
      const options = enumOptions(property);
      if (options.length === 0) {
        skipped.push(`${name}: enum without options`);
        return null;
      }
      out.enum = options;
      fallback = options[0];
    } else if (type.cardinality === 'COLLECTION') {
      fallback = type.name === 'LoRAField' || (property.orig_required && COLLECTION_DEFAULT_TYPES.has(type.name)) ? [] : undefined;
    } else {
      fallback = FALLBACK_DEFAULTS[type.name];
    }
    const value = property.default ?? fallback;
    if (value !== undefined) out.default = value;
    for (const key of BOUND_KEYS) {
      if (typeof property[key] === 'number') out[key] = property[key];
    }
  }
  if (property.ui_hidden) out.uiHidden = true;
  if (property.ui_type) out.uiType = property.ui_type;
  if (property.ui_component) out.uiComponent = property.ui_component;
  if (typeof property.ui_order === 'number') out.uiOrder = property.ui_order;
  return out;
}

function outputTemplate(property, name, type) {
  const out = { name, title: property.title ?? startCase(name) };
  if (property.description) out.description = property.description;
  out.type = compactType(type);
  if (property.ui_hidden) out.uiHidden = true;
  return out;
}

// InvokeAI's node (hooks/useInputFieldNamesByStatus.ts) lists the inputs without a ui_order first, in
// schema order, then those with one by ascending ui_order.
function displayOrder(fields) {
  const ordered = fields.filter((f) => typeof f.uiOrder === 'number').sort((a, b) => a.uiOrder - b.uiOrder);
  return [...fields.filter((f) => typeof f.uiOrder !== 'number'), ...ordered];
}

const openapi = JSON.parse(await readFile(schemaPath, 'utf8'));
const schemas = openapi.components?.schemas ?? {};
const templates = [];
const skipped = [];
for (const schema of Object.values(schemas)) {
  if (schema.class !== 'invocation') continue;
  const type = schema.properties?.type?.default;
  if (typeof type !== 'string' || INVOCATION_DENYLIST.has(type)) continue;
  const fieldSkips = [];
  const inputs = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    if (RESERVED_INPUT_FIELD_NAMES.has(name) || (type === 'iterate' && name === 'index')) continue;
    if (!('field_kind' in property)) continue;
    const fieldType = typeOf(property, type, name, BATCH_INPUT_FIELDS);
    if (!fieldType) {
      fieldSkips.push(`${name}: type not parsable`);
      continue;
    }
    if (RESERVED_FIELD_TYPES.has(fieldType.name)) continue;
    const template = inputTemplate(property, name, fieldType, fieldSkips);
    if (template) inputs.push(template);
  }
  const outputSchema = schemas[refName(schema.output)];
  if (!outputSchema || outputSchema.class !== 'output') throw new Error(`${type}: output schema missing`);
  const outputs = [];
  for (const [name, property] of Object.entries(outputSchema.properties)) {
    if (RESERVED_OUTPUT_FIELD_NAMES.has(name) || !('field_kind' in property)) continue;
    const fieldType = typeOf(property, type, name, BATCH_OUTPUT_FIELDS);
    if (!fieldType) {
      fieldSkips.push(`output ${name}: type not parsable`);
      continue;
    }
    outputs.push(outputTemplate(property, name, fieldType));
  }
  const template = {
    type,
    title: schema.title.replace('Invocation', ''),
    category: schema.category ?? 'other',
    version: schema.version,
    nodePack: schema.node_pack,
    outputType: outputSchema.properties.type.default,
    inputs: displayOrder(inputs),
    outputs,
  };
  if (schema.description) template.description = schema.description;
  if (schema.tags?.length) template.tags = schema.tags;
  if (schema.classification && schema.classification !== 'stable') template.classification = schema.classification;
  templates.push(template);
  for (const s of fieldSkips) skipped.push(`${type}.${s}`);
}
templates.sort((a, b) => a.type.localeCompare(b.type));

await mkdir(outDir, { recursive: true });
const json = `${JSON.stringify(templates)}\n`;
await writeFile(join(outDir, 'templates.json'), json);
await writeFile(
  join(outDir, 'NOTICE.md'),
  `# Node templates: source and licence

\`templates.json\` is derived by \`scripts/derive-node-templates.mjs\` from InvokeAI's published OpenAPI
schema (invoke-ai/InvokeAI at commit 8e71a8a519, file invokeai/frontend/web/openapi.json): the node
types' titles, descriptions, categories, tags, versions, node packs and their typed input and output
fields. The derivation follows the rules of InvokeAI's frontend (features/nodes/util/schema/).

InvokeAI is licensed under the Apache License, Version 2.0.
Copyright © Invoke and the InvokeAI contributors.

You may obtain a copy of the License at http://www.apache.org/licenses/LICENSE-2.0. Unless required by
applicable law or agreed to in writing, software distributed under the License is distributed on an
"AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the License
for the specific language governing permissions and limitations under the License.
`,
);
console.log(`${templates.length} node templates, ${json.length} bytes → ${join(outDir, 'templates.json')}`);
for (const s of skipped) console.log(`  skipped as InvokeAI does: ${s}`);
