// What a form's node field shows: its label, description and the widget for its value, worked out
// from the node in the draft, the form element's settings and the node's template (InvokeAI's
// InputFieldRenderer rules). Pure, so the widget choice is tested apart from the drawing. Without a
// template (an unknown node type) the value's own JSON type decides, and nothing is ever rewritten.
import type { JsonObject, JsonValue } from '../../../shared/workflow/json.js';
import type { FieldIdentifier, NodeFieldElement } from '../../../shared/workflow/form.js';
import {
  enumOptions,
  enumText,
  fieldTitle,
  inputTemplate,
  nodeTitle,
  templateFor,
  type InputTemplate,
  type TemplateLookup,
} from '../../../shared/node-templates/index.js';

export type FieldWidget =
  | {
      kind: 'number';
      integer: boolean;
      value: number | undefined;
      min?: number;
      max?: number;
      step: number | 'any';
      /** InvokeAI's number component setting; a slider needs both bounds, else a number input is shown. */
      component: 'number-input' | 'slider' | 'number-input-and-slider';
    }
  | { kind: 'text'; multiline: boolean; value: string }
  /** `stored` is what choosing the option writes (an enum's integer stays an integer); else `value`. */
  | { kind: 'select'; value: string; options: { value: string; label: string; stored?: string | number }[] }
  | { kind: 'boolean'; value: boolean }
  /** Models, images, collections: shown, not edited here (they need InvokeAI's pickers). */
  | { kind: 'chip'; text: string };

export type FormFieldView =
  | {
      found: true;
      nodeId: string;
      fieldName: string;
      label: string;
      nodeLabel: string;
      description: string;
      widget: FieldWidget;
      /** What the user set in the node's input (empty: the template's title and description apply). */
      userLabel: string;
      userDescription: string;
      templateTitle: string;
      templateDescription: string;
    }
  | { found: false; nodeId: string; fieldName: string; problem: string };

function obj(v: unknown): JsonObject | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

/** The node's input instance (`data.inputs[fieldName]`) as stored, or undefined. */
export function inputInstance(node: JsonObject | undefined, fieldName: string): JsonObject | undefined {
  return obj(obj(obj(node?.data)?.inputs)?.[fieldName]);
}

const MODEL_TYPE = /Model/;
const MEDIA_TYPE = /^(Image|Video|Board)Field$/;

function chipText(value: JsonValue | undefined, typeName: string | undefined): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return 'Empty list';
    const names = value.map((v) => chipText(v, undefined)).join(', ');
    return `${value.length} item${value.length === 1 ? '' : 's'}: ${names}`;
  }
  const o = obj(value);
  if (o) {
    // A model identifier ({key, hash, name, base, type}), a LoRA ({lora: model, weight}), an image
    // ({image_name}), a video ({video_id}), a board ({board_id}).
    const model = obj(o.lora) ?? obj(o.model);
    if (model && typeof model.name === 'string') return `${model.name}${typeof o.weight === 'number' ? ` × ${o.weight}` : ''}`;
    if (typeof o.name === 'string') return typeof o.base === 'string' ? `${o.name} (${o.base})` : o.name;
    for (const key of ['image_name', 'video_id', 'board_id']) if (typeof o[key] === 'string') return o[key] as string;
    return JSON.stringify(o);
  }
  if (value === undefined || value === null) {
    if (typeName && MODEL_TYPE.test(typeName)) return 'No model selected';
    if (typeName === 'ImageField') return 'No image selected';
    if (typeName === 'VideoField') return 'No video selected';
    return 'Not set';
  }
  return String(value);
}

function numberWidget(t: InputTemplate | undefined, integer: boolean, value: JsonValue | undefined, el: NodeFieldElement): FieldWidget {
  const s = el.data.settings;
  const fromSettings = s && (s.type === 'integer-field-config' || s.type === 'float-field-config') ? s : undefined;
  // An exclusive bound of an integer is the next integer; of a float it stays (the browser allows the
  // bound itself, InvokeAI does the same).
  const exMin = t?.exclusiveMinimum;
  const exMax = t?.exclusiveMaximum;
  const step = t?.multipleOf ?? (integer ? 1 : 'any');
  // The browser counts steps from `min`: with a step (multipleOf 8) the bounds are moved to the
  // nearest multiples inside them, so that 512 stays valid when the bound is "more than 0".
  const inside = (v: number | undefined, round: (x: number) => number) => (v === undefined || step === 'any' ? v : round(v / step) * step);
  const min = inside(fromSettings?.min ?? t?.minimum ?? (exMin === undefined ? undefined : integer ? exMin + 1 : exMin), Math.ceil);
  const max = inside(fromSettings?.max ?? t?.maximum ?? (exMax === undefined ? undefined : integer ? exMax - 1 : exMax), Math.floor);
  const wanted = fromSettings?.component;
  const component = (wanted === 'slider' || wanted === 'number-input-and-slider') && min !== undefined && max !== undefined ? wanted : 'number-input';
  return {
    kind: 'number',
    component,
    integer,
    value: typeof value === 'number' ? value : undefined,
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    step,
  };
}

/** The widget for a value, by the template's type when there is one, else by the value's JSON type. */
export function widgetFor(el: NodeFieldElement, t: InputTemplate | undefined, value: JsonValue | undefined): FieldWidget {
  const typeName = t?.type.name;
  // A field that takes one value or a list holds one value here unless it already holds a list.
  const single = !t || t.type.cardinality === 'SINGLE' || (t.type.cardinality === 'SINGLE_OR_COLLECTION' && !Array.isArray(value));
  const settings = el.data.settings;
  if (single && (typeName === 'IntegerField' || typeName === 'FloatField')) return numberWidget(t, typeName === 'IntegerField', value, el);
  if (single && typeName === 'BooleanField') return { kind: 'boolean', value: value === true };
  if (single && t?.enum && t.enum.length > 0) {
    const current = enumText(value);
    const options: { value: string; label: string; stored?: string | number }[] = enumOptions(t).map((o) => ({ value: o.text, label: o.text, stored: o.value }));
    // A stored value the template does not list is kept and shown, never replaced.
    if (current && !options.some((o) => o.value === current)) {
      options.unshift({ value: current, label: `${current} (not offered by this node)`, stored: value as string | number });
    }
    return { kind: 'select', value: current, options };
  }
  if (single && typeName === 'StringField') {
    const text = typeof value === 'string' ? value : '';
    if (settings?.type === 'string-field-config' && settings.component === 'dropdown' && Array.isArray(settings.options)) {
      const options = settings.options.map((o) => ({ value: o.value, label: o.label || o.value }));
      if (!options.some((o) => o.value === text)) options.unshift({ value: text, label: text || '(empty)' });
      return { kind: 'select', value: text, options };
    }
    const component = settings?.type === 'string-field-config' ? settings.component : t?.uiComponent;
    return { kind: 'text', multiline: component === 'textarea', value: text };
  }
  if (t) return { kind: 'chip', text: chipText(value, typeName) };
  // No template: the value decides.
  if (typeof value === 'number') return numberWidget(undefined, false, value, el);
  if (typeof value === 'boolean') return { kind: 'boolean', value };
  if (typeof value === 'string') {
    const multiline = settings?.type === 'string-field-config' ? settings.component === 'textarea' : /prompt/i.test(el.data.fieldIdentifier.fieldName) || value.includes('\n');
    return { kind: 'text', multiline, value };
  }
  return { kind: 'chip', text: chipText(value, undefined) };
}

/**
 * Everything the form shows for one node field element. A field whose node or input is gone is
 * reported (InvokeAI: "Unknown field ... edit the workflow to fix"), never dropped from the form.
 */
export function formFieldView(el: NodeFieldElement, nodes: readonly JsonObject[], lookup: TemplateLookup = templateFor): FormFieldView {
  const { nodeId, fieldName } = el.data.fieldIdentifier;
  const node = nodes.find((n) => n.id === nodeId);
  if (!node) return { found: false, nodeId, fieldName, problem: `Unknown field "${fieldName}": its node is not in the workflow` };
  const data = obj(node.data) ?? {};
  const instance = inputInstance(node, fieldName);
  if (node.type !== 'invocation' || !instance) {
    return { found: false, nodeId, fieldName, problem: `Unknown field "${fieldName}": the node ${nodeTitle(data)} has no such input` };
  }
  const template = typeof data.type === 'string' ? lookup(data.type) : undefined;
  const t = template ? inputTemplate(template, fieldName) : undefined;
  const userDescription = typeof instance.description === 'string' ? instance.description : '';
  return {
    found: true,
    nodeId,
    fieldName,
    label: fieldTitle(fieldName, t, instance),
    nodeLabel: nodeTitle(data, template),
    description: userDescription || t?.description || '',
    widget: widgetFor(el, t, instance.value),
    userLabel: typeof instance.label === 'string' ? instance.label : '',
    userDescription,
    templateTitle: t?.title ?? fieldName,
    templateDescription: t?.description ?? '',
  };
}

export interface PickableField extends FieldIdentifier {
  label: string;
  typeName?: string;
}

/**
 * The fields a user can put in the form, per node (InvokeAI: inputs a user can set directly, i.e. not
 * connection-only and not fed by an edge), in the template's display order, else the stored order.
 */
export function pickableFields(
  nodes: readonly JsonObject[],
  edges: readonly JsonObject[],
  lookup: TemplateLookup = templateFor,
): { nodeId: string; nodeLabel: string; fields: PickableField[] }[] {
  const connected = new Set(edges.map((e) => `${String(e.target)}/${String(e.targetHandle)}`));
  const out: { nodeId: string; nodeLabel: string; fields: PickableField[] }[] = [];
  for (const node of nodes) {
    if (node.type !== 'invocation' || typeof node.id !== 'string') continue;
    const data = obj(node.data) ?? {};
    const inputs = obj(data.inputs) ?? {};
    const template = typeof data.type === 'string' ? lookup(data.type) : undefined;
    const names = template
      ? template.inputs.filter((i) => !i.uiHidden && i.input !== 'connection' && i.name in inputs).map((i) => i.name)
      : Object.keys(inputs);
    const fields = names
      .filter((name) => !connected.has(`${node.id}/${name}`))
      .map((name) => {
        const t = template ? inputTemplate(template, name) : undefined;
        return { nodeId: node.id as string, fieldName: name, label: fieldTitle(name, t, obj(inputs[name])), ...(t ? { typeName: t.type.name } : {}) };
      });
    if (fields.length > 0) out.push({ nodeId: node.id, nodeLabel: nodeTitle(data, template), fields });
  }
  return out;
}

/**
 * Sets the user's label or description of a node input (InvokeAI's editable field title and
 * description in the form builder): they live in the node, beside the value, so the graph shows them too.
 */
export function setInputText(nodes: readonly JsonObject[], field: FieldIdentifier, change: { label?: string; description?: string }): JsonObject[] {
  return nodes.map((n) => {
    if (n.id !== field.nodeId) return n;
    const data = obj(n.data) ?? {};
    const inputs = obj(data.inputs) ?? {};
    const input = obj(inputs[field.fieldName]);
    if (!input) return n;
    return { ...n, data: { ...data, inputs: { ...inputs, [field.fieldName]: { ...input, ...change } } } };
  });
}

/**
 * The number to store for what was typed, as InvokeAI (and the graph's fields) take it: rounded to the
 * step (integers to whole numbers, a multipleOf to its nearest multiple) and clamped into the bounds;
 * null when it is not a number (then nothing is stored).
 */
export function numberToStore(text: string, w: Extract<FieldWidget, { kind: 'number' }>): number | null {
  if (text.trim() === '') return null;
  let n = Number(text);
  if (!Number.isFinite(n)) return null;
  if (w.step !== 'any') n = Math.round(n / w.step) * w.step;
  if (w.integer) n = Math.round(n);
  if (w.min !== undefined && n < w.min) n = w.min;
  if (w.max !== undefined && n > w.max) n = w.max;
  // A step such as 0.1 leaves binary noise (0.30000000000000004).
  return Number(n.toPrecision(12));
}
