// The editor's done-when (issue 7 points 1-4): from an empty canvas, a text-to-image graph as InvokeAI's
// default "Text to Image - SD1.5" has it (model loader, two prompts, noise, denoise, decode) is built only
// with the add-node popover and drag-to-connect, saved, and comes back through the REST API unchanged; an
// incompatible drag (VAE into Steps) is refused with its reason. Then the 26 defaults are opened: every
// field labelled, unknown node types flagged only where the defaults use processors the schema no longer
// has. The time to open the largest default is printed, not asserted.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { PASSWORD, SCREENSHOTS, api, createUsers, e2eSuite, root, signIn } from './harness.js';
import { checkWorkflow } from '../../shared/workflow/graph-checks.js';
import { templateFor } from '../../shared/node-templates/index.js';

const suite = e2eSuite();
type Json = Record<string, any>;

const graph = (page: Page) => page.locator('fs-workflow-graph');
const handle = (page: Page, nodeId: string, kind: 'in' | 'out', name: string) =>
  graph(page).locator(`g.node[data-node-id="${nodeId}"] .handle.${kind}[data-${kind === 'in' ? 'field' : 'output'}="${name}"]`);

async function centre(l: Locator): Promise<{ x: number; y: number }> {
  const b = (await l.boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
}

/** Presses on `from`, drags to `to` (a handle or a point) and, unless told not to, releases there. */
async function drag(page: Page, from: Locator, to: Locator | { x: number; y: number }, release = true): Promise<void> {
  const a = await centre(from);
  const b = 'boundingBox' in to ? await centre(to) : to;
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 10 });
  if (release) await page.mouse.up();
}

/** Picks a node type in the open add-node popover; returns the new (selected) node's id. */
async function pick(page: Page, query: string, expectedType: string): Promise<string> {
  const search = page.getByRole('combobox', { name: 'Search node types' });
  await search.fill(query);
  const first = page.locator('fs-add-node-popover li[role=option]').first();
  expect(await first.getAttribute('data-type')).toBe(expectedType);
  await search.press('Enter');
  await page.locator('fs-add-node-popover').waitFor({ state: 'detached' });
  const selected = graph(page).locator('g.node[aria-selected="true"]');
  await selected.waitFor();
  return (await selected.getAttribute('data-node-id'))!;
}

async function canvasPoint(page: Page, fx: number, fy: number): Promise<{ x: number; y: number }> {
  const b = (await graph(page).locator('svg.canvas').boundingBox())!;
  return { x: b.x + b.width * fx, y: b.y + b.height * fy };
}

describe('building a workflow in the editor', () => {
  it('builds text to image from an empty canvas with the popover and drag-connect; it round-trips through REST unchanged', async () => {
    await createUsers(suite.app);
    const { token } = await api<{ token: string }>(suite.app, 'POST', '/auth/login', { email: 'alice@example.test', password: PASSWORD });
    const page = await suite.newDevice();
    await page.setViewportSize({ width: 1600, height: 1000 });
    await signIn(page, 'alice@example.test');
    await page.getByRole('button', { name: 'New Workflow' }).click();
    await graph(page).locator('svg.canvas').waitFor();
    expect(await graph(page).locator('g.node').count()).toBe(0);

    // Shift+A, Space and a double click all open the popover at the pointer.
    let p = await canvasPoint(page, 0.03, 0.05);
    await page.mouse.move(p.x, p.y);
    await page.keyboard.press('Shift+A');
    const model = await pick(page, 'main_model_loader', 'main_model_loader');
    p = await canvasPoint(page, 0.3, 0.05);
    await page.mouse.move(p.x, p.y);
    await graph(page).locator('svg.canvas').focus();
    await page.keyboard.press('Space');
    const positive = await pick(page, 'compel', 'compel');
    p = await canvasPoint(page, 0.3, 0.45);
    await page.mouse.dblclick(p.x, p.y);
    const negative = await pick(page, 'compel', 'compel');
    p = await canvasPoint(page, 0.03, 0.6);
    await page.mouse.dblclick(p.x, p.y);
    const noise = await pick(page, 'noise', 'noise');
    p = await canvasPoint(page, 0.6, 0.05);
    await page.mouse.dblclick(p.x, p.y);
    const denoise = await pick(page, 'denoise_latents', 'denoise_latents');
    await page.getByRole('button', { name: 'Fit', exact: true }).click();

    await drag(page, handle(page, model, 'out', 'clip'), handle(page, positive, 'in', 'clip'));
    await drag(page, handle(page, model, 'out', 'clip'), handle(page, negative, 'in', 'clip'));
    await drag(page, handle(page, positive, 'out', 'conditioning'), handle(page, denoise, 'in', 'positive_conditioning'));
    // From an input back to an output.
    await drag(page, handle(page, denoise, 'in', 'negative_conditioning'), handle(page, negative, 'out', 'conditioning'));
    await drag(page, handle(page, model, 'out', 'unet'), handle(page, denoise, 'in', 'unet'));
    await drag(page, handle(page, noise, 'out', 'noise'), handle(page, denoise, 'in', 'noise'));
    expect(await graph(page).locator('path.edge').count()).toBe(6);

    // The decoder comes from dropping the denoised latents on empty canvas: only fitting nodes are offered.
    const b = (await graph(page).locator('svg.canvas').boundingBox())!;
    const nodesRight = Math.max(...(await graph(page).locator('g.node rect.box').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right))));
    await drag(page, handle(page, denoise, 'out', 'latents'), { x: Math.min(nodesRight + 40, b.x + b.width - 30), y: b.y + b.height * 0.3 });
    const offered = await page.locator('fs-add-node-popover li[role=option]').evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));
    expect(offered).toContain('l2i');
    expect(offered).not.toContain('compel');
    const decode = await pick(page, 'l2i', 'l2i');
    expect(await graph(page).locator('path.edge').count()).toBe(7);
    await page.getByRole('button', { name: 'Fit', exact: true }).click();
    await drag(page, handle(page, model, 'out', 'vae'), handle(page, decode, 'in', 'vae'));
    expect(await graph(page).locator('path.edge').count()).toBe(8);

    // An incompatible drag: VAE into Steps. While hovering, the target says why; the drop makes nothing.
    await drag(page, handle(page, model, 'out', 'vae'), handle(page, denoise, 'in', 'steps'), false);
    const status = graph(page).locator('p.connect-status');
    expect((await status.textContent())!.trim()).toBe('Cannot connect to Denoise - SD1.5, SDXL Steps: Steps takes an integer; VAE gives a VAE.');
    expect(await handle(page, denoise, 'in', 'steps').getAttribute('class')).toMatch(/\brefused\b/);
    await page.screenshot({ path: join(SCREENSHOTS, 'editor-refused-connection.png') });
    await page.mouse.up();
    expect((await status.textContent())!.trim()).toBe('Not connected: Steps takes an integer; VAE gives a VAE.');
    expect(await graph(page).locator('path.edge').count()).toBe(8);

    // Prompts typed into the nodes.
    const prompts = graph(page).locator('textarea[aria-label="Prompt - SD1.5 Prompt"]');
    await prompts.nth(0).fill('a lighthouse at dusk, oil painting');
    await prompts.nth(0).press('Tab');
    await prompts.nth(1).fill('blurry');
    await prompts.nth(1).press('Tab');
    await page.screenshot({ path: join(SCREENSHOTS, 'editor-built.png') });

    await page.getByRole('button', { name: 'Save As' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save Workflow As' });
    await dialog.getByLabel('Workflow name').fill('My text to image');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/#\/edit\//);
    const id = decodeURIComponent(page.url().split('#/edit/')[1]!);
    await graph(page).locator('g.node').nth(5).waitFor();

    // What the editor holds (its Download) is what the REST API gives back.
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    const downloaded = JSON.parse(readFileSync((await (await downloading).path())!, 'utf8')) as Json;
    const rest = await api<{ workflow: Json }>(suite.app, 'GET', `/workflows/i/${id}`, undefined, token);
    expect(rest.workflow).toEqual(downloaded);

    const wf = rest.workflow;
    const typeOf = new Map<string, string>(wf.nodes.map((n: Json) => [n.id, n.data.type]));
    expect([...typeOf.values()].sort()).toEqual(['compel', 'compel', 'denoise_latents', 'l2i', 'main_model_loader', 'noise']);
    const ends = wf.edges.map((e: Json) => `${typeOf.get(e.source)}.${e.sourceHandle}>${typeOf.get(e.target)}.${e.targetHandle}`).sort();
    expect(ends).toEqual([
      'compel.conditioning>denoise_latents.negative_conditioning',
      'compel.conditioning>denoise_latents.positive_conditioning',
      'denoise_latents.latents>l2i.latents',
      'main_model_loader.clip>compel.clip',
      'main_model_loader.clip>compel.clip',
      'main_model_loader.unet>denoise_latents.unet',
      'main_model_loader.vae>l2i.vae',
      'noise.noise>denoise_latents.noise',
    ]);
    for (const n of wf.nodes) {
      const t = templateFor(n.data.type)!;
      expect([n.data.version, n.data.nodePack]).toEqual([t.version, t.nodePack]);
    }
    expect(wf.nodes.find((n: Json) => n.id === positive).data.inputs.prompt.value).toBe('a lighthouse at dusk, oil painting');
    // Valid by InvokeAI's rules (the model itself is chosen in InvokeAI: there is no model manager here).
    expect(checkWorkflow(wf)).toEqual([]);
    expect((await page.locator('fs-problems-panel p.ok').textContent())!.trim()).toBe('No problems found in this workflow’s graph.');

    // Through InvokeAI's update and back, unchanged.
    await api(suite.app, 'PATCH', `/workflows/i/${id}`, { workflow: wf }, token);
    const again = await api<{ workflow: Json }>(suite.app, 'GET', `/workflows/i/${id}`, undefined, token);
    expect(again.workflow).toEqual(wf);
  });

  it('opens the 26 defaults with every field labelled; only the three using canny/midas processors flag unknown node types', async () => {
    await createUsers(suite.app);
    const page = await suite.newDevice();
    await page.setViewportSize({ width: 1600, height: 1000 });
    await signIn(page, 'bob@example.test');
    const dir = join(root, 'server', 'library', 'default-workflows');
    const defaults = readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Json);
    expect(defaults).toHaveLength(26);
    const open = async (wf: Json): Promise<number> => {
      // Browser-side code reaches the page's globals through globalThis: this file is type-checked without the DOM library.
      const started = await page.evaluate((hash) => {
        const w = globalThis as any;
        w.location.hash = hash;
        return w.performance.now() as number;
      }, `#/view/${encodeURIComponent(wf.id)}`);
      await page.waitForFunction(
        ([name, count]) => {
          const w = globalThis as any;
          const editor = w.document.querySelector('fs-app')?.shadowRoot?.querySelector('fs-workflow-editor');
          const g = editor?.shadowRoot?.querySelector('fs-workflow-graph');
          return editor?.shadowRoot?.querySelector('h2')?.textContent?.startsWith(name) && g?.shadowRoot?.querySelectorAll('g.node').length === count;
        },
        [wf.name as string, wf.nodes.length as number] as const,
      );
      return (await page.evaluate(() => (globalThis as any).performance.now() as number)) - started;
    };
    const flagged: Record<string, string[]> = {};
    let fields = 0;
    for (const wf of defaults) {
      await open(wf);
      const labels = (await graph(page).locator('g.node .row span.label').allTextContents()).map((t) => t.trim());
      const unknown = await graph(page).locator('g.node.unknown').evaluateAll((els) => els.map((g) => g.getAttribute('data-node-id')!));
      const seen = { labels, unknown };
      expect(seen.labels.filter((l) => l === ''), wf.name).toEqual([]);
      fields += seen.labels.length;
      if (seen.unknown.length > 0) {
        flagged[wf.name] = [...new Set(seen.unknown.map((nid) => wf.nodes.find((n: Json) => n.id === nid).data.type as string))].sort();
      }
    }
    // What the files say: the defaults whose nodes use the two processors missing from the schema.
    const missing = new Set(['canny_image_processor', 'midas_depth_image_processor']);
    const expected: Record<string, string[]> = {};
    for (const wf of defaults) {
      const types = [...new Set(wf.nodes.map((n: Json) => n.data?.type as string).filter((t: string) => missing.has(t)))].sort() as string[];
      if (types.length > 0) expected[wf.name] = types;
    }
    expect(Object.keys(expected)).toHaveLength(3);
    expect(flagged).toEqual(expected);
    expect(fields).toBeGreaterThan(500);

    // The time to open the largest default (printed, not asserted): from the route change to every node drawn.
    const largest = [...defaults].sort((a, b) => b.nodes.length - a.nodes.length)[0]!;
    await page.evaluate(() => ((globalThis as any).location.hash = '#/'));
    await page.getByRole('navigation', { name: 'Library views' }).waitFor();
    const ms = await open(largest);
    console.log(`Opening the largest default (${largest.name}, ${largest.nodes.length} nodes, ${largest.edges.length} edges) took ${ms.toFixed(0)} ms; ${fields} labelled fields drawn across the 26 defaults`);
  });
});
