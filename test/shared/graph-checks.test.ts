// The checks a workflow gets on load, import and save: the 26 defaults, and each kind of problem.
import { describe, expect, it } from 'vitest';
import { templateFor } from '../../shared/node-templates/index.js';
import { checkWorkflow, hasErrors, problemsOfNode, type WorkflowProblem } from '../../shared/workflow/graph-checks.js';
import { loadFixtures } from './helpers.js';

function node(id: string, type: string, inputs: unknown = {}, version = templateFor(type)?.version ?? '1.0.0') {
  return { id, type: 'invocation', data: { id, type, version, label: '', inputs }, position: { x: 0, y: 0 } };
}

function field(name: string, value?: unknown) {
  return value === undefined ? { name, label: '' } : { name, label: '', value };
}

function edge(source: string, sourceHandle: string, target: string, targetHandle: string) {
  return { id: `${source}.${sourceHandle}-${target}.${targetHandle}`, type: 'default', source, sourceHandle, target, targetHandle };
}

/** A valid text-to-image graph (SD1.5), every field present as a fresh node would have it. */
function textToImage() {
  const full = (id: string, type: string) =>
    node(id, type, Object.fromEntries(templateFor(type)!.inputs.map((i) => [i.name, field(i.name, i.default)])));
  return {
    nodes: [full('model', 'main_model_loader'), full('pos', 'compel'), full('neg', 'compel'), full('noise', 'noise'),
      full('denoise', 'denoise_latents'), full('l2i', 'l2i')],
    edges: [
      edge('model', 'clip', 'pos', 'clip'),
      edge('model', 'clip', 'neg', 'clip'),
      edge('model', 'unet', 'denoise', 'unet'),
      edge('model', 'vae', 'l2i', 'vae'),
      edge('pos', 'conditioning', 'denoise', 'positive_conditioning'),
      edge('neg', 'conditioning', 'denoise', 'negative_conditioning'),
      edge('noise', 'noise', 'denoise', 'noise'),
      edge('denoise', 'latents', 'l2i', 'latents'),
    ],
  };
}

const kinds = (problems: WorkflowProblem[]) => problems.map((p) => p.kind);

describe('checkWorkflow on the 26 default workflows', () => {
  const results = loadFixtures().map(({ file, json }) => ({ file, problems: checkWorkflow(json) }));

  it('flags exactly the nodes whose types the schema lacks, in the 3 workflows that use them', () => {
    const unknown = results.flatMap(({ file, problems }) =>
      problems.filter((p) => p.kind === 'unknown-node-type').map((p) => ({ file, message: p.message })));
    expect(new Set(unknown.map((u) => u.file))).toEqual(new Set([
      'ESRGAN Upscaling with Canny ControlNet.json',
      'Face Detailer with IP-Adapter & Canny (See Note in Details).json',
      'Multi ControlNet (Canny & Depth).json',
    ]));
    for (const u of unknown) expect(u.message).toMatch(/“(canny_image_processor|midas_depth_image_processor)”/);
  });

  it('lists nothing else but nodes older than their templates, as warnings', () => {
    for (const { file, problems } of results) {
      const others = problems.filter((p) => p.kind !== 'unknown-node-type' && p.kind !== 'outdated-node');
      expect(others, file).toEqual([]);
      for (const p of problems.filter((p) => p.kind === 'outdated-node')) expect(p.severity, file).toBe('warning');
    }
    const outdated = results.flatMap((r) => r.problems).filter((p) => p.kind === 'outdated-node');
    expect(outdated.length).toBeGreaterThan(0);
    // FLUX Denoise 3.0.0 carries board and metadata, which version 4 dropped: said in the same warning.
    expect(outdated.some((p) => /version 3\.0\.0 .*“board”, “metadata”/.test(p.message))).toBe(true);
  });
});

describe('checkWorkflow: each kind of problem, in plain words, with the node to go to', () => {
  it('finds nothing in a valid text-to-image graph', () => {
    expect(checkWorkflow(textToImage())).toEqual([]);
  });

  it('flags an unknown node type but keeps judging the rest', () => {
    const wf = textToImage();
    wf.nodes.push(node('custom', 'my_pack_node', { strength: field('strength', 1) }));
    wf.edges.push(edge('custom', 'out', 'l2i', 'tile_size'));
    const problems = checkWorkflow(wf);
    expect(problems).toEqual([{
      nodeId: 'custom',
      kind: 'unknown-node-type',
      severity: 'error',
      message: '“my_pack_node” is of the type “my_pack_node”, which is not known here: it may come from a custom node pack, ' +
        'or InvokeAI no longer has it. It is kept as it is, but cannot be checked or run without that node type.',
    }]);
  });

  it('flags fields the node type does not have, and required fields that are missing', () => {
    const wf = textToImage();
    const denoise = wf.nodes.find((n) => n.id === 'denoise')!.data.inputs as Record<string, unknown>;
    denoise['sharpness'] = field('sharpness', 3);
    const compel = wf.nodes.find((n) => n.id === 'pos')!.data.inputs as Record<string, unknown>;
    delete compel['clip'];
    wf.edges = wf.edges.filter((e) => e.id !== 'model.clip-pos.clip');
    const problems = checkWorkflow(wf);
    expect(problems).toEqual([
      { nodeId: 'pos', kind: 'missing-required-field', severity: 'error',
        message: '“Prompt - SD1.5” lacks its required field “CLIP”.' },
      { nodeId: 'denoise', kind: 'unknown-field', severity: 'error',
        message: '“Denoise - SD1.5, SDXL” has a field “sharpness” that its node type does not have.' },
    ]);
  });

  it('does not call a required input missing when an edge feeds it', () => {
    const wf = textToImage();
    const compel = wf.nodes.find((n) => n.id === 'pos')!.data.inputs as Record<string, unknown>;
    delete compel['clip'];
    expect(checkWorkflow(wf)).toEqual([]);
  });

  it('flags nodes whose inputs are not objects, and fields that are not objects', () => {
    const wf = textToImage();
    wf.nodes.push(node('broken', 'integer', ['value']));
    wf.nodes.push(node('odd', 'integer', { value: 7 }));
    expect(checkWorkflow(wf)).toEqual([
      { nodeId: 'broken', kind: 'inputs-not-object', severity: 'error',
        message: 'The fields of “Integer Primitive” are not stored as a set of named fields, so they cannot be read.' },
      { nodeId: 'odd', kind: 'malformed-field', severity: 'error',
        message: 'The field “value” of “Integer Primitive” is not a field: it has no name or value.' },
    ]);
  });

  it('flags an outdated node as a warning that names the fields its version dropped', () => {
    const wf = textToImage();
    wf.nodes.push(node('old', 'integer', { value: field('value', 1), legacy: field('legacy', 2) }, '0.9.0'));
    const problems = checkWorkflow(wf);
    expect(problems).toEqual([{
      nodeId: 'old',
      kind: 'outdated-node',
      severity: 'warning',
      message: `“Integer Primitive” was made with version 0.9.0 of its node type; the current version is ${templateFor('integer')!.version}. ` +
        'Fields of the old version that the new one no longer has: “legacy”.',
    }]);
    expect(hasErrors(problems)).toBe(false);
  });

  it('flags edges whose nodes or fields are missing, pointing at the node that is there', () => {
    const wf = textToImage();
    wf.edges.push(edge('ghost', 'value', 'denoise', 'steps'));
    wf.edges.push(edge('model', 'vae', 'l2i', 'no_such_input'));
    const problems = checkWorkflow(wf);
    expect(problems).toEqual([
      { nodeId: 'denoise', edgeId: 'ghost.value-denoise.steps', kind: 'edge-missing-node', severity: 'error',
        message: 'A connection of “Denoise - SD1.5, SDXL” leads to a node that is not in the workflow (ghost).' },
      { nodeId: 'l2i', edgeId: 'model.vae-l2i.no_such_input', kind: 'edge-missing-field', severity: 'error',
        message: 'The connection from “Main Model - SD1.5, SD2” (vae) to “Latents to Image - SD1.5, SDXL” (no_such_input) is not valid: ' +
          '“Latents to Image - SD1.5, SDXL” has no input “no_such_input”.' },
    ]);
    expect(problemsOfNode(problems, 'l2i')).toHaveLength(1);
  });

  it('flags a type mismatch, a second edge into one input and a loop, keeping the first edge', () => {
    const wf = textToImage();
    wf.edges.push(edge('model', 'vae', 'denoise', 'steps'));
    wf.nodes.push(node('seed', 'integer', { value: field('value', 1) }), node('seed2', 'integer', { value: field('value', 2) }));
    wf.edges.push(edge('seed', 'value', 'noise', 'seed'), edge('seed2', 'value', 'noise', 'seed'));
    wf.nodes.push(node('a', 'add', { a: field('a', 0), b: field('b', 0) }), node('b', 'add', { a: field('a', 0), b: field('b', 0) }));
    wf.edges.push(edge('a', 'value', 'b', 'a'), edge('b', 'value', 'a', 'a'));
    const problems = checkWorkflow(wf);
    expect(problems.map((p) => [p.kind, p.edgeId])).toEqual([
      ['edge-type-mismatch', 'model.vae-denoise.steps'],
      ['edge-invalid', 'seed2.value-noise.seed'],
      ['edge-invalid', 'b.value-a.a'],
    ]);
    expect(problems[0]!.message).toBe('The connection from “Main Model - SD1.5, SD2” (vae) to “Denoise - SD1.5, SDXL” (steps) is not valid: ' +
      'Steps takes an integer; VAE gives a VAE.');
    expect(problems[1]!.message).toMatch(/Seed already has a connection/);
    expect(problems[2]!.message).toBe('The connection from “Add Integers” (value) to “Add Integers” (a) is not valid: it closes a loop, ' +
      '“Add Integers” already leads to “Add Integers”.');
  });

  it('reads anything without throwing, and says what is not a workflow', () => {
    expect(kinds(checkWorkflow(null))).toEqual(['malformed-workflow']);
    expect(kinds(checkWorkflow({ nodes: {}, edges: [] }))).toEqual(['malformed-workflow']);
    expect(kinds(checkWorkflow({
      nodes: [null, { id: 'x', type: 'invocation', data: 'no' }, node('x', 'integer'), { id: 'n', type: 'notes', data: {} }],
      edges: [7, { source: 'n', target: 'x' }],
    }))).toEqual(['malformed-node', 'duplicate-node-id', 'malformed-edge', 'malformed-node', 'malformed-edge']);
  });

  it('keeps the workflow exactly as it was', () => {
    const wf = textToImage();
    wf.edges.push(edge('model', 'vae', 'denoise', 'steps'));
    wf.nodes.push(node('custom', 'my_pack_node'));
    const before = structuredClone(wf);
    checkWorkflow(wf);
    expect(wf).toEqual(before);
  });
});

describe('checkWorkflow on hostile or large graphs', () => {
  it('reports the edge that closes a loop of three once, and judges a 20 000-node chain without overflowing', () => {
    const wf = { nodes: ['a', 'b', 'c'].map((id) => node(id, 'add', { a: field('a', 0), b: field('b', 0) })),
      edges: [edge('a', 'value', 'b', 'a'), edge('b', 'value', 'c', 'a'), edge('c', 'value', 'a', 'a')] };
    expect(checkWorkflow(wf).map((p) => [p.kind, p.edgeId])).toEqual([['edge-invalid', 'c.value-a.a']]);

    const count = 20_000;
    const chain = { nodes: [] as ReturnType<typeof node>[], edges: [] as ReturnType<typeof edge>[] };
    for (let i = 0; i < count; i++) chain.nodes.push(node(`n${i}`, 'add', { a: field('a', 0), b: field('b', 0) }));
    // Stored last-first, the worst order for a search from each new edge.
    for (let i = count - 2; i >= 0; i--) chain.edges.push(edge(`n${i}`, 'value', `n${i + 1}`, 'a'));
    expect(checkWorkflow(chain)).toEqual([]);
    chain.edges.push(edge(`n${count - 1}`, 'value', 'n0', 'b'));
    expect(checkWorkflow(chain).map((p) => p.kind)).toEqual(['edge-invalid']);
  });

  it('reads field names as own keys only, so a required field named like an Object method is still missing', () => {
    const template = {
      ...templateFor('integer')!,
      type: 'odd',
      inputs: [{ ...templateFor('integer')!.inputs[0]!, name: 'toString', required: true }],
    };
    const lookup = (type: string) => (type === 'odd' ? template : templateFor(type));
    expect(checkWorkflow({ nodes: [node('x', 'odd', {}, template.version)], edges: [] }, lookup)).toEqual([
      { nodeId: 'x', kind: 'missing-required-field', severity: 'error', message: '“Integer Primitive” lacks its required field “Value”.' },
    ]);
  });
});
