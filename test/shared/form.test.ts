// The workflow form model (shared/workflow/form.ts): reading InvokeAI's forms, building and arranging
// them, and the built form's way through the schema and the REST API unchanged.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addElement,
  canMove,
  emptyForm,
  fieldsInForm,
  formAfterGraphEdit,
  formFromExposedFields,
  hasForm,
  isFormEmpty,
  MAX_FORM_DEPTH,
  moveDown,
  moveElement,
  moveUp,
  newContainer,
  newDivider,
  newElementId,
  newHeading,
  newNodeField,
  newText,
  readForm,
  removeElement,
  removeFieldsOfNodes,
  updateElementData,
  type BuilderForm,
} from '../../shared/workflow/form.js';
import { validateWorkflow } from '../../shared/workflow/schema.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { api, createUser, setupAdmin, startTestServer, type TestServer } from '../helpers/server.js';

const DEFAULTS = join(import.meta.dirname, '..', '..', 'server', 'library', 'default-workflows');
const defaults = readdirSync(DEFAULTS).map((file) => ({ file, json: JSON.parse(readFileSync(join(DEFAULTS, file), 'utf8')) as JsonObject }));

/** A form with a fixed id per new element, so the expected JSON can be written out. */
function built(): BuilderForm {
  let f = emptyForm();
  f = addElement(f, newHeading('Portrait', 'heading-1'), 'root');
  f = addElement(f, newContainer('row', 'container-1'), 'root');
  f = addElement(f, newNodeField({ nodeId: 'n1', fieldName: 'width' }, 'IntegerField', 'node-field-w'), 'container-1');
  f = addElement(f, newNodeField({ nodeId: 'n1', fieldName: 'height' }, 'IntegerField', 'node-field-h'), 'container-1');
  f = addElement(f, newDivider('divider-1'), 'root');
  f = addElement(f, newText('Then describe it.', 'text-1'), 'root');
  f = addElement(f, newNodeField({ nodeId: 'n2', fieldName: 'prompt' }, 'StringField', 'node-field-p'), 'root');
  return f;
}

/** The reading order of the tree: each element's id, containers' children inside brackets. */
function outline(form: BuilderForm, id = form.rootElementId): string {
  const el = form.elements[id]!;
  return el.type === 'container' ? `${id}[${el.data.children.map((c) => outline(form, c)).join(' ')}]` : id;
}

describe('reading forms', () => {
  it('reads the form of the 11 default workflows that carry one, and says the 15 others have none', () => {
    const withForm = defaults.filter((d) => hasForm(d.json));
    expect(withForm).toHaveLength(11);
    for (const { file, json } of withForm) {
      const r = readForm(json.form);
      expect(r, file).toMatchObject({ ok: true });
      if (r.ok) expect(isFormEmpty(r.form), file).toBe(false);
    }
    expect(defaults.filter((d) => !hasForm(d.json))).toHaveLength(15);
    expect(hasForm({ form: null })).toBe(false);
  });

  it('names what is wrong with a form that breaks InvokeAI structure rules, and never throws', () => {
    const good = built();
    const cases: [unknown, RegExp][] = [
      [null, /not an object/],
      [[], /not an object/],
      [{ elements: {}, rootElementId: 'root' }, /root element "root" is missing/],
      [{ elements: good.elements }, /does not name its root/],
      [{ ...good, rootElementId: 'heading-1' }, /not a container/],
      [{ ...good, elements: { ...good.elements, 'text-1': { ...good.elements['text-1']!, parentId: 'container-1' } } }, /"text-1" does not name "root"/],
      [{ ...good, elements: { ...good.elements, stray: { id: 'stray', type: 'divider', parentId: 'root' } } }, /"stray" is not in the form's tree/],
      [{ ...good, elements: { ...good.elements, 'heading-1': { id: 'heading-1', type: 'heading', parentId: 'root' } } }, /heading "heading-1" has no text/],
      [{ ...good, elements: { ...good.elements, 'divider-1': { id: 'divider-1', type: 'video', parentId: 'root' } } }, /unknown type "video"/],
      [{ ...good, elements: { ...good.elements, 'divider-1': { id: 'other', type: 'divider', parentId: 'root' } } }, /different id/],
      [
        updateElementData(good, 'root', { children: ['heading-1', 'heading-1', 'container-1', 'divider-1', 'text-1', 'node-field-p'] }),
        /"heading-1" appears more than once/,
      ],
      [updateElementData(good, 'root', { children: ['ghost'] }), /missing element "ghost"/],
      [updateElementData(good, 'container-1', { layout: 'grid' }), /layout "grid"/],
      [
        { ...good, elements: { ...good.elements, 'node-field-p': { id: 'node-field-p', type: 'node-field', parentId: 'root', data: { fieldIdentifier: { nodeId: 'n2' } } } } },
        /does not say which node and field/,
      ],
    ];
    for (const [value, reason] of cases) {
      const r = readForm(value);
      expect(r.ok, String(reason)).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
    // Containers chained deeper than MAX_FORM_DEPTH (a stack overflow for the drawing) are refused.
    let deep = emptyForm();
    let parent = 'root';
    for (let i = 0; i < 1000; i++) {
      deep = addElement(deep, newContainer('column', `c${i}`), parent);
      parent = `c${i}`;
    }
    expect(readForm(deep)).toEqual({ ok: false, reason: `the form nests containers deeper than ${MAX_FORM_DEPTH} levels` });
    let fine = emptyForm();
    parent = 'root';
    // The root, MAX_FORM_DEPTH - 1 containers in a chain, and something in the last: deep, but drawn.
    for (let i = 0; i < MAX_FORM_DEPTH - 1; i++) {
      fine = addElement(fine, newContainer('column', `c${i}`), parent);
      parent = `c${i}`;
    }
    expect(readForm(addElement(fine, newDivider('d'), parent)).ok).toBe(true);
    // A cycle (a container that is its own child) is refused, not followed for ever.
    const cyclic = updateElementData(good, 'container-1', { children: ['container-1'] });
    expect(readForm(cyclic)).toMatchObject({ ok: false });
  });

  it('derives InvokeAI linear view from exposedFields: the fields that still exist, in order, without descriptions', () => {
    const nodes: JsonObject[] = [
      { id: 'a', type: 'invocation', data: { inputs: { seed: { name: 'seed', value: 1 }, steps: { name: 'steps', value: 2 } } } },
      { id: 'notes', type: 'notes', data: { notes: '' } },
    ];
    const form = formFromExposedFields(
      [
        { nodeId: 'a', fieldName: 'steps' },
        { nodeId: 'gone', fieldName: 'x' },
        { nodeId: 'a', fieldName: 'missing' },
        { nodeId: 'notes', fieldName: 'notes' },
        { nodeId: 'a', fieldName: 'seed' },
      ],
      nodes,
    );
    expect(readForm(form).ok).toBe(true);
    const fields = Object.values(form.elements).filter((e) => e.type === 'node-field');
    const root = form.elements[form.rootElementId]!;
    expect(root.type === 'container' && root.data.children.map((c) => (form.elements[c] as { data: { fieldIdentifier: unknown } }).data.fieldIdentifier)).toEqual([
      { nodeId: 'a', fieldName: 'steps' },
      { nodeId: 'a', fieldName: 'seed' },
    ]);
    expect(fields.every((f) => f.type === 'node-field' && f.data.showDescription === false)).toBe(true);
  });
});

describe('building forms', () => {
  it('adds elements as InvokeAI writes them: ids of the type and 10 characters, parent links, default settings', () => {
    expect(built()).toEqual({
      rootElementId: 'root',
      elements: {
        root: { id: 'root', type: 'container', data: { layout: 'column', children: ['heading-1', 'container-1', 'divider-1', 'text-1', 'node-field-p'] } },
        'heading-1': { id: 'heading-1', type: 'heading', parentId: 'root', data: { content: 'Portrait' } },
        'container-1': { id: 'container-1', type: 'container', parentId: 'root', data: { layout: 'row', children: ['node-field-w', 'node-field-h'] } },
        'node-field-w': {
          id: 'node-field-w',
          type: 'node-field',
          parentId: 'container-1',
          data: {
            fieldIdentifier: { nodeId: 'n1', fieldName: 'width' },
            settings: { type: 'integer-field-config', showShuffle: false, component: 'number-input' },
            showDescription: true,
          },
        },
        'node-field-h': {
          id: 'node-field-h',
          type: 'node-field',
          parentId: 'container-1',
          data: {
            fieldIdentifier: { nodeId: 'n1', fieldName: 'height' },
            settings: { type: 'integer-field-config', showShuffle: false, component: 'number-input' },
            showDescription: true,
          },
        },
        'divider-1': { id: 'divider-1', type: 'divider', parentId: 'root' },
        'text-1': { id: 'text-1', type: 'text', parentId: 'root', data: { content: 'Then describe it.' } },
        'node-field-p': {
          id: 'node-field-p',
          type: 'node-field',
          parentId: 'root',
          data: { fieldIdentifier: { nodeId: 'n2', fieldName: 'prompt' }, settings: { type: 'string-field-config', component: 'input' }, showDescription: true },
        },
      },
    });
    expect(readForm(built()).ok).toBe(true);
    expect(fieldsInForm(built())).toEqual(new Set(['n1/width', 'n1/height', 'n2/prompt']));
    expect(newElementId('heading')).toMatch(/^heading-[0-9A-Za-z]{10}$/);
    expect(newNodeField({ nodeId: 'm', fieldName: 'model' }, 'ModelIdentifierField').data).not.toHaveProperty('settings');
  });

  it('does not add an element twice or into something that is not a container', () => {
    const f = built();
    expect(addElement(f, newDivider('divider-1'), 'root')).toBe(f);
    expect(addElement(f, newDivider('divider-2'), 'heading-1')).toBe(f);
    expect(addElement(f, newDivider('divider-2'), 'nowhere')).toBe(f);
  });

  it('removes an element, a container with all it holds, never the root', () => {
    let f = removeElement(built(), 'container-1');
    expect(outline(f)).toBe('root[heading-1 divider-1 text-1 node-field-p]');
    expect(Object.keys(f.elements).sort()).toEqual(['divider-1', 'heading-1', 'node-field-p', 'root', 'text-1']);
    expect(removeElement(f, 'root')).toBe(f);
    f = removeFieldsOfNodes(built(), new Set(['n1']));
    expect(outline(f)).toBe('root[heading-1 container-1[] divider-1 text-1 node-field-p]');
    expect(readForm(f).ok).toBe(true);
  });

  it('moves elements within and across containers, never a container into itself', () => {
    const f = built();
    expect(outline(moveElement(f, 'node-field-p', 'root', 0))).toBe('root[node-field-p heading-1 container-1[node-field-w node-field-h] divider-1 text-1]');
    expect(outline(moveElement(f, 'heading-1', 'root', 3))).toBe('root[container-1[node-field-w node-field-h] divider-1 heading-1 text-1 node-field-p]');
    expect(outline(moveElement(f, 'text-1', 'container-1', 1))).toBe('root[heading-1 container-1[node-field-w text-1 node-field-h] divider-1 node-field-p]');
    const nested = addElement(f, newContainer('column', 'container-2'), 'container-1');
    expect(moveElement(nested, 'container-1', 'container-2', 0)).toBe(nested);
    expect(moveElement(nested, 'root', 'container-1', 0)).toBe(nested);
    expect(readForm(moveElement(f, 'text-1', 'container-1', 1)).ok).toBe(true);
  });

  it('walks an element through every place in reading order with move up / move down, and back', () => {
    let f = built();
    const seen: string[] = [outline(f)];
    while (canMove(f, 'node-field-p', 'up')) {
      f = moveUp(f, 'node-field-p');
      expect(readForm(f).ok).toBe(true);
      seen.push(outline(f));
    }
    expect(seen).toEqual([
      'root[heading-1 container-1[node-field-w node-field-h] divider-1 text-1 node-field-p]',
      'root[heading-1 container-1[node-field-w node-field-h] divider-1 node-field-p text-1]',
      'root[heading-1 container-1[node-field-w node-field-h] node-field-p divider-1 text-1]',
      'root[heading-1 container-1[node-field-w node-field-h node-field-p] divider-1 text-1]',
      'root[heading-1 container-1[node-field-w node-field-p node-field-h] divider-1 text-1]',
      'root[heading-1 container-1[node-field-p node-field-w node-field-h] divider-1 text-1]',
      'root[heading-1 node-field-p container-1[node-field-w node-field-h] divider-1 text-1]',
      'root[node-field-p heading-1 container-1[node-field-w node-field-h] divider-1 text-1]',
    ]);
    const back: string[] = [outline(f)];
    while (canMove(f, 'node-field-p', 'down')) {
      f = moveDown(f, 'node-field-p');
      back.push(outline(f));
    }
    expect(back).toEqual([...seen].reverse());
  });

  it('changes element data and keeps keys it does not know (InvokeAI additions survive)', () => {
    const f = built();
    const withExtra = { ...f, elements: { ...f.elements, 'heading-1': { ...f.elements['heading-1']!, data: { content: 'Portrait', level: 2 } } } } as BuilderForm;
    const g = updateElementData(withExtra, 'heading-1', { content: 'Landscape' });
    expect(g.elements['heading-1']).toEqual({ id: 'heading-1', type: 'heading', parentId: 'root', data: { content: 'Landscape', level: 2 } });
    expect(updateElementData(f, 'container-1', { layout: 'column' }).elements['container-1']).toMatchObject({ data: { layout: 'column' } });
    expect(g.elements['container-1']).toBe(f.elements['container-1']);
  });
});

describe('a built form through the schema and the REST API', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => {
    await ts.close();
  });

  it('is accepted as InvokeAI model accepts it (any object or null) and comes back from GET unchanged', async () => {
    const base = defaults.find((d) => d.file === 'Text to Image - SD1.5.json')!.json;
    const { id: _id, ...rest } = base;
    const workflow = { ...rest, meta: { ...(base.meta as JsonObject), category: 'user' }, form: built() as unknown as JsonObject };
    expect(validateWorkflow({ ...workflow, id: 'x' })).toMatchObject({ ok: true, workflow: { form: built() } });
    expect(validateWorkflow({ ...workflow, id: 'x', form: null }).ok).toBe(true);
    // InvokeAI's server types form as dict | None: a list is refused there too.
    expect(validateWorkflow({ ...workflow, id: 'x', form: [] }).ok).toBe(false);

    // A regular user: an administrator's new workflows start shared, which adds the `shared` tag.
    const admin = await setupAdmin(ts);
    const user = await createUser(ts, admin.token, { email: 'maker@example.com', password: 'maker-password-1' });
    const call = api(ts, user.token);
    const created = await call('POST', '/api/v1/workflows', { workflow });
    expect(created.status).toBe(200);
    const got = await call('GET', `/api/v1/workflows/i/${created.body.workflow_id}`);
    expect(got.body.workflow).toEqual({ ...workflow, id: created.body.workflow_id });
    expect(readForm(got.body.workflow.form)).toEqual({ ok: true, form: built() });
  });
});

describe('the form follows graph edits', () => {
  const nodes: JsonObject[] = [
    { id: 'n1', type: 'invocation', data: { inputs: { width: { name: 'width', value: 512 }, height: { name: 'height', value: 512 } } } },
    { id: 'n2', type: 'invocation', data: { inputs: { prompt: { name: 'prompt', value: '' } } } },
  ];
  const before = { nodes, edges: [] as JsonObject[], form: built() };

  it('drops the fields of a node the edit removed, and a field the edit connected, as InvokeAI does', () => {
    const removed = formAfterGraphEdit(before, { nodes: [nodes[0]!], edges: [] });
    expect(removed && outline(removed)).toBe('root[heading-1 container-1[node-field-w node-field-h] divider-1 text-1]');
    const connected = formAfterGraphEdit(before, { edges: [{ id: 'e', source: 'x', sourceHandle: 'value', target: 'n1', targetHandle: 'height' }] });
    expect(connected && outline(connected)).toBe('root[heading-1 container-1[node-field-w] divider-1 text-1 node-field-p]');
  });

  it('leaves the form alone otherwise: a move, an edge that was there, a field whose node was never there, no form', () => {
    const moved = nodes.map((n) => ({ ...n, position: { x: 5, y: 5 } }));
    expect(formAfterGraphEdit(before, { nodes: moved })).toBeUndefined();
    const edge = { id: 'e', source: 'x', sourceHandle: 'value', target: 'n1', targetHandle: 'height' };
    expect(formAfterGraphEdit({ ...before, edges: [edge] }, { edges: [edge] })).toBeUndefined();
    const dangling = addElement(built(), newNodeField({ nodeId: 'ghost', fieldName: 'x' }, undefined, 'node-field-g'), 'root');
    expect(formAfterGraphEdit({ ...before, form: dangling }, { nodes })).toBeUndefined();
    expect(formAfterGraphEdit({ nodes, edges: [] }, { nodes: [] })).toBeUndefined();
    expect(formAfterGraphEdit({ nodes, edges: [], form: { broken: true } }, { nodes: [] })).toBeUndefined();
  });
});
