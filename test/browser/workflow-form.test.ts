import { expect } from 'chai';
import { setViewport } from '@web/test-runner-commands';
import '../../client/components/form/workflow-form.js';
import '../../client/components/editor/workflow-editor.js';
import type { FormChange, FormWorkflow, WorkflowForm } from '../../client/components/form/workflow-form.js';
import type { WorkflowEditor } from '../../client/components/editor/workflow-editor.js';
import type { WorkflowGraph } from '../../client/components/graph/workflow-graph.js';
import { templateFor } from '../../shared/node-templates/index.js';
import { createEntry, readEntry } from '../../shared/workflow/library-doc.js';
import { readForm, type BuilderForm, type FormElement } from '../../shared/workflow/form.js';
import type { Workflow } from '../../shared/workflow/schema.js';
import { deepAll, mount, waitFor, workflow } from './helpers.js';

/** The 11 default workflows that carry a form (test/shared/form.test.ts checks there are exactly 11). */
const WITH_FORM = [
  'CogView4_TextToImage.json',
  'Extend Video - Wan 2.2 Lightning w_ Concept LoRAs.json',
  'Extend Video - Wan 2.2 Lightning.json',
  'Extend Video to Image - Wan 2.2 Lightning.json',
  'Image to Video - Wan 2.2 Lightning w_ Concept LoRAs.json',
  'Image to Video - Wan 2.2 Lightning.json',
  'Image to Video - Wan 2.2 TI2V-5B (Low Quality).json',
  'Interpolate 2 Images to Video - Wan 2.2 Lightning.json',
  'Text to Video - Wan 2.2 Lightning w_ Concept LoRAs.json',
  'Text to Video - Wan 2.2 Lightning.json',
  'Text to Video - Wan 2.2 TI2V-5B (Low Quality).json',
];

type Json = Record<string, any>;

/** A default workflow file (the test server turns .json into a module: its default export). */
async function defaultWorkflow(file: string): Promise<Json> {
  const mod = (await import(`/server/library/default-workflows/${encodeURIComponent(file)}`)) as { default: Json };
  return structuredClone(mod.default);
}

async function mountForm(wf: FormWorkflow, mode: 'view' | 'edit', opts: { live?: boolean } = {}): Promise<WorkflowForm> {
  const el = document.createElement('fs-workflow-form');
  el.mode = mode;
  el.workflow = wf;
  // As the editor does: every change goes into the workflow the form is drawn from.
  if (opts.live !== false) el.addEventListener('fs-form-change', (e: CustomEvent<FormChange>) => (el.workflow = { ...el.workflow!, ...e.detail }));
  document.body.append(el);
  await el.updateComplete;
  return el;
}

const q = <E extends Element = HTMLElement>(root: WorkflowForm, sel: string) => root.shadowRoot!.querySelector<E>(sel);
const qa = <E extends Element = HTMLElement>(root: WorkflowForm, sel: string) => [...root.shadowRoot!.querySelectorAll<E>(sel)];
const nodeInput = (wf: { nodes: unknown[] }, nodeId: string, field: string) =>
  (wf.nodes.find((n) => (n as Json).id === nodeId) as Json).data.inputs[field] as Json;

describe('fs-workflow-form', () => {
  afterEach(() => document.querySelectorAll('fs-workflow-form, test-host').forEach((e) => e.remove()));

  it('renders the form of each of the 11 default workflows that have one, with the labels, values and layout of the JSON', async () => {
    for (const file of WITH_FORM) {
      const wf = await defaultWorkflow(file);
      const form = wf.form as BuilderForm;
      const el = await mountForm(wf as FormWorkflow, 'view');
      expect(q(el, '.missing'), file).to.equal(null);
      let fields = 0;
      for (const element of Object.values(form.elements) as FormElement[]) {
        const box = q(el, `[data-element-id="${element.id}"]`);
        expect(box, `${file} ${element.id}`).to.not.equal(null);
        if (element.type === 'heading') expect(box!.querySelector('h3')!.textContent, file).to.equal(element.data.content);
        if (element.type === 'text') expect(box!.querySelector('p.text')!.textContent, file).to.equal(element.data.content);
        if (element.type === 'divider') expect(box!.querySelector('hr'), file).to.not.equal(null);
        if (element.type === 'container') {
          const c = box!.querySelector(':scope > .container')!;
          expect(c.classList.contains(element.data.layout), `${file} ${element.id} layout`).to.equal(true);
          // children drawn in the JSON's order
          expect([...c.children].map((x) => x.getAttribute('data-element-id')).filter(Boolean)).to.deep.equal(element.data.children);
        }
        if (element.type !== 'node-field') continue;
        fields++;
        const { nodeId, fieldName } = element.data.fieldIdentifier;
        const node = wf.nodes.find((n: Json) => n.id === nodeId);
        const input = node.data.inputs[fieldName];
        const fieldTemplate = templateFor(node.data.type)!.inputs.find((i) => i.name === fieldName)!;
        const expectedLabel = input.label?.trim() ? input.label : fieldTemplate.title;
        const label = box!.querySelector('label')!;
        expect(label.textContent!.trim(), `${file} ${nodeId}.${fieldName}`).to.equal(expectedLabel);
        const control = box!.querySelector<HTMLElement>(`#${label.htmlFor}`)!;
        const where = `${file} ${expectedLabel}`;
        const type = fieldTemplate.type.name;
        if (type === 'IntegerField' || type === 'FloatField') {
          expect((control as HTMLInputElement).type, where).to.equal('number');
          expect((control as HTMLInputElement).valueAsNumber, where).to.equal(input.value);
        } else if (type === 'StringField') {
          const multiline = element.data.settings?.component === 'textarea' || (!element.data.settings && fieldTemplate.uiComponent === 'textarea');
          expect(control.tagName, where).to.equal(multiline ? 'TEXTAREA' : 'INPUT');
          expect((control as HTMLTextAreaElement).value, where).to.equal(input.value);
        } else if (fieldTemplate.enum) {
          expect(control.tagName, where).to.equal('SELECT');
          expect((control as HTMLSelectElement).value, where).to.equal(input.value);
          expect([...(control as HTMLSelectElement).options].map((o) => o.value), where).to.include.members(fieldTemplate.enum);
        } else {
          // models, images, videos, LoRA lists: read-only chips saying what the workflow holds
          expect(control.tagName, where).to.equal('OUTPUT');
          const text = control.textContent!.trim();
          if (input.value === undefined) expect(text, where).to.match(/^No (model|image|video) selected$|^Not set$/);
          else if (Array.isArray(input.value) && input.value.length === 0) expect(text, where).to.equal('Empty list');
          else expect(text, where).to.not.equal('');
        }
        const desc = box!.querySelector('.description');
        const description = input.description || fieldTemplate.description;
        expect(desc?.textContent ?? null, where).to.equal(element.data.showDescription !== false && description ? description : null);
      }
      expect(fields, file).to.equal(Object.values(form.elements).filter((e: Json) => e.type === 'node-field').length);
      el.remove();
    }
  });

  it('shows the exposed fields of a workflow without a form (InvokeAI linear view), or says there is no form', async () => {
    const wf = workflow('w1', { exposedFields: [{ nodeId: 'n1', fieldName: 'seed' }] }) as unknown as FormWorkflow;
    const el = await mountForm(wf, 'view');
    expect(q(el, '.note')!.textContent).to.contain('exposed fields');
    expect(q<HTMLInputElement>(el, '.field input')!.valueAsNumber).to.equal(1);
    expect(q(el, '.field label')!.textContent).to.equal('Seed');
    el.workflow = workflow('w1') as unknown as FormWorkflow;
    await el.updateComplete;
    expect(q(el, '.empty')!.textContent).to.contain('This workflow has no form.');
  });

  it('edits write the value into the node input the form points at; numbers are clamped into bounds, non-numbers refused', async () => {
    const wf = (await defaultWorkflow('Text to Video - Wan 2.2 Lightning.json')) as FormWorkflow;
    const form = wf.form as BuilderForm;
    const el = await mountForm(wf, 'view');
    const steps = Object.values(form.elements).find((e) => e.type === 'node-field' && e.data.fieldIdentifier.fieldName === 'steps')!;
    const { nodeId } = (steps as Extract<FormElement, { type: 'node-field' }>).data.fieldIdentifier;
    const input = q<HTMLInputElement>(el, `[data-element-id="${steps.id}"] input`)!;
    input.value = '6';
    input.dispatchEvent(new Event('change'));
    await el.updateComplete;
    expect(nodeInput(el.workflow!, nodeId, 'steps').value).to.equal(6);
    // Wan's steps are > 0: 0 becomes 1, as the graph's field and InvokeAI clamp it.
    input.value = '0';
    input.dispatchEvent(new Event('change'));
    await el.updateComplete;
    expect(nodeInput(el.workflow!, nodeId, 'steps').value).to.equal(1);
    expect(input.value).to.equal('1');
    // Not a number: refused with a reason, the node keeps 1.
    input.value = '';
    input.dispatchEvent(new Event('change'));
    await el.updateComplete;
    expect(nodeInput(el.workflow!, nodeId, 'steps').value).to.equal(1);
    expect(q(el, `[data-element-id="${steps.id}"] .error`)!.textContent).to.equal('Enter a number.');
    expect(input.getAttribute('aria-invalid')).to.equal('true');

    const prompt = Object.values(form.elements).find((e) => e.type === 'node-field' && e.data.fieldIdentifier.fieldName === 'prompt')!;
    const promptNode = (prompt as Extract<FormElement, { type: 'node-field' }>).data.fieldIdentifier.nodeId;
    const area = q<HTMLTextAreaElement>(el, `[data-element-id="${prompt.id}"] textarea`)!;
    area.value = 'a lighthouse at dusk\nslow pan';
    area.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(nodeInput(el.workflow!, promptNode, 'prompt')).to.deep.include({ name: 'prompt', value: 'a lighthouse at dusk\nslow pan' });
    // Nothing else in the node changed: label and description stay.
    expect(nodeInput(el.workflow!, promptNode, 'prompt')).to.deep.equal({ ...nodeInput(wf, promptNode, 'prompt'), value: 'a lighthouse at dusk\nslow pan' });
  });

  it('in a read-only view the values are shown and cannot be changed', async () => {
    const wf = (await defaultWorkflow('CogView4_TextToImage.json')) as FormWorkflow;
    const el = document.createElement('fs-workflow-form');
    el.workflow = wf;
    el.readonly = true;
    let changes = 0;
    el.addEventListener('fs-form-change', () => changes++);
    document.body.append(el);
    await el.updateComplete;
    const area = q<HTMLTextAreaElement>(el, 'textarea')!;
    expect(area.readOnly).to.equal(true);
    area.value = 'x';
    area.dispatchEvent(new Event('input'));
    expect(changes).to.equal(0);
    expect(q(el, '.builder-tools')).to.equal(null);
  });

  it('builds a form: add heading, container and node fields where the selection says, move, remove; the JSON is InvokeAI form', async () => {
    const wf = workflow('w1', {
      nodes: [
        {
          id: 'n1',
          type: 'invocation',
          data: { id: 'n1', type: 'noise', label: '', inputs: { seed: { name: 'seed', label: '', value: 7 }, width: { name: 'width', label: '', value: 512 } } },
          position: { x: 0, y: 0 },
        },
      ],
      edges: [],
    }) as unknown as FormWorkflow;
    const el = await mountForm(wf, 'edit');
    const click = async (label: string) => {
      const b = qa<HTMLButtonElement>(el, 'button').find((x) => x.textContent!.trim() === label || x.getAttribute('aria-label') === label);
      if (!b) throw new Error(`no button ${label}`);
      b.click();
      await el.updateComplete;
    };
    const pick = async (fieldName: string) => {
      const select = q<HTMLSelectElement>(el, 'select.field-picker')!;
      select.value = `n1\u0000${fieldName}`;
      await click('+ Node field');
    };
    const formNow = () => el.workflow!.form as BuilderForm;
    const outline = (f: BuilderForm, id = f.rootElementId): string => {
      const e = f.elements[id]!;
      if (e.type === 'container') return `${e.data.layout}[${e.data.children.map((c) => outline(f, c)).join(' ')}]`;
      if (e.type === 'node-field') return `field:${e.data.fieldIdentifier.fieldName}`;
      if (e.type === 'heading' || e.type === 'text') return `${e.type}:${e.data.content}`;
      return e.type;
    };

    expect(q(el, '.empty')!.textContent).to.contain('The form is empty');
    await click('+ Heading');
    const heading = q<HTMLInputElement>(el, 'input.content')!;
    heading.value = 'Noise';
    heading.dispatchEvent(new Event('change'));
    await el.updateComplete;
    await click('+ Container'); // selected after adding: what follows goes into it
    await pick('seed');
    await pick('width');
    expect(outline(formNow())).to.equal('column[heading:Noise row[field:seed field:width]]');
    // A field already in the form is offered no more.
    expect(qa<HTMLOptionElement>(el, 'select.field-picker option').filter((o) => o.disabled).map((o) => o.value.split('\u0000')[1])).to.deep.equal(['seed', 'width']);

    await click('Move field Width up');
    expect(outline(formNow())).to.equal('column[heading:Noise row[field:width field:seed]]');
    // The keyboard stays on the moved field's button, also when it leaves its container.
    const focused = () => el.shadowRoot!.activeElement?.getAttribute('aria-label');
    expect(focused()).to.equal('Move field Width up');
    await click('Move field Width up'); // out of the container, before it
    expect(outline(formNow())).to.equal('column[heading:Noise field:width row[field:seed]]');
    expect(focused()).to.equal('Move field Width up');
    const layout = q<HTMLSelectElement>(el, 'select[aria-label="Layout of container"]')!;
    layout.value = 'column';
    layout.dispatchEvent(new Event('change'));
    await el.updateComplete;
    await click('Remove field Seed');
    expect(outline(formNow())).to.equal('column[heading:Noise field:width column[]]');

    // The JSON has InvokeAI shape: ids of the type, parent links, integer settings, descriptions shown.
    const f = formNow();
    expect(f.rootElementId).to.equal('root');
    const width = Object.values(f.elements).find((e) => e.type === 'node-field')!;
    expect(width).to.deep.equal({
      id: width.id,
      type: 'node-field',
      parentId: 'root',
      data: {
        fieldIdentifier: { nodeId: 'n1', fieldName: 'width' },
        settings: { type: 'integer-field-config', showShuffle: false, component: 'number-input' },
        showDescription: true,
      },
    });
    expect(width.id).to.match(/^node-field-[0-9A-Za-z]{10}$/);
    expect(Object.keys(f.elements)).to.have.length(4);
    // The built form is drawn in view mode with the node's value.
    el.mode = 'view';
    await el.updateComplete;
    expect(q<HTMLInputElement>(el, '.field input')!.valueAsNumber).to.equal(512);
    expect(q(el, 'h3.heading')!.textContent).to.equal('Noise');
    // Width is "more than 0, a multiple of 8": 520 is taken, 515 becomes 512, -3 becomes 8.
    const widthInput = q<HTMLInputElement>(el, '.field input')!;
    for (const [typed, stored] of [['520', 520], ['515', 512], ['-3', 8]] as const) {
      widthInput.value = typed;
      widthInput.dispatchEvent(new Event('change'));
      await el.updateComplete;
      expect(nodeInput(el.workflow!, 'n1', 'width').value, typed).to.equal(stored);
    }
    expect(widthInput.min).to.equal('8');
  });

  it('edits a field label and description (kept in the node, as InvokeAI does) and its widget setting', async () => {
    const base = workflow('w1', {
      nodes: [
        {
          id: 'n1',
          type: 'invocation',
          data: { id: 'n1', type: 'noise', label: '', inputs: { seed: { name: 'seed', label: '', description: '', value: 7 } } },
          position: { x: 0, y: 0 },
        },
      ],
      edges: [],
    }) as unknown as FormWorkflow;
    const form = {
      rootElementId: 'root',
      elements: {
        root: { id: 'root', type: 'container', data: { layout: 'column', children: ['node-field-s'] } },
        'node-field-s': {
          id: 'node-field-s',
          type: 'node-field',
          parentId: 'root',
          data: { fieldIdentifier: { nodeId: 'n1', fieldName: 'seed' }, settings: { type: 'integer-field-config', showShuffle: false, component: 'number-input' }, showDescription: true },
        },
      },
    };
    const el = await mountForm({ ...base, form }, 'edit');
    const label = q<HTMLInputElement>(el, 'input[aria-label="Label of field Seed"]')!;
    expect(label.placeholder).to.equal('Seed');
    label.value = 'Variation';
    label.dispatchEvent(new Event('change'));
    await el.updateComplete;
    expect(nodeInput(el.workflow!, 'n1', 'seed')).to.deep.equal({ name: 'seed', label: 'Variation', description: '', value: 7 });
    expect(q(el, '.field > label')!.textContent).to.equal('Variation');
    const description = q<HTMLTextAreaElement>(el, 'textarea[aria-label="Description of field Variation"]')!;
    description.value = 'Change it for another picture';
    description.dispatchEvent(new Event('change'));
    await el.updateComplete;
    expect(nodeInput(el.workflow!, 'n1', 'seed').description).to.equal('Change it for another picture');
    expect(q(el, '.field .description')!.textContent).to.equal('Change it for another picture');
    const show = qa<HTMLLabelElement>(el, 'label.check').find((l) => l.textContent!.trim() === 'Show the description')!.querySelector('input')!;
    show.click();
    await el.updateComplete;
    expect((el.workflow!.form as BuilderForm).elements['node-field-s']).to.deep.include({ type: 'node-field' });
    expect(((el.workflow!.form as BuilderForm).elements['node-field-s'] as Extract<FormElement, { type: 'node-field' }>).data.showDescription).to.equal(false);
    expect(q(el, '.field .description')).to.equal(null);
    show.click();
    await el.updateComplete;

    // The seed has bounds (0..4294967295), so a slider can be offered; its value goes into the node.
    const widget = q<HTMLSelectElement>(el, 'select[aria-label="Widget of field Variation"]')!;
    widget.value = 'number-input-and-slider';
    widget.dispatchEvent(new Event('change'));
    await el.updateComplete;
    expect((el.workflow!.form as BuilderForm).elements['node-field-s']).to.deep.include({
      data: {
        fieldIdentifier: { nodeId: 'n1', fieldName: 'seed' },
        settings: { type: 'integer-field-config', showShuffle: false, component: 'number-input-and-slider' },
        showDescription: true,
      },
    });
    el.mode = 'view';
    await el.updateComplete;
    const range = q<HTMLInputElement>(el, 'input[type=range]')!;
    expect([range.min, range.max, range.value]).to.deep.equal(['0', '4294967295', '7']);
    expect(q<HTMLInputElement>(el, 'input[type=number]')!.valueAsNumber).to.equal(7);
    range.value = '1000';
    range.dispatchEvent(new Event('input'));
    await el.updateComplete;
    expect(nodeInput(el.workflow!, 'n1', 'seed').value).to.equal(1000);
    expect(q<HTMLInputElement>(el, 'input[type=number]')!.valueAsNumber).to.equal(1000);
  });

  it('arranges by drag and drop: before or after an element by the pointer, into an empty container, never into itself', async () => {
    const base = workflow('w1', {
      nodes: [
        {
          id: 'n1',
          type: 'invocation',
          data: { id: 'n1', type: 'noise', label: '', inputs: { width: { name: 'width', label: '', value: 512 }, height: { name: 'height', label: '', value: 512 } } },
          position: { x: 0, y: 0 },
        },
      ],
      edges: [],
    }) as unknown as FormWorkflow;
    const nf = (id: string, parentId: string, fieldName: string) => ({ id, type: 'node-field', parentId, data: { fieldIdentifier: { nodeId: 'n1', fieldName } } });
    const form = {
      rootElementId: 'root',
      elements: {
        root: { id: 'root', type: 'container', data: { layout: 'column', children: ['heading-1', 'container-1', 'text-1', 'container-2'] } },
        'heading-1': { id: 'heading-1', type: 'heading', parentId: 'root', data: { content: 'Size' } },
        'container-1': { id: 'container-1', type: 'container', parentId: 'root', data: { layout: 'row', children: ['w', 'h'] } },
        w: nf('w', 'container-1', 'width'),
        h: nf('h', 'container-1', 'height'),
        'text-1': { id: 'text-1', type: 'text', parentId: 'root', data: { content: 'Pick a size' } },
        'container-2': { id: 'container-2', type: 'container', parentId: 'root', data: { layout: 'column', children: [] } },
      },
    };
    const el = await mountForm({ ...base, form }, 'edit');
    const box = (id: string) => q<HTMLElement>(el, `[data-element-id="${id}"]`)!;
    const outline = (f: BuilderForm, id = f.rootElementId): string => {
      const e = f.elements[id]!;
      return e.type === 'container' ? `${id}[${e.data.children.map((c) => outline(f, c)).join(' ')}]` : id;
    };
    /** Drags `id` by its header onto `target` at a point of its box (fractions of its width and height). */
    const dragOnto = async (id: string, target: string, fx: number, fy: number): Promise<boolean> => {
      const dataTransfer = new DataTransfer();
      box(id).querySelector(':scope > .el-head')!.dispatchEvent(new DragEvent('dragstart', { bubbles: true, composed: true, dataTransfer }));
      const r = box(target).getBoundingClientRect();
      const at = { clientX: r.left + r.width * fx, clientY: r.top + r.height * fy, bubbles: true, composed: true, cancelable: true, dataTransfer };
      const over = new DragEvent('dragover', at);
      box(target).dispatchEvent(over);
      box(target).dispatchEvent(new DragEvent('drop', at));
      box(id)?.querySelector(':scope > .el-head')?.dispatchEvent(new DragEvent('dragend', { bubbles: true, composed: true, dataTransfer }));
      await el.updateComplete;
      return over.defaultPrevented;
    };
    expect(await dragOnto('text-1', 'w', 0.1, 0.5)).to.equal(true); // the left half of a row's child: before it
    expect(outline(el.workflow!.form as BuilderForm)).to.equal('root[heading-1 container-1[text-1 w h] container-2[]]');
    expect(await dragOnto('h', 'container-2', 0.5, 0.5)).to.equal(true); // into the empty container
    expect(outline(el.workflow!.form as BuilderForm)).to.equal('root[heading-1 container-1[text-1 w] container-2[h]]');
    expect(await dragOnto('heading-1', 'container-2', 0.5, 0.95)).to.equal(true); // the lower half in a column: after it
    expect(outline(el.workflow!.form as BuilderForm)).to.equal('root[container-1[text-1 w] container-2[h] heading-1]');
    const before = el.workflow!.form;
    expect(await dragOnto('container-1', 'w', 0.5, 0.5)).to.equal(false); // not into itself
    expect(el.workflow!.form).to.equal(before);
    expect(readForm(el.workflow!.form).ok).to.equal(true);
  });

  it('starts building from the exposed fields when the workflow has no form yet', async () => {
    const wf = workflow('w1', { exposedFields: [{ nodeId: 'n1', fieldName: 'seed' }] }) as unknown as FormWorkflow;
    const changes: FormChange[] = [];
    const el = await mountForm(wf, 'edit');
    el.addEventListener('fs-form-change', (e: CustomEvent<FormChange>) => changes.push(e.detail));
    qa<HTMLButtonElement>(el, 'button').find((b) => b.textContent!.trim() === '+ Divider')!.click();
    const form = (changes[0] as { form: BuilderForm }).form;
    const root = form.elements[form.rootElementId]!;
    expect(root.type === 'container' && root.data.children.map((c) => form.elements[c]!.type)).to.deep.equal(['node-field', 'divider']);
  });

  it('draws hostile text as text, and a form nested past the limit as a reason, not a crash', async () => {
    const hostile = '<img src=x onerror="window.__formXss=1"><b>bold</b>';
    const base = workflow('w1') as unknown as FormWorkflow;
    const form = {
      rootElementId: 'root',
      elements: {
        root: { id: 'root', type: 'container', data: { layout: 'column', children: ['heading-1', 'text-1'] } },
        'heading-1': { id: 'heading-1', type: 'heading', parentId: 'root', data: { content: hostile } },
        'text-1': { id: 'text-1', type: 'text', parentId: 'root', data: { content: hostile } },
      },
    };
    const el = await mountForm({ ...base, form }, 'view');
    expect(q(el, 'h3.heading')!.textContent).to.equal(hostile);
    expect(q(el, 'p.text')!.textContent).to.equal(hostile);
    expect(qa(el, 'img, b')).to.have.length(0);
    expect((window as unknown as { __formXss?: number }).__formXss).to.equal(undefined);

    const elements: Record<string, unknown> = {};
    let parent: string | undefined;
    for (let i = 0; i < 5000; i++) {
      const id = i === 0 ? 'root' : `c${i}`;
      elements[id] = { id, type: 'container', ...(parent ? { parentId: parent } : {}), data: { layout: 'column', children: i < 4999 ? [`c${i + 1}`] : [] } };
      parent = id;
    }
    el.workflow = { ...base, form: { rootElementId: 'root', elements } };
    await el.updateComplete;
    expect(q(el, '[role=alert]')!.textContent).to.contain('deeper than 32 levels');
  });

  it('keeps a broken form as it is, with the reason, and builds nothing on it', async () => {
    const broken = { elements: { root: { id: 'root', type: 'container', data: { layout: 'column', children: ['gone'] } } }, rootElementId: 'root' };
    const wf = { ...(workflow('w1') as unknown as FormWorkflow), form: broken };
    let changes = 0;
    const el = await mountForm(wf, 'edit', { live: false });
    el.addEventListener('fs-form-change', () => changes++);
    expect(q(el, '[role=alert]')!.textContent).to.contain('missing element "gone"');
    expect(qa<HTMLButtonElement>(el, '.builder-tools button').every((b) => b.disabled)).to.equal(true);
    expect(changes).to.equal(0);
  });
});

describe('fs-workflow-editor modes', () => {
  type Mounted = Awaited<ReturnType<typeof mount<WorkflowEditor>>>;
  let m: Mounted | undefined;
  afterEach(async () => {
    await setViewport({ width: 800, height: 600 });
    await m?.cleanup();
    m = undefined;
  });

  async function openOwn(wf: Workflow): Promise<Mounted> {
    const mm = await mount<WorkflowEditor>('fs-workflow-editor');
    createEntry(mm.ws.library.doc, wf.id, wf, { isPublic: false });
    mm.el.route = { name: 'edit', ownerId: null, id: wf.id };
    await waitFor(() => mm.el.draft);
    await mm.el.updateComplete;
    return mm;
  }

  async function ownDefault(file: string): Promise<Workflow> {
    const wf = await defaultWorkflow(file);
    return { ...wf, id: 'own-1', meta: { ...wf.meta, category: 'user' } } as Workflow;
  }

  it('opens an own workflow in Edit on a wide screen: graph editable, builder beside; View shows the form and a read-only graph', async () => {
    m = await openOwn(await ownDefault('CogView4_TextToImage.json'));
    expect(m.el.mode).to.equal('edit');
    const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    expect(graph.readonly).to.equal(false);
    expect(deepAll<WorkflowForm>(m.el, 'fs-workflow-form')[0]!.mode).to.equal('edit');
    deepAll<HTMLButtonElement>(m.el, '[role=group][aria-label=Mode] button').find((b) => b.textContent === 'View')!.click();
    await m.el.updateComplete;
    expect(m.el.mode).to.equal('view');
    expect(graph.readonly).to.equal(true);
    const form = deepAll<WorkflowForm>(m.el, 'fs-workflow-form')[0]!;
    expect(form.mode).to.equal('view');
    await form.updateComplete;
    expect(deepAll(form, 'h3.heading')[0]!.textContent).to.equal('Text to Image - CogView4');
  });

  it('on a phone the form is the default view, before the graph, and editing it changes the node the graph draws; Save stores it', async () => {
    await setViewport({ width: 390, height: 844 });
    m = await openOwn(await ownDefault('CogView4_TextToImage.json'));
    expect(m.el.mode).to.equal('view');
    const form = deepAll<WorkflowForm>(m.el, 'fs-workflow-form')[0]!;
    await form.updateComplete;
    const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    // The form comes first on the page and fits the screen.
    expect(form.getBoundingClientRect().top).to.be.lessThan(graph.getBoundingClientRect().top);
    expect(form.getBoundingClientRect().right).to.be.at.most(390);
    const area = deepAll<HTMLTextAreaElement>(form, 'textarea')[0]!;
    expect(area.getBoundingClientRect().width).to.be.greaterThan(300);
    area.value = 'a gnome reading a map';
    area.dispatchEvent(new Event('input'));
    await m.el.updateComplete;
    const promptNodeId = 'a4569d8b-6a43-44b9-8919-4ceec6682904';
    expect(nodeInput(m.el.draft!, promptNodeId, 'prompt').value).to.equal('a gnome reading a map');
    await graph.updateComplete;
    expect(graph.nodes.find((n) => n.id === promptNodeId)).to.equal(m.el.draft!.nodes.find((n) => n.id === promptNodeId));
    expect(m.el.save()).to.equal(true);
    const stored = readEntry(m.ws.library.doc, 'own-1')!;
    expect(stored.valid && nodeInput(stored.workflow, promptNodeId, 'prompt').value).to.equal('a gnome reading a map');
    // And Edit is one tap away.
    deepAll<HTMLButtonElement>(m.el, '[role=group][aria-label=Mode] button').find((b) => b.textContent === 'Edit')!.click();
    await m.el.updateComplete;
    expect(m.el.mode).to.equal('edit');
  });

  it('removing a node in the graph takes its fields out of the form, as InvokeAI does', async () => {
    m = await openOwn(await ownDefault('CogView4_TextToImage.json'));
    const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    const promptNodeId = 'a4569d8b-6a43-44b9-8919-4ceec6682904';
    const before = m.el.draft!.form as BuilderForm;
    const fieldId = Object.values(before.elements).find((e) => e.type === 'node-field' && e.data.fieldIdentifier.nodeId === promptNodeId)!.id;
    // What the graph sends when the user deletes the node (its edges go with it).
    graph.dispatchEvent(
      new CustomEvent('fs-graph-change', {
        detail: {
          nodes: graph.nodes.filter((n) => n.id !== promptNodeId),
          edges: graph.edges.filter((e) => e.source !== promptNodeId && e.target !== promptNodeId),
          exposedFields: graph.exposedFields,
        },
        bubbles: true,
        composed: true,
      }),
    );
    await m.el.updateComplete;
    const after = m.el.draft!.form as BuilderForm;
    expect(after.elements[fieldId]).to.equal(undefined);
    expect(Object.keys(after.elements)).to.have.length(Object.keys(before.elements).length - 1);
    const form = deepAll<WorkflowForm>(m.el, 'fs-workflow-form')[0]!;
    await form.updateComplete;
    expect(deepAll(form, '.missing')).to.have.length(0);
  });

  it('typing into a form field is one undo step; building the form is undone too', async () => {
    m = await openOwn(await ownDefault('CogView4_TextToImage.json'));
    deepAll<HTMLButtonElement>(m.el, '[role=group][aria-label=Mode] button').find((b) => b.textContent === 'View')!.click();
    await m.el.updateComplete;
    const form = deepAll<WorkflowForm>(m.el, 'fs-workflow-form')[0]!;
    await form.updateComplete;
    const promptNodeId = 'a4569d8b-6a43-44b9-8919-4ceec6682904';
    const original = nodeInput(m.el.draft!, promptNodeId, 'prompt').value;
    const area = deepAll<HTMLTextAreaElement>(form, 'textarea')[0]!;
    for (const text of ['a', 'a g', 'a gnome']) {
      area.value = text;
      area.dispatchEvent(new Event('input'));
      await m.el.updateComplete;
    }
    expect(nodeInput(m.el.draft!, promptNodeId, 'prompt').value).to.equal('a gnome');
    m.el.undo.undo();
    await m.el.updateComplete;
    expect(nodeInput(m.el.draft!, promptNodeId, 'prompt').value).to.equal(original);

    deepAll<HTMLButtonElement>(m.el, '[role=group][aria-label=Mode] button').find((b) => b.textContent === 'Edit')!.click();
    await m.el.updateComplete;
    const builder = deepAll<WorkflowForm>(m.el, 'fs-workflow-form')[0]!;
    await builder.updateComplete;
    const count = () => Object.keys((m!.el.draft!.form as BuilderForm).elements).length;
    const before = count();
    deepAll<HTMLButtonElement>(builder, 'button').find((b) => b.textContent!.trim() === '+ Divider')!.click();
    await m.el.updateComplete;
    expect(count()).to.equal(before + 1);
    m.el.undo.undo();
    await m.el.updateComplete;
    expect(count()).to.equal(before);
  });

  it("adds a field to the form from its context menu in the graph, also from the keyboard; only in Edit", async () => {
    m = await openOwn(workflow('w1') as Workflow);
    const graph = deepAll<WorkflowGraph>(m.el, 'fs-workflow-graph')[0]!;
    await graph.updateComplete;
    const seedInput = () => deepAll<HTMLElement>(graph, 'g[data-node-id=n1] [data-field=seed] input')[0]!;
    const menu = () => deepAll(m!.el, '[role=menu]')[0];
    // From the pointer.
    seedInput().dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, composed: true, cancelable: true, clientX: 200, clientY: 200 }));
    await m.el.updateComplete;
    await waitFor(() => menu());
    expect(menu()!.getAttribute('aria-label')).to.equal('Field Create Latent Noise › Seed');
    const item = deepAll<HTMLButtonElement>(m.el, '[role=menuitem]')[0]!;
    await waitFor(() => item.matches(':focus'));
    item.click();
    await m.el.updateComplete;
    expect(menu()).to.equal(undefined);
    const form = m.el.draft!.form as BuilderForm;
    expect(Object.values(form.elements).filter((e) => e.type === 'node-field').map((e) => (e as Extract<FormElement, { type: 'node-field' }>).data.fieldIdentifier)).to.deep.equal([
      { nodeId: 'n1', fieldName: 'seed' },
    ]);
    // From the keyboard (the context menu key on the focused input): now it says it is there already.
    seedInput().focus();
    seedInput().dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, composed: true, cancelable: true }));
    await m.el.updateComplete;
    await waitFor(() => menu());
    expect(deepAll<HTMLButtonElement>(m.el, '[role=menuitem]')[0]!.disabled).to.equal(true);
    expect(deepAll(m.el, '[role=menuitem]')[0]!.textContent!.trim()).to.equal('Already in the form');
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await m.el.updateComplete;
    expect(menu()).to.equal(undefined);
    // In View there is no such menu: the browser's own opens.
    deepAll<HTMLButtonElement>(m.el, '[role=group][aria-label=Mode] button').find((b) => b.textContent === 'View')!.click();
    await m.el.updateComplete;
    const e = new MouseEvent('contextmenu', { bubbles: true, composed: true, cancelable: true });
    seedInput().dispatchEvent(e);
    expect(e.defaultPrevented).to.equal(false);
  });

  it('a workflow built in the form builder is saved with its form', async () => {
    m = await openOwn(workflow('w1') as Workflow);
    const form = deepAll<WorkflowForm>(m.el, 'fs-workflow-form')[0]!;
    await form.updateComplete;
    deepAll<HTMLButtonElement>(form, 'button').find((b) => b.textContent!.trim() === '+ Text')!.click();
    await m.el.updateComplete;
    expect(m.el.dirty).to.equal(true);
    expect(m.el.save()).to.equal(true);
    const stored = readEntry(m.ws.library.doc, 'w1')!;
    const f = (stored.valid ? stored.workflow.form : null) as BuilderForm | null;
    expect(f && Object.values(f.elements).map((e) => e.type).sort()).to.deep.equal(['container', 'text']);
  });
});
