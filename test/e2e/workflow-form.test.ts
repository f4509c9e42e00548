// The workflow form on a phone (issue 7 point 6): a default with a form opens as its form, and a
// value typed into the form of one's own copy is saved into the node, as the REST API shows.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { PASSWORD, SCREENSHOTS, addUserCopy, api, createUsers, defaultWorkflowFile, e2eSuite, showView, signIn, tile } from './harness.js';

const suite = e2eSuite();
const newDevice = (): Promise<Page> => suite.newDevice();
const PHONE = { width: 390, height: 844 };
const PROMPT_NODE = 'a4569d8b-6a43-44b9-8919-4ceec6682904';

type Json = Record<string, any>;

describe('the workflow form on a phone', () => {
  it('opens a default workflow with a form as that form, read-only, fitting the screen', async () => {
    await createUsers(suite.app);
    const bob = await newDevice();
    await signIn(bob, 'bob@example.test');
    await bob.setViewportSize(PHONE);
    await showView(bob, 'Browse Workflows');
    await tile(bob, 'Text to Image - CogView4').getByRole('button', { name: 'View' }).click();

    const form = bob.getByRole('form', { name: 'Workflow form' });
    await form.waitFor();
    await form.getByRole('heading', { name: 'Text to Image - CogView4' }).waitFor();
    expect(await form.getByText('Generate an image from a prompt with CogView4.').count()).toBe(1);
    const positive = form.getByLabel('Positive Prompt');
    expect(await positive.inputValue()).toMatch(/^A whimsical stuffed gnome/);
    expect(await positive.getAttribute('readonly')).not.toBeNull();
    // The model field says what the workflow holds (no model chosen in the default).
    expect((await form.locator('output.chip').allTextContents()).map((t) => t.trim())).toContain('No model selected');
    // View is the mode; Edit is not offered for a read-only default.
    const mode = bob.getByRole('group', { name: 'Mode', exact: true });
    expect(await mode.getByRole('button', { name: 'View', exact: true }).getAttribute('aria-pressed')).toBe('true');
    expect(await mode.getByRole('button', { name: 'Edit', exact: true }).isDisabled()).toBe(true);
    // The form is on the screen, first, and as wide as the phone allows: nothing to scroll sideways.
    const box = (await form.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    const graphBox = (await bob.locator('fs-workflow-graph').boundingBox())!;
    expect(box.y).toBeLessThan(graphBox.y);
    expect(await bob.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await bob.screenshot({ path: join(SCREENSHOTS, 'form-phone.png') });

    // On a wide screen a read-only default opens in View too: its form beside the graph.
    await bob.setViewportSize({ width: 1280, height: 800 });
    await bob.getByRole('button', { name: 'Back to library' }).click();
    await tile(bob, 'Image to Video - Wan 2.2 Lightning').getByRole('button', { name: 'View' }).click();
    const wide = bob.getByRole('form', { name: 'Workflow form' });
    await wide.getByLabel('Video Resolution').waitFor();
    expect(await wide.getByLabel('Video Resolution').inputValue()).toBe('480p');
    const wideBox = (await wide.boundingBox())!;
    const wideGraph = (await bob.locator('fs-workflow-graph').boundingBox())!;
    expect(wideBox.x + wideBox.width).toBeLessThanOrEqual(wideGraph.x);
    await bob.screenshot({ path: join(SCREENSHOTS, 'form-view.png') });
  });

  it('saves a prompt typed into the form of an own copy into its node (REST shows it)', async () => {
    await createUsers(suite.app);
    const { token } = await api<{ token: string }>(suite.app, 'POST', '/auth/login', { email: 'bob@example.test', password: PASSWORD });
    const id = await addUserCopy(suite.app, token, 'CogView4_TextToImage.json', { isPublic: false });
    const bob = await newDevice();
    await signIn(bob, 'bob@example.test');
    await bob.setViewportSize(PHONE);
    await showView(bob, 'Your Workflows');
    await tile(bob, 'Text to Image - CogView4').getByRole('button', { name: 'Edit' }).click();

    // Own workflow on a phone: the form is the default view, and editable.
    const form = bob.getByRole('form', { name: 'Workflow form' });
    await form.waitFor();
    expect(await bob.getByRole('group', { name: 'Mode', exact: true }).getByRole('button', { name: 'View', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await form.getByLabel('Positive Prompt').fill('a gnome reading a map on the beach');
    await bob.getByRole('button', { name: 'Save', exact: true }).click();
    await expect
      .poll(async () => {
        const got = await api<{ workflow: Json }>(suite.app, 'GET', `/workflows/i/${id}`, undefined, token);
        return got.workflow.nodes.find((n: Json) => n.id === PROMPT_NODE).data.inputs.prompt.value;
      })
      .toBe('a gnome reading a map on the beach');
    // The form itself came back unchanged.
    const got = await api<{ workflow: Json }>(suite.app, 'GET', `/workflows/i/${id}`, undefined, token);
    expect(got.workflow.form).toEqual(defaultWorkflowFile('CogView4_TextToImage.json').form);

    // On a wide screen the same workflow is in Edit (the user chose nothing): graph and form builder.
    await bob.setViewportSize({ width: 1280, height: 800 });
    const builder = bob.getByRole('toolbar', { name: 'Form builder' });
    await builder.waitFor();
    expect(await bob.getByRole('group', { name: 'Mode', exact: true }).getByRole('button', { name: 'Edit', exact: true }).getAttribute('aria-pressed')).toBe('true');
    await bob.screenshot({ path: join(SCREENSHOTS, 'form-builder.png') });
  });
});
