// InvokeAI's 26 default workflows (shared/fixtures) turned into user workflows for the tests, and a
// few helpers to create workflows through the API.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../server/config.js';
import type { Api } from '../helpers/server.js';

// The read-only fixtures beside the project; the byte-identical copy the server ships as its defaults
// where the project is checked out alone.
const SHARED_FIXTURES = join(projectRoot(), '..', 'shared', 'fixtures', 'invokeai-workflows');
export const FIXTURES_DIR = existsSync(SHARED_FIXTURES) ? SHARED_FIXTURES : join(projectRoot(), 'server', 'library', 'default-workflows');

export interface Fixture {
  file: string;
  json: Record<string, any>;
}

export function fixtures(): Fixture[] {
  return readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(join(FIXTURES_DIR, file), 'utf8')) }));
}

/** A fixture as a user would save it: category user, no id. */
export function userWorkflow(name = 'My workflow', over: Record<string, unknown> = {}): Record<string, any> {
  const base = fixtures()[0]!.json;
  const { id: _id, ...rest } = base;
  return { ...rest, name, tags: 'flux, test', meta: { ...base.meta, category: 'user' }, ...over };
}

/** Creates a workflow through the API (optionally shared) and returns its record. */
export async function createWorkflow(call: Api, name: string, opts: { shared?: boolean } = {}): Promise<any> {
  const created = await call('POST', '/api/v1/workflows', { workflow: userWorkflow(name) });
  if (created.status !== 200) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
  if (opts.shared !== undefined && created.body.is_public !== opts.shared) {
    const patched = await call('PATCH', `/api/v1/workflows/i/${created.body.workflow_id}/is_public`, { is_public: opts.shared });
    if (patched.status !== 200) throw new Error(`is_public failed: ${patched.status}`);
    return patched.body;
  }
  return created.body;
}
