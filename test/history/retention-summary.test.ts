// The pure parts of the version history: which versions a retention policy drops, and the one-line
// summary of a version relative to the previous one.
import { describe, expect, it } from 'vitest';
import { parseRetention, summarize, versionsToDrop } from '../../server/library/versions.js';
import { loadFixtures } from '../shared/helpers.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1, 12);

function row(id: string, ageMs: number, newest = false, workflow = 'w1') {
  return { version_id: id, workflow_id: workflow, owner_id: 'alice', created_at: new Date(NOW - ageMs).toISOString(), newest };
}

describe('retention', () => {
  it('keeps all in the first window, the newest of each day in the next, none after, and always the newest version', () => {
    const rules = parseRetention('all:30d,daily:365d');
    const rows = [
      row('ancient', 400 * DAY),
      row('day40-early', 40 * DAY + 3_600_000),
      row('day40-late', 40 * DAY),
      row('day41', 41 * DAY),
      row('recent-1', 2 * DAY),
      row('recent-2', 1 * DAY),
      row('only-of-w2', 500 * DAY, true, 'w2'),
    ].sort((a, b) => a.created_at.localeCompare(b.created_at));
    const drop = versionsToDrop(rows, rules, NOW);
    expect(drop.sort()).toEqual(['ancient', 'day40-early']);
  });

  it('parses units and refuses windows that do not grow', () => {
    expect(parseRetention('all:90m,daily:2w')).toEqual([
      { keep: 'all', forMs: 90 * 60_000 },
      { keep: 'daily', forMs: 14 * DAY },
    ]);
    expect(() => parseRetention('all:0d')).toThrow(RangeError);
    expect(() => parseRetention('daily:5d,all:3d')).toThrow(/further back/);
    expect(() => parseRetention('')).toThrow(RangeError);
  });
});

describe('summary', () => {
  const base = loadFixtures()[0]!.json as Record<string, unknown>;
  it('names added and removed nodes and edges and the changed fields', () => {
    const next = structuredClone(base) as { nodes: Array<{ id: string; data: { inputs: Record<string, { value: unknown }> } }>; edges: unknown[]; name: string };
    const node = next.nodes.find((n) => Object.keys(n.data?.inputs ?? {}).length > 0)!;
    const field = Object.keys(node.data.inputs)[0]!;
    node.data.inputs[field]!.value = 'changed value';
    next.nodes.push({ ...structuredClone(node), id: 'new-node-1' });
    next.nodes.push({ ...structuredClone(node), id: 'new-node-2' });
    next.name = 'renamed';
    const summary = summarize(base, next);
    expect(summary).toMatchObject({ nodes_added: 2, nodes_removed: 0, edges_added: 0, edges_removed: 0, fields_changed: 2 });
    expect(summary.text).toBe(`2 nodes added, ${field}, name changed`);
    expect(summarize(null, next).text).toBe('first version');
    expect(summarize(base, structuredClone(base)).text).toBe('no changes');
  });
});
