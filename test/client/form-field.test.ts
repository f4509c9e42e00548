// Which widget a form's node field gets (client/components/form/form-field.ts), by InvokeAI's rules:
// the template's type and bounds when the node type is known, the value's JSON type when it is not.
import { describe, expect, it } from 'vitest';
import { formFieldView, numberToStore, pickableFields, setInputText, widgetFor } from '../../client/components/form/form-field.js';
import { newNodeField, type NodeFieldElement } from '../../shared/workflow/form.js';
import type { InputTemplate, NodeTemplate } from '../../shared/node-templates/index.js';
import type { JsonObject } from '../../shared/workflow/json.js';

const input = (over: Partial<InputTemplate> & Pick<InputTemplate, 'name' | 'type'>): InputTemplate => ({
  title: over.name,
  description: '',
  input: 'any',
  required: false,
  uiHidden: false,
  ...over,
});
const field = (fieldName: string, settings?: NodeFieldElement['data']['settings']): NodeFieldElement => {
  const el = newNodeField({ nodeId: 'n', fieldName }, undefined, 'node-field-x');
  if (settings) el.data.settings = settings;
  return el;
};
const INT = { name: 'IntegerField', cardinality: 'SINGLE' } as const;
const FLOAT = { name: 'FloatField', cardinality: 'SINGLE' } as const;

describe('widgetFor', () => {
  it('numbers: bounds from the template, exclusive bounds of integers as the next integer, steps from multipleOf, settings override', () => {
    // The browser counts steps from min: "more than 0, a multiple of 8" is min 8 (so 512 is a valid step).
    expect(widgetFor(field('w'), input({ name: 'w', type: INT, exclusiveMinimum: 0, multipleOf: 8 }), 512)).toEqual({
      kind: 'number', component: 'number-input', integer: true, value: 512, min: 8, step: 8,
    });
    expect(widgetFor(field('w'), input({ name: 'w', type: INT, minimum: 3, maximum: 100, multipleOf: 8 }), 16)).toMatchObject({ min: 8, max: 96 });
    expect(widgetFor(field('w'), input({ name: 'w', type: INT, exclusiveMinimum: 0 }), 4)).toMatchObject({ min: 1, step: 1 });
    expect(widgetFor(field('s'), input({ name: 's', type: FLOAT, minimum: 0, maximum: 1 }), 0.5)).toEqual({
      kind: 'number', component: 'number-input', integer: false, value: 0.5, min: 0, max: 1, step: 'any',
    });
    expect(widgetFor(field('f'), input({ name: 'f', type: FLOAT, exclusiveMaximum: 2 }), 1)).toMatchObject({ max: 2 });
    const narrowed = field('s', { type: 'float-field-config', component: 'slider', min: 0.2, max: 0.8 });
    expect(widgetFor(narrowed, input({ name: 's', type: FLOAT, minimum: 0, maximum: 1 }), 0.5)).toMatchObject({ component: 'slider', min: 0.2, max: 0.8 });
    // A slider without both bounds is a number input.
    expect(widgetFor(field('w', { type: 'integer-field-config', component: 'slider' }), input({ name: 'w', type: INT }), 3)).toMatchObject({ component: 'number-input' });
    // No value yet: an empty number input, not 0.
    expect(widgetFor(field('w'), input({ name: 'w', type: INT }), undefined)).toMatchObject({ kind: 'number', value: undefined });
  });

  it('stores a typed number rounded to its step and clamped into its bounds (InvokeAI), nothing for a non-number', () => {
    const width = widgetFor(field('w'), input({ name: 'w', type: INT, exclusiveMinimum: 0, maximum: 4096, multipleOf: 8 }), 512);
    if (width.kind !== 'number') throw new Error('number widget expected');
    expect(['515', '517', '0', '-40', '99999', '1e3'].map((t) => numberToStore(t, width))).toEqual([512, 520, 8, 8, 4096, 1000]);
    expect(['', ' ', 'abc', 'Infinity'].map((t) => numberToStore(t, width))).toEqual([null, null, null, null]);
    const steps = widgetFor(field('s'), input({ name: 's', type: INT, exclusiveMinimum: 0 }), 4);
    if (steps.kind !== 'number') throw new Error('number widget expected');
    expect(['2.6', '0'].map((t) => numberToStore(t, steps))).toEqual([3, 1]);
    const cfg = widgetFor(field('c'), input({ name: 'c', type: FLOAT, minimum: 1, multipleOf: 0.1 }), 7.5);
    if (cfg.kind !== 'number') throw new Error('number widget expected');
    expect(['0.3', '3.14159', '1.16'].map((t) => numberToStore(t, cfg))).toEqual([1, 3.1, 1.2]);
    const free = widgetFor(field('f'), input({ name: 'f', type: FLOAT }), 0);
    if (free.kind !== 'number') throw new Error('number widget expected');
    expect(numberToStore('0.123456', free)).toBe(0.123456);
  });

  it('strings: one line or several (settings first, then the template), dropdowns keep a value they do not list', () => {
    const S = { name: 'StringField', cardinality: 'SINGLE' } as const;
    expect(widgetFor(field('p'), input({ name: 'p', type: S, uiComponent: 'textarea' }), 'x')).toEqual({ kind: 'text', multiline: true, value: 'x' });
    expect(widgetFor(field('p', { type: 'string-field-config', component: 'input' }), input({ name: 'p', type: S, uiComponent: 'textarea' }), 'x')).toEqual({
      kind: 'text', multiline: false, value: 'x',
    });
    const dropdown = field('p', { type: 'string-field-config', component: 'dropdown', options: [{ label: 'Cat', value: 'cat' }, { label: '', value: 'dog' }] });
    expect(widgetFor(dropdown, input({ name: 'p', type: S }), 'cow')).toEqual({
      kind: 'select',
      value: 'cow',
      options: [{ value: 'cow', label: 'cow' }, { value: 'cat', label: 'Cat' }, { value: 'dog', label: 'dog' }],
    });
  });

  it('enums are selects that keep a stored value the template does not offer; booleans are checkboxes', () => {
    const E = input({ name: 'r', type: { name: 'EnumField', cardinality: 'SINGLE' }, enum: ['480p', '720p'] });
    expect(widgetFor(field('r'), E, '720p')).toEqual({
      kind: 'select', value: '720p', options: [{ value: '480p', label: '480p', stored: '480p' }, { value: '720p', label: '720p', stored: '720p' }],
    });
    // An enum of integers: the select shows text, choosing an option stores the integer.
    const I = input({ name: 'len', type: { name: 'EnumField', cardinality: 'SINGLE' }, enum: [256, 512] });
    expect(widgetFor(field('len'), I, 512)).toEqual({
      kind: 'select', value: '512', options: [{ value: '256', label: '256', stored: 256 }, { value: '512', label: '512', stored: 512 }],
    });
    expect(widgetFor(field('r'), E, '4k')).toMatchObject({ value: '4k', options: [{ value: '4k', label: '4k (not offered by this node)' }, {}, {}] });
    expect(widgetFor(field('b'), input({ name: 'b', type: { name: 'BooleanField', cardinality: 'SINGLE' } }), true)).toEqual({ kind: 'boolean', value: true });
  });

  it('models, images and lists are read-only chips saying what the workflow holds', () => {
    const M = input({ name: 'model', type: { name: 'ModelIdentifierField', cardinality: 'SINGLE' } });
    expect(widgetFor(field('model'), M, undefined)).toEqual({ kind: 'chip', text: 'No model selected' });
    expect(widgetFor(field('model'), M, { key: 'k', hash: 'h', name: 'Juggernaut XL', base: 'sdxl', type: 'main' })).toEqual({ kind: 'chip', text: 'Juggernaut XL (sdxl)' });
    const I = input({ name: 'image', type: { name: 'ImageField', cardinality: 'SINGLE' } });
    expect(widgetFor(field('image'), I, undefined)).toEqual({ kind: 'chip', text: 'No image selected' });
    expect(widgetFor(field('image'), I, { image_name: 'cat.png' })).toEqual({ kind: 'chip', text: 'cat.png' });
    const L = input({ name: 'loras', type: { name: 'LoRAField', cardinality: 'SINGLE_OR_COLLECTION' } });
    expect(widgetFor(field('loras'), L, [])).toEqual({ kind: 'chip', text: 'Empty list' });
    expect(widgetFor(field('loras'), L, [{ lora: { name: 'Detail' }, weight: 0.75 }])).toEqual({ kind: 'chip', text: '1 item: Detail × 0.75' });
    // A field taking one integer or a list holds one integer here: a number input.
    expect(widgetFor(field('n'), input({ name: 'n', type: { name: 'IntegerField', cardinality: 'SINGLE_OR_COLLECTION' } }), 4)).toMatchObject({ kind: 'number' });
    expect(widgetFor(field('n'), input({ name: 'n', type: { name: 'IntegerField', cardinality: 'SINGLE_OR_COLLECTION' } }), [1, 2])).toEqual({ kind: 'chip', text: '2 items: 1, 2' });
  });

  it('without a template (a custom node pack) the value decides, and nothing is rewritten', () => {
    expect(widgetFor(field('strength'), undefined, 0.4)).toMatchObject({ kind: 'number', integer: false, step: 'any' });
    expect(widgetFor(field('flag'), undefined, false)).toEqual({ kind: 'boolean', value: false });
    expect(widgetFor(field('positive_prompt'), undefined, 'x')).toEqual({ kind: 'text', multiline: true, value: 'x' });
    expect(widgetFor(field('name'), undefined, 'x')).toEqual({ kind: 'text', multiline: false, value: 'x' });
    expect(widgetFor(field('thing'), undefined, { a: 1 })).toEqual({ kind: 'chip', text: '{"a":1}' });
    expect(widgetFor(field('thing'), undefined, undefined)).toEqual({ kind: 'chip', text: 'Not set' });
  });
});

describe('formFieldView and the field picker', () => {
  const template: NodeTemplate = {
    type: 'my_node',
    title: 'My Node',
    description: '',
    category: 'x',
    tags: [],
    version: '1.0.0',
    nodePack: 'invokeai',
    outputType: 'x_output',
    inputs: [
      input({ name: 'b', type: INT, title: 'Bee', description: 'The b' }),
      input({ name: 'a', type: INT, title: 'Ay' }),
      input({ name: 'hidden', type: INT, uiHidden: true }),
      input({ name: 'conn', type: INT, input: 'connection' }),
    ],
    outputs: [],
  };
  const lookup = (t: string) => (t === 'my_node' ? template : undefined);
  const nodes: JsonObject[] = [
    {
      id: 'n',
      type: 'invocation',
      data: { type: 'my_node', label: 'Mine', inputs: { a: { name: 'a', label: '', value: 1 }, b: { name: 'b', label: 'Custom', value: 2 }, hidden: { name: 'hidden', value: 0 }, conn: { name: 'conn' } } },
    },
    { id: 'u', type: 'invocation', data: { type: 'from_a_pack', inputs: { z: { name: 'z', value: 'q' }, y: { name: 'y', value: 1 } } } },
    { id: 'notes', type: 'notes', data: { notes: 'x' } },
  ];

  it('labels a field by the user label, else the template title; the description likewise; says why a field is unknown', () => {
    expect(formFieldView(field('b'), nodes, lookup)).toMatchObject({ found: true, label: 'Custom', nodeLabel: 'Mine', description: 'The b', templateTitle: 'Bee' });
    expect(formFieldView(field('a'), nodes, lookup)).toMatchObject({ found: true, label: 'Ay', description: '' });
    expect(formFieldView({ ...field('z'), data: { fieldIdentifier: { nodeId: 'u', fieldName: 'z' } } }, nodes, lookup)).toMatchObject({ found: true, label: 'z', nodeLabel: 'from_a_pack' });
    expect(formFieldView({ ...field('x'), data: { fieldIdentifier: { nodeId: 'gone', fieldName: 'x' } } }, nodes, lookup)).toMatchObject({ found: false, problem: 'Unknown field "x": its node is not in the workflow' });
    expect(formFieldView(field('nope'), nodes, lookup)).toMatchObject({ found: false, problem: 'Unknown field "nope": the node Mine has no such input' });
  });

  it('offers the fields a user can set, in the template order, not hidden, not connection-only, not fed by an edge', () => {
    expect(pickableFields(nodes, [{ id: 'e', source: 'x', sourceHandle: 'v', target: 'u', targetHandle: 'y' }], lookup)).toEqual([
      {
        nodeId: 'n',
        nodeLabel: 'Mine',
        fields: [
          { nodeId: 'n', fieldName: 'b', label: 'Custom', typeName: 'IntegerField' },
          { nodeId: 'n', fieldName: 'a', label: 'Ay', typeName: 'IntegerField' },
        ],
      },
      { nodeId: 'u', nodeLabel: 'from_a_pack', fields: [{ nodeId: 'u', fieldName: 'z', label: 'z' }] },
    ]);
  });

  it('sets a label or description in the node input and nowhere else', () => {
    const next = setInputText(nodes, { nodeId: 'n', fieldName: 'a' }, { label: 'Steps' });
    expect((next[0]!.data as JsonObject).inputs).toMatchObject({ a: { name: 'a', label: 'Steps', value: 1 }, b: { label: 'Custom' } });
    expect(next[1]).toBe(nodes[1]);
    expect(setInputText(nodes, { nodeId: 'n', fieldName: 'missing' }, { label: 'x' })[0]).toBe(nodes[0]);
  });
});
