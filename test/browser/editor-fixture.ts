// An fs-workflow-editor mounted in the test host (real Workspace, real IndexedDB, offline sockets),
// opened on a route once `setup` has written what the test needs into the documents.
import '../../client/components/editor/workflow-editor.js';
import type { WorkflowEditor } from '../../client/components/editor/workflow-editor.js';
import { mount, waitFor } from './helpers.js';

export type MountedEditor = Awaited<ReturnType<typeof mount<WorkflowEditor>>>;

export async function openEditor(
  route: WorkflowEditor['route'],
  setup: (m: MountedEditor) => void,
  opts: Parameters<typeof mount>[1] = {},
): Promise<MountedEditor> {
  const m = await mount<WorkflowEditor>('fs-workflow-editor', opts);
  setup(m);
  m.el.route = route;
  await waitFor(() => m.el.draft);
  await m.el.updateComplete;
  return m;
}
