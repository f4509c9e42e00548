// InvokeAI's connection rules, as a table, and against every edge of the 26 default workflows.
import { describe, expect, it } from 'vitest';
import { allTemplates, templateFor } from '../../shared/node-templates/index.js';
import {
  compatibleNodeTemplates,
  compatibleTargets,
  isFieldEdge,
  validateConnection,
  type Connection,
  type EdgeLike,
  type GraphLike,
  type NodeLike,
} from '../../shared/workflow/connection-rules.js';
import { loadFixtures } from './helpers.js';

function node(id: string, type: string, inputs: Record<string, unknown> = {}): NodeLike {
  return { id, type: 'invocation', data: { id, type, version: templateFor(type)?.version ?? '1.0.0', label: '', inputs } };
}

function edge(source: string, sourceHandle: string, target: string, targetHandle: string): EdgeLike {
  return { id: `${source}.${sourceHandle}-${target}.${targetHandle}`, type: 'default', source, sourceHandle, target, targetHandle };
}

function graph(nodes: Record<string, string>, edges: EdgeLike[] = []): GraphLike {
  return { nodes: Object.entries(nodes).map(([id, type]) => node(id, type)), edges };
}

function check(g: GraphLike, from: string, to: string, options = {}) {
  const [source, sourceHandle] = from.split('.') as [string, string];
  const [target, targetHandle] = to.split('.') as [string, string];
  const c: Connection = { source, sourceHandle, target, targetHandle };
  return validateConnection(g, templateFor, c, options);
}

const basics = {
  model: 'main_model_loader',
  denoise: 'denoise_latents',
  l2i: 'l2i',
  int: 'integer',
  int2: 'integer',
  float: 'float',
  str: 'string',
  img: 'image',
  prompt: 'compel',
  add: 'add',
  add2: 'add',
  collect: 'collect',
  iterate: 'iterate',
  images: 'image_collection',
  toInt: 'float_to_int',
  cond: 'if',
};

describe('validateConnection: types', () => {
  const g = graph(basics);

  it('refuses a VAE into Steps, saying why in plain words', () => {
    expect(check(g, 'model.vae', 'denoise.steps')).toEqual({
      ok: false,
      code: 'type-mismatch',
      reason: 'Steps takes an integer; VAE gives a VAE.',
    });
  });

  it.each([
    ['same type', 'model.vae', 'l2i.vae'],
    ['integer into a float', 'int.value', 'toInt.value'],
    ['integer into a polymorphic float', 'int.value', 'denoise.cfg_scale'],
    ['integer into text', 'int.value', 'prompt.prompt'],
    ['float into text', 'float.value', 'prompt.prompt'],
    ['single into a polymorphic field of its type', 'prompt.conditioning', 'denoise.positive_conditioning'],
    ['a generic collection into a polymorphic field', 'collect.collection', 'denoise.positive_conditioning'],
    ['a single value into a collect item', 'img.image', 'collect.item'],
    ['a generic collection into a typed collection', 'collect.collection', 'images.collection'],
    ['a typed collection into iterate', 'images.collection', 'iterate.collection'],
    ['an iterated item into a single field', 'iterate.item', 'denoise.steps'],
    ['anything into an Any input', 'model.vae', 'cond.true_input'],
  ])('allows %s', (_, from, to) => {
    expect(check(g, from, to)).toEqual({ ok: true });
  });

  it.each([
    ['a float into an integer', 'float.value', 'add.a', 'A takes an integer; Value gives a number.'],
    ['text into an integer', 'str.value', 'add.a', 'A takes an integer; Value gives text.'],
    ['a generic collection into a single field', 'collect.collection', 'denoise.steps', 'Steps takes an integer; Collection gives a collection.'],
    ['an iterated item into a collection', 'iterate.item', 'images.collection', 'Collection takes a collection of images; Collection Item gives a collection item.'],
    ['an image into conditioning', 'img.image', 'denoise.positive_conditioning',
      'Positive Conditioning takes conditioning or a collection of conditionings; Image gives an image.'],
  ])('refuses %s', (_, from, to, reason) => {
    expect(check(g, from, to)).toEqual({ ok: false, code: 'type-mismatch', reason });
  });

  it('refuses a connection into a field that is set in the node only', () => {
    expect(check(g, 'int.value', 'l2i.board')).toMatchObject({ ok: false, code: 'direct-input' });
    expect(check(g, 'images.collection', 'images.images')).toMatchObject({ ok: false, code: 'self-loop' });
  });

  it('refuses fields the node type does not have and notes', () => {
    expect(check(g, 'model.nothing', 'l2i.vae')).toEqual({
      ok: false,
      code: 'missing-field',
      reason: '“Main Model - SD1.5, SD2” has no output “nothing”.',
    });
    expect(check(g, 'model.vae', 'l2i.nothing')).toMatchObject({ ok: false, code: 'missing-field' });
    expect(check(g, 'model.vae', 'ghost.vae')).toMatchObject({ ok: false, code: 'missing-node' });
    const withNote: GraphLike = { ...g, nodes: [...g.nodes, { id: 'note', type: 'notes', data: { id: 'note', notes: 'hi' } }] };
    expect(check(withNote, 'note.x', 'l2i.vae')).toMatchObject({ ok: false, code: 'not-invocation' });
  });
});

describe('validateConnection: graph rules', () => {
  it('refuses a self-loop and a duplicate', () => {
    const g = graph(basics, [edge('int', 'value', 'add', 'a')]);
    expect(check(g, 'add.value', 'add.b')).toEqual({ ok: false, code: 'self-loop', reason: 'A node cannot connect to itself.' });
    expect(check(g, 'int.value', 'add.a')).toMatchObject({ ok: false, code: 'duplicate' });
  });

  it('allows one edge per input, and moving that edge', () => {
    const taken = edge('int', 'value', 'add', 'a');
    const g = graph(basics, [taken]);
    expect(check(g, 'int2.value', 'add.a')).toEqual({ ok: false, code: 'input-taken', reason: 'A already has a connection; remove it first.' });
    expect(check(g, 'int2.value', 'add.a', { ignoreEdgeId: taken.id })).toEqual({ ok: true });
    expect(check(g, 'int2.value', 'add.b')).toEqual({ ok: true });
  });

  it('names an input by the label the user gave it', () => {
    const g: GraphLike = { nodes: [node('int', 'integer'), node('add', 'add', { a: { name: 'a', label: 'Left', value: 1 } })], edges: [edge('int', 'value', 'add', 'a')] };
    expect(check({ ...g, nodes: [...g.nodes, node('int2', 'integer')] }, 'int2.value', 'add.a')).toMatchObject({
      reason: 'Left already has a connection; remove it first.',
    });
  });

  it('refuses a cycle, direct or through other nodes', () => {
    const g = graph(basics, [edge('add', 'value', 'add2', 'a'), edge('add2', 'value', 'toInt', 'multiple')]);
    expect(check(g, 'add2.value', 'add.a')).toEqual({
      ok: false,
      code: 'cycle',
      reason: 'This connection would make a loop: “Add Integers” already depends on “Add Integers”.',
    });
    expect(check(graph(basics, [edge('add', 'value', 'add2', 'a'), edge('add2', 'value', 'toInt', 'multiple'), edge('toInt', 'value', 'iterate', 'collection')]), 'iterate.item', 'add.b'))
      .toMatchObject({ ok: false, code: 'cycle' });
    expect(check(g, 'toInt.value', 'add.b')).toMatchObject({ ok: false, code: 'cycle' });
    expect(check(g, 'int.value', 'add.b')).toEqual({ ok: true });
  });

  it('lets a collect node take many items of one type only', () => {
    const g = graph(basics, [edge('int', 'value', 'collect', 'item')]);
    expect(check(g, 'int2.value', 'collect.item')).toEqual({ ok: true });
    expect(check(g, 'img.image', 'collect.item')).toEqual({
      ok: false,
      code: 'collect-item-mismatch',
      reason: 'This Collect node already collects integers; Image gives an image.',
    });
  });

  it('keeps both inputs of an If node of one type, and judges its output by what flows in', () => {
    const g = graph(basics, [edge('int', 'value', 'cond', 'true_input')]);
    expect(check(g, 'int2.value', 'cond.false_input')).toEqual({ ok: true });
    expect(check(g, 'img.image', 'cond.false_input')).toMatchObject({ ok: false, code: 'type-mismatch' });
    expect(check(g, 'cond.value', 'denoise.steps')).toEqual({ ok: true });
    expect(check(g, 'cond.value', 'l2i.vae')).toEqual({
      ok: false,
      code: 'type-mismatch',
      reason: 'Vae takes a VAE; this If node passes on an integer.',
    });
    // Nothing flowing in yet: the If output is Any, which goes anywhere single.
    expect(check(graph(basics), 'cond.value', 'l2i.vae')).toEqual({ ok: true });
  });

  it('allows what cannot be judged on an unknown node type, saying so, and still refuses loops', () => {
    const g: GraphLike = {
      nodes: [...graph(basics).nodes, node('custom', 'my_pack_node', { strength: { name: 'strength', label: '' } })],
      edges: [edge('custom', 'out', 'add', 'a')],
    };
    expect(check(g, 'custom.out', 'denoise.steps')).toEqual({
      ok: true,
      unchecked: 'The node type “my_pack_node” is not known here, so the field types were not checked.',
    });
    expect(check(g, 'add.value', 'custom.strength')).toMatchObject({ ok: false, code: 'cycle' });
    expect(check(g, 'int.value', 'custom.strength')).toMatchObject({ ok: true });
    // The known end is still checked.
    expect(check(g, 'custom.out', 'l2i.board')).toMatchObject({ ok: false, code: 'direct-input' });
    expect(check(g, 'custom.out', 'add.a')).toMatchObject({ ok: false, code: 'duplicate' });
  });
});

describe('every edge of the 26 default workflows', () => {
  it('is valid by the rules, in the graph without it', () => {
    let checked = 0;
    for (const { file, json } of loadFixtures()) {
      const g = json as unknown as GraphLike;
      // Collapsed edges only stand for hidden ones between collapsed nodes; they join no fields.
      for (const e of g.edges.filter(isFieldEdge)) {
        const verdict = validateConnection(g, templateFor, {
          source: e.source,
          sourceHandle: e.sourceHandle,
          target: e.target,
          targetHandle: e.targetHandle,
        }, { ignoreEdgeId: e.id as string });
        expect(verdict.ok, `${file}: ${String(e.id)} ${JSON.stringify(verdict)}`).toBe(true);
        if (verdict.ok && verdict.unchecked) {
          expect(verdict.unchecked).toMatch(/canny_image_processor|midas_depth_image_processor/);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });
});

describe('offering connections while dragging', () => {
  it('marks which fields of the graph a dragged output may join, with the reason for the others', () => {
    const g = graph({ model: 'main_model_loader', denoise: 'denoise_latents', l2i: 'l2i' });
    const verdicts = compatibleTargets(g, templateFor, { nodeId: 'model', handle: 'vae', kind: 'output' });
    const ok = verdicts.filter((v) => v.verdict.ok).map((v) => `${v.nodeId}.${v.handle}`);
    expect(ok).toEqual(['l2i.vae']);
    expect(verdicts.find((v) => v.nodeId === 'denoise' && v.handle === 'steps')?.verdict).toMatchObject({
      reason: 'Steps takes an integer; VAE gives a VAE.',
    });
  });

  it('marks the outputs a dragged input may take', () => {
    const g = graph({ model: 'main_model_loader', int: 'integer', denoise: 'denoise_latents' });
    const verdicts = compatibleTargets(g, templateFor, { nodeId: 'denoise', handle: 'unet', kind: 'input' });
    expect(verdicts.filter((v) => v.verdict.ok).map((v) => `${v.nodeId}.${v.handle}`)).toEqual(['model.unet']);
  });

  it('offers only the node types with a fitting field, preferring a field of exactly the type', () => {
    const templates = allTemplates();
    const vae = templateFor('main_model_loader')!.outputs.find((o) => o.name === 'vae')!.type;
    const fromVae = compatibleNodeTemplates(vae, 'output', templates);
    const byType = new Map(fromVae.map((o) => [o.template.type, o.field]));
    expect(byType.get('l2i')).toBe('vae');
    expect(byType.get('i2l')).toBe('vae');
    expect(byType.has('add')).toBe(false);
    expect(byType.has('collect')).toBe(true); // collects any single value
    for (const offer of fromVae) {
      const verdict = validateConnection(
        graph({ model: 'main_model_loader', fresh: offer.template.type }),
        templateFor,
        { source: 'model', sourceHandle: 'vae', target: 'fresh', targetHandle: offer.field },
      );
      expect(verdict, offer.template.type).toEqual({ ok: true });
    }

    const steps = templateFor('denoise_latents')!.inputs.find((i) => i.name === 'steps')!.type;
    const intoSteps = new Map(compatibleNodeTemplates(steps, 'input', templates).map((o) => [o.template.type, o.field]));
    expect(intoSteps.get('integer')).toBe('value');
    expect(intoSteps.get('rand_int')).toBe('value');
    expect(intoSteps.get('image')).toBe('width');
    expect(intoSteps.has('main_model_loader')).toBe(false);
    expect(intoSteps.has('float')).toBe(false);
  });
});

describe('hostile graphs', () => {
  it('follows a chain of 20 000 collect nodes to its item type without overflowing the stack', () => {
    const count = 20_000;
    const nodes: NodeLike[] = [node('int', 'integer'), node('img', 'image')];
    const edges: EdgeLike[] = [edge('int', 'value', 'c0', 'item')];
    for (let i = 0; i < count; i++) {
      nodes.push(node(`c${i}`, 'collect'));
      if (i > 0) edges.push(edge(`c${i - 1}`, 'collection', `c${i}`, 'collection'));
    }
    const g: GraphLike = { nodes, edges };
    expect(check(g, 'img.image', `c${count - 1}.item`)).toMatchObject({ ok: false, code: 'collect-item-mismatch' });
    expect(check(g, 'int.value', `c${count - 1}.item`)).toEqual({ ok: true });
  });

  it('judges a loop of collect nodes without hanging', () => {
    const g = graph({ a: 'collect', b: 'collect', img: 'image' }, [edge('a', 'collection', 'b', 'collection'), edge('b', 'collection', 'a', 'collection')]);
    expect(check(g, 'img.image', 'a.item')).toEqual({ ok: true });
  });
});
