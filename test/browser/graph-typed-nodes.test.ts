// Nodes drawn from their templates (issue 7 point 1): titles, field labels, typed and coloured handles,
// a widget per field type with the template's bounds, read-only chips, hidden fields, unknown and
// outdated nodes. A real fs-workflow-graph in Chromium, wired as the editor wires it.
import { expect } from 'chai';
import '../../client/components/graph/workflow-graph.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import { fieldColor } from '../../client/components/graph/field-colors.js';
import { nodeFromTemplate } from '../../client/components/graph/node-factory.js';
import { templateFor } from '../../shared/node-templates/index.js';
import type { JsonObject } from '../../shared/workflow/json.js';
import { deepAll } from './helpers.js';
import { makeGraph } from './graph-fixture.js';

function fresh(type: string, id: string, x = 0, y = 0): JsonObject {
  return nodeFromTemplate(templateFor(type)!, id, { x, y });
}


const inNode = <E extends Element>(g: WorkflowGraph, id: string, sel: string) => deepAll<E>(g, `g.node[data-node-id="${id}"] ${sel}`);
const labels = (g: WorkflowGraph, id: string) => inNode(g, id, 'span.label').map((s) => s.textContent);
const input = (g: WorkflowGraph, id: string, field: string) => ((g.nodes.find((n) => n.id === id)!.data as JsonObject).inputs as JsonObject)[field] as JsonObject;

describe('nodes drawn from their templates', () => {
  afterEach(() => document.querySelectorAll('fs-workflow-graph').forEach((g) => g.remove()));

  it('titles the node and labels its fields from the template; outputs are typed', async () => {
    const { graph } = await makeGraph([fresh('noise', 'a')]);
    expect(inNode(graph, 'a', 'text')[0]!.textContent).to.equal('Create Latent Noise');
    expect(labels(graph, 'a')).to.deep.equal(['Noise Type', 'Seed', 'Width', 'Height', 'Use Cpu']);
    const ownText = (t: Element) => [...t.childNodes].filter((c) => c.nodeType === Node.TEXT_NODE).map((c) => c.textContent).join('').trim();
    expect(inNode(graph, 'a', 'text.out-label').map(ownText)).to.deep.equal(['Noise', 'Width', 'Height']);
    // Handles carry the colour of their type: latents, integers.
    const noise = inNode<SVGElement>(graph, 'a', '.handle.out[data-output=noise]')[0]!;
    expect(noise.getAttribute('fill')).to.equal(fieldColor('LatentsField'));
    expect(inNode<SVGElement>(graph, 'a', '.handle.in[data-field=seed]')[0]!.getAttribute('fill')).to.equal(fieldColor('IntegerField'));
    expect(fieldColor('LatentsField')).to.not.equal(fieldColor('IntegerField'));
  });

  it('a label the user gave wins over the template title, for the node and for a field', async () => {
    const n = fresh('noise', 'a');
    (n.data as JsonObject).label = 'My noise';
    ((((n.data as JsonObject).inputs as JsonObject).seed) as JsonObject).label = 'Lucky number';
    const { graph } = await makeGraph([n]);
    expect(inNode(graph, 'a', 'text')[0]!.textContent).to.equal('My noise');
    expect(labels(graph, 'a')).to.include('Lucky number');
    expect(inNode(graph, 'a', 'input[aria-label="My noise Lucky number"]')).to.have.length(1);
  });

  it('numbers keep to the bounds and steps of their template (integers, multipleOf, floats)', async () => {
    const { graph } = await makeGraph([fresh('noise', 'a'), fresh('float_math', 'f', 400)]);
    const seed = inNode<HTMLInputElement>(graph, 'a', 'input[aria-label="Create Latent Noise Seed"]')[0]!;
    expect([seed.type, seed.min, seed.max, seed.step]).to.deep.equal(['number', '0', '4294967295', '1']);
    const width = inNode<HTMLInputElement>(graph, 'a', 'input[aria-label="Create Latent Noise Width"]')[0]!;
    expect([width.min, width.step]).to.deep.equal(['8', '8']);
    const type = async (el: HTMLInputElement, text: string) => {
      el.value = text;
      el.dispatchEvent(new Event('change'));
      await graph.updateComplete;
    };
    await type(width, '515');
    expect(input(graph, 'a', 'width').value).to.equal(512);
    await type(seed, '-5');
    expect(input(graph, 'a', 'seed').value).to.equal(0);
    await type(seed, '12.6');
    expect(input(graph, 'a', 'seed').value).to.equal(13);
    await type(seed, 'abc');
    expect(input(graph, 'a', 'seed').value).to.equal(13);
    const b = inNode<HTMLInputElement>(graph, 'f', 'input[type=number]')[1]!;
    await type(b, '0.25');
    expect(input(graph, 'f', 'b').value).to.equal(0.25);
  });

  it('enums are selects, booleans checkboxes, prompts multi-line text', async () => {
    const { graph } = await makeGraph([fresh('noise', 'a'), fresh('compel', 'c', 400)]);
    const select = inNode<HTMLSelectElement>(graph, 'a', 'select[aria-label="Create Latent Noise Noise Type"]')[0]!;
    expect([...select.options].map((o) => o.value)).to.include.members(['SD', 'FLUX', 'SD3']);
    select.value = 'FLUX';
    select.dispatchEvent(new Event('change'));
    await graph.updateComplete;
    expect(input(graph, 'a', 'noise_type').value).to.equal('FLUX');
    const cpu = inNode<HTMLInputElement>(graph, 'a', 'input[type=checkbox]')[0]!;
    expect(cpu.checked).to.equal(true);
    cpu.click();
    await graph.updateComplete;
    expect(input(graph, 'a', 'use_cpu').value).to.equal(false);
    const prompt = inNode<HTMLTextAreaElement>(graph, 'c', 'textarea')[0]!;
    expect(prompt.getAttribute('aria-label')).to.equal('Prompt - SD1.5 Prompt');
    expect(prompt.getBoundingClientRect().height).to.be.greaterThan(inNode<HTMLElement>(graph, 'a', 'select')[0]!.getBoundingClientRect().height * 1.5);
    prompt.value = 'a lighthouse\nat dusk';
    prompt.dispatchEvent(new Event('change'));
    await graph.updateComplete;
    expect(input(graph, 'c', 'prompt').value).to.equal('a lighthouse\nat dusk');
  });

  it('the scheduler (a ui_type over an enum) is a select of InvokeAI’s schedulers', async () => {
    const { graph } = await makeGraph([fresh('denoise_latents', 'd')]);
    const scheduler = inNode<HTMLSelectElement>(graph, 'd', 'select[aria-label="Denoise - SD1.5, SDXL Scheduler"]')[0]!;
    expect(scheduler.value).to.equal('euler');
    expect([...scheduler.options].map((o) => o.value)).to.include.members(['ddim', 'dpmpp_2m_k', 'euler_a', 'lcm']);
  });

  it('an enum of integers (FLUX T5 max sequence length) shows the stored integer and stores the chosen one as an integer', async () => {
    const { graph } = await makeGraph([fresh('flux_text_encoder', 't')]);
    const select = inNode<HTMLSelectElement>(graph, 't', 'select')[0]!;
    expect([...select.options].map((o) => o.value)).to.deep.equal(['256', '512']);
    expect(select.value).to.equal(String(input(graph, 't', 't5_max_seq_len').value));
    select.value = '256';
    select.dispatchEvent(new Event('change'));
    await graph.updateComplete;
    expect(input(graph, 't', 't5_max_seq_len').value).to.equal(256);
  });

  it('a stored enum value the type no longer offers stays selected, so drawing never changes it', async () => {
    const n = fresh('noise', 'a');
    ((((n.data as JsonObject).inputs as JsonObject).noise_type) as JsonObject).value = 'Retired';
    const { graph, changes } = await makeGraph([n]);
    expect(inNode<HTMLSelectElement>(graph, 'a', 'select')[0]!.value).to.equal('Retired');
    expect(changes).to.deep.equal([]);
  });

  it('models and images are read-only chips saying what the file holds; connection-only inputs are a handle and a label', async () => {
    const loader = fresh('main_model_loader', 'm');
    ((((loader.data as JsonObject).inputs as JsonObject).model) as JsonObject).value = {
      key: 'k1', hash: 'h', name: 'Juggernaut XL', base: 'sdxl', type: 'main',
    };
    const empty = fresh('main_model_loader', 'e', 0, 300);
    const { graph } = await makeGraph([loader, empty, fresh('compel', 'c', 400), fresh('l2i', 'l', 400, 300)]);
    expect(inNode(graph, 'm', '.chip')[0]!.textContent!.trim()).to.equal('Juggernaut XL (sdxl)');
    expect(inNode(graph, 'e', '.chip')[0]!.textContent!.trim()).to.equal('No model chosen');
    for (const widget of ['input', 'select', 'textarea']) expect(inNode(graph, 'm', widget)).to.have.length(0);
    // compel's clip takes connections only: a label and a handle, no widget.
    const clipRow = inNode(graph, 'c', '.row.handle-only');
    expect(clipRow.map((r) => r.textContent!.trim())).to.include('CLIP');
    expect(inNode(graph, 'c', '.handle.in[data-field=clip]')).to.have.length(1);
    // l2i's board is set in the node only: no handle.
    expect(inNode(graph, 'l', '.handle.in[data-field=board]')).to.have.length(0);
    expect(labels(graph, 'l')).to.include('Board');
  });

  it('hidden fields are not drawn', async () => {
    const t = templateFor('gemini_image_generation')!;
    const hidden = t.inputs.filter((i) => i.uiHidden).map((i) => i.name);
    expect(hidden.length).to.be.greaterThan(0);
    const { graph } = await makeGraph([fresh('gemini_image_generation', 'g')]);
    for (const name of hidden) expect(inNode(graph, 'g', `[data-field="${name}"]`)).to.have.length(0);
    expect(labels(graph, 'g')).to.not.include.members(hidden.map((n) => t.inputs.find((i) => i.name === n)!.title));
  });

  it('an unknown node type is drawn from what it stores, marked, and never rewritten', async () => {
    const custom: JsonObject = {
      id: 'x',
      type: 'invocation',
      data: { id: 'x', type: 'canny_image_processor', version: '1.3.0', label: '', inputs: { low_threshold: { name: 'low_threshold', label: '', value: 100 }, image: { name: 'image', label: '', value: { image_name: 'cat.png' } } } },
      position: { x: 0, y: 0 },
    };
    const before = structuredClone(custom);
    const { graph, changes } = await makeGraph([custom, fresh('l2i', 'l', 400)], [
      { id: 'e', source: 'x', sourceHandle: 'image', target: 'l', targetHandle: 'metadata', type: 'default' },
    ]);
    const g = deepAll(graph, 'g.node[data-node-id="x"]')[0]!;
    expect(g.classList.contains('unknown')).to.equal(true);
    expect(inNode(graph, 'x', 'text.unknown-note')[0]!.textContent).to.match(/^Unknown node type/);
    expect(inNode(graph, 'x', 'text')[0]!.textContent).to.equal('canny_image_processor');
    expect(labels(graph, 'x')).to.deep.equal(['low_threshold', 'image']);
    expect(inNode(graph, 'x', '.chip')[0]!.textContent!.trim()).to.equal('cat.png');
    expect(inNode(graph, 'x', '.handle.out[data-output=image]')).to.have.length(1);
    expect(changes).to.deep.equal([]);
    expect(graph.nodes[0]).to.deep.equal(before);
  });

  it('a node older than its template says so', async () => {
    const n = fresh('noise', 'a');
    (n.data as JsonObject).version = '1.0.0';
    const { graph } = await makeGraph([n, fresh('noise', 'b', 400)]);
    const note = inNode(graph, 'a', 'text.note.outdated')[0]!;
    const own = [...note.childNodes].filter((c) => c.nodeType === Node.TEXT_NODE).map((c) => c.textContent).join('');
    expect(own).to.match(/^Update node: v1\.0\.0 → v\d+\.\d+\.\d+$/);
    expect(note.querySelector('title')!.textContent).to.match(/older version of its node type/);
    expect(inNode(graph, 'b', 'text.note')).to.have.length(0);
  });

  it('a connected field shows "connected" instead of its widget, and keeps its value', async () => {
    const i = fresh('integer', 'i');
    const { graph } = await makeGraph([i, fresh('noise', 'a', 400)], [
      { id: 'e', source: 'i', sourceHandle: 'value', target: 'a', targetHandle: 'seed', type: 'default' },
    ]);
    expect(inNode(graph, 'a', 'input[aria-label="Create Latent Noise Seed"]')).to.have.length(0);
    expect(inNode(graph, 'a', '.connected')).to.have.length(1);
    expect(input(graph, 'a', 'seed').value).to.equal(0);
  });

  it('hostile stored values are drawn as text, kept as they are, and never crash the canvas', async () => {
    const evil = '<img src=x onerror="window.__pwned=1">';
    const hostile: JsonObject[] = [
      // Inputs that are not an object, a label with markup, a value of the wrong type for its field.
      { id: 'h1', type: 'invocation', data: { id: 'h1', type: 'noise', version: '1.1.0', label: evil, inputs: 'not an object' }, position: { x: 0, y: 0 } },
      {
        id: 'h2', type: 'invocation', position: { x: 400, y: 0 },
        data: { id: 'h2', type: 'noise', version: '1.1.0', label: '', inputs: {
          seed: { name: 'seed', label: evil, value: '12abc' },
          width: 'a string, not a field',
          noise_type: { name: 'noise_type', value: { nested: [1, 2, 3] } },
          __proto__: { name: '__proto__', value: 1 },
          constructor: { name: 'constructor', value: evil },
        } },
      },
      // A model chip holding a huge name; data that is not an object at all.
      { id: 'h3', type: 'invocation', position: { x: 0, y: 400 }, data: { id: 'h3', type: 'main_model_loader', version: '1.0.4', inputs: { model: { name: 'model', value: { key: 'k', base: 'sd-1', name: 'x'.repeat(100_000) } } } } },
      { id: 'h4', type: 'invocation', position: { x: 400, y: 400 }, data: 'nope' },
      { id: 'h5', type: 'invocation', position: { x: 800, y: 400 }, data: { id: 'h5', type: 'constructor', inputs: {} } },
    ];
    // JSON.parse, as a stored workflow arrives: "__proto__" is then an own key.
    const nodes = JSON.parse(JSON.stringify(hostile).replace('"constructor":{"name":"constructor"', '"__proto__":{"name":"__proto__","value":1},"constructor":{"name":"constructor"')) as JsonObject[];
    const before = structuredClone(nodes);
    const { graph, changes } = await makeGraph(nodes);
    expect(deepAll(graph, 'g.node')).to.have.length(5);
    expect((window as unknown as { __pwned?: number }).__pwned).to.equal(undefined);
    expect(deepAll(graph, 'img')).to.have.length(0);
    expect(inNode(graph, 'h1', 'text')[0]!.textContent).to.equal(evil);
    expect(labels(graph, 'h2')).to.include(evil);
    expect(inNode<HTMLInputElement>(graph, 'h2', 'input[type=number]')[0]!.value).to.equal('');
    expect(inNode(graph, 'h3', '.chip')[0]!.textContent!.length).to.be.greaterThan(1000);
    expect(deepAll(graph, 'g.node[data-node-id="h5"]')[0]!.classList.contains('unknown')).to.equal(true);
    expect(changes).to.deep.equal([]);
    expect(graph.nodes).to.deep.equal(before);
  });
});
