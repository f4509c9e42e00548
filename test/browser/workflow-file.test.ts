import { expect } from 'chai';
import { parseWorkflowText } from '../../client/data/workflow-file.js';
import { workflow } from './helpers.js';

describe('Load from File (parseWorkflowText)', () => {
  it('drops the id and makes a default workflow a user workflow, so saving creates a new entry', () => {
    const text = JSON.stringify(workflow('default_abc', { meta: { version: '3.0.0', category: 'default' } }));
    const r = parseWorkflowText(text);
    if (!r.ok) throw new Error(r.error);
    expect('id' in r.workflow).to.equal(false);
    expect(r.workflow.meta.category).to.equal('user');
    expect(r.workflow.nodes).to.have.length(2);
  });

  it('names the failing field of an invalid workflow', () => {
    const broken = { ...workflow('x'), meta: { version: 'nope', category: 'user' } };
    const r = parseWorkflowText(JSON.stringify(broken));
    expect(r.ok).to.equal(false);
    expect(!r.ok && r.error).to.match(/meta\.version/);
  });

  it('refuses text that is not JSON', () => {
    const r = parseWorkflowText('{ nope');
    expect(r.ok).to.equal(false);
    expect(!r.ok && r.error).to.match(/^This file is not a workflow: it is not JSON text .*Choose a workflow file/);
  });

  it('says in plain words what is wrong and what to do', () => {
    const say = (text: string) => {
      const r = parseWorkflowText(text);
      if (r.ok) throw new Error('loaded');
      return r.error;
    };
    expect(say('')).to.equal('This file is empty. Choose a workflow file (.json) saved from InvokeAI or Flowshelf.');
    expect(say('[1, 2]')).to.match(/^This JSON file is not a workflow: it holds a list, not a workflow object\. Choose a workflow file/);
    expect(say('{"prompt": "a cat"}')).to.match(/^This JSON file is not a workflow: it has no list of nodes and edges\. If it is a graph from InvokeAI/);
    expect(say(JSON.stringify({ workflow: workflow('x') }))).to.match(/holds a workflow inside it \(under “workflow”\)/);
    const old = { ...workflow('x'), meta: { version: '2.0.0', category: 'user' } };
    expect(say(JSON.stringify(old))).to.match(/saved by an older InvokeAI \(workflow format 2\.0\.0\).*Open it in a current InvokeAI, which updates it, and save it again\.$/);
    const bad = { ...workflow('x'), name: 7 };
    expect(say(JSON.stringify(bad))).to.match(/^This workflow cannot be loaded: name: .*\. Correct that in the file, or save the workflow again from InvokeAI/);
  });
});
