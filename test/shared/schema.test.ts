import { describe, expect, it } from 'vitest';
import {
  isJsonValue,
  MAX_JSON_DEPTH,
  validateWorkflow,
  validateWorkflowWithoutId,
  type JsonObject,
} from '../../shared/workflow/index.js';
import { loadFixtures } from './helpers.js';

const fixtures = loadFixtures();
const base = fixtures.find((f) => f.file === 'Text to Image - SDXL.json')!.json;

/** A copy of the SDXL default workflow changed by `edit`. */
function broken(edit: (w: Record<string, any>) => void): Record<string, any> {
  const w = structuredClone(base) as Record<string, any>;
  edit(w);
  return w;
}

function returnNode(id: string): JsonObject {
  return { id, type: 'invocation', data: { id, type: 'workflow_return', inputs: {} }, position: { x: 0, y: 0 } };
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
}

describe('validateWorkflow', () => {
  it('accepts all 26 InvokeAI default workflows and returns them unchanged', () => {
    expect(fixtures).toHaveLength(26);
    for (const { file, json } of fixtures) {
      const result = validateWorkflow(json);
      expect(result, file).toMatchObject({ ok: true });
      if (result.ok) {
        expect(result.workflow).toStrictEqual(json);
        expect(result.workflow).not.toBe(json); // a copy: callers may change it freely
        expect(Object.keys(result.workflow)).toEqual(Object.keys(json)); // key order kept
      }
    }
  });

  it.each<[string, (w: Record<string, any>) => void, string]>([
    ['a missing name', (w) => delete w.name, 'name'],
    ['a numeric author', (w) => (w.author = 3), 'author'],
    ['null tags', (w) => (w.tags = null), 'tags'],
    ['a missing notes', (w) => delete w.notes, 'notes'],
    ['exposedFields not a list', (w) => (w.exposedFields = {}), 'exposedFields'],
    ['an exposed field without fieldName', (w) => delete w.exposedFields[1].fieldName, 'exposedFields.1.fieldName'],
    ['a missing meta', (w) => delete w.meta, 'meta'],
    ['a non-semver meta version', (w) => (w.meta.version = 'x'), 'meta.version'],
    ['a two-part meta version', (w) => (w.meta.version = '3.0'), 'meta.version'],
    ['an unknown category', (w) => (w.meta.category = 'project'), 'meta.category'],
    ['nodes not a list', (w) => (w.nodes = 'none'), 'nodes'],
    ['a node that is a list', (w) => (w.nodes[2] = [1, 2]), 'nodes.2'],
    ['a node without id', (w) => delete w.nodes[3].id, 'nodes.3.id'],
    ['a node with an empty id', (w) => (w.nodes[1].id = ''), 'nodes.1.id'],
    ['two nodes with one id', (w) => (w.nodes[4].id = w.nodes[0].id), 'nodes.4.id'],
    ['an edge with a numeric id', (w) => (w.edges[0].id = 7), 'edges.0.id'],
    ['two edges with one id', (w) => (w.edges[5].id = w.edges[2].id), 'edges.5.id'],
    ['a form that is a list', (w) => (w.form = []), 'form'],
    ['a form that is a string', (w) => (w.form = 'root'), 'form'],
    ['a missing id', (w) => delete w.id, 'id'],
    ['an empty id', (w) => (w.id = ''), 'id'],
    ['NaN in a node input', (w) => (w.nodes[0].data.inputs.seed = NaN), 'nodes.0.data.inputs.seed'],
    ['Infinity in a position', (w) => (w.nodes[2].position.x = Infinity), 'nodes.2.position.x'],
    ['undefined in notes', (w) => (w.notes = undefined), 'notes'],
    ['a function in an edge', (w) => (w.edges[1].onClick = () => 1), 'edges.1.onClick'],
    ['a Date in the form', (w) => (w.form = { when: new Date(0) }), 'form.when'],
    ['two workflow_return nodes', (w) => w.nodes.push(returnNode('r1'), returnNode('r2')), 'nodes.13'],
  ])('rejects %s and names the field', (_label, edit, field) => {
    const result = validateWorkflow(broken(edit));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.field).toBe(field);
      expect(result.error.startsWith(`${field}: `)).toBe(true);
      expect(result.error).not.toContain('\n');
    }
  });

  it('says why a meta version is bad in InvokeAI words', () => {
    const result = validateWorkflow(broken((w) => (w.meta.version = 'x')));
    expect(result).toEqual({ ok: false, field: 'meta.version', error: 'meta.version: Invalid workflow meta version: x' });
  });

  it('says a missing field is required', () => {
    expect(validateWorkflow(broken((w) => delete w.name))).toEqual({ ok: false, field: 'name', error: 'name: Required' });
    expect(validateWorkflow(broken((w) => delete w.meta.category))).toEqual({
      ok: false,
      field: 'meta.category',
      error: 'meta.category: Required',
    });
    expect(validateWorkflow(broken((w) => (w.meta.category = 'project')))).toMatchObject({
      error: 'meta.category: Invalid workflow category: "project" (expected "user" or "default")',
    });
  });

  it('names the workflow itself when it is not an object', () => {
    for (const value of [null, [], 'text', 3, undefined]) {
      const result = validateWorkflow(value);
      expect(result).toMatchObject({ ok: false, field: 'workflow' });
    }
  });

  it('reports nesting beyond the limit instead of overflowing the stack', () => {
    const result = validateWorkflow(broken((w) => (w.form = nested(100_000))));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    const cyclic = broken((w) => (w.form = {}));
    cyclic.form.self = cyclic.form;
    expect(validateWorkflow(cyclic).ok).toBe(false);
  });

  it('accepts any semver meta version, a null or absent form and one workflow_return node', () => {
    expect(validateWorkflow(broken((w) => (w.meta.version = '4.0.0-beta.1+build.7'))).ok).toBe(true);
    expect(validateWorkflow(broken((w) => (w.form = null))).ok).toBe(true);
    expect(validateWorkflow(broken((w) => delete w.form)).ok).toBe(true);
    expect(validateWorkflow(broken((w) => w.nodes.push(returnNode('r1')))).ok).toBe(true);
  });

  it('keeps unknown keys at every level, unlike InvokeAI', () => {
    const input = broken((w) => {
      w.form_fields = ['x'];
      w.meta.editor = { zoom: 2 };
      w.exposedFields[0].pinned = true;
      w.edges[0].hidden = true;
    });
    const result = validateWorkflow(input);
    expect(result.ok && result.workflow).toStrictEqual(input);
  });
});

describe('validateWorkflowWithoutId', () => {
  it('accepts a workflow without id', () => {
    const result = validateWorkflowWithoutId(broken((w) => delete w.id));
    expect(result.ok).toBe(true);
  });

  it('drops a given id, which the server replaces, and keeps everything else', () => {
    const input = broken((w) => (w.extra = 1));
    const result = validateWorkflowWithoutId(input);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect('id' in result.workflow).toBe(false);
      const { id: _id, ...rest } = input;
      expect(result.workflow).toStrictEqual(rest);
    }
  });

  it('applies the same field rules', () => {
    expect(validateWorkflowWithoutId(broken((w) => delete w.nodes[3].id))).toMatchObject({ ok: false, field: 'nodes.3.id' });
  });
});

describe('isJsonValue', () => {
  it('accepts JSON and rejects what JSON cannot hold', () => {
    expect(isJsonValue({ a: [1, 'b', null, true, { c: -0.5 }] })).toBe(true);
    for (const bad of [undefined, NaN, Infinity, -Infinity, () => 1, 10n, Symbol('s'), new Map(), new Uint8Array(1), { a: undefined }, [NaN]]) {
      expect(isJsonValue(bad), String(bad)).toBe(false);
    }
  });
});
