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
    expect(!r.ok && r.error).to.match(/^Not a JSON file/);
  });
});
