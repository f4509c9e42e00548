// The InvokeAI workflow model (reference §1, `workflow_records_common.py`) and its validation.
//
// Deliberate differences from InvokeAI's pydantic model, all in the direction of losing nothing:
// - Unknown keys are KEPT at every level (InvokeAI: extra="ignore" drops them), so a workflow read back
//   is exactly the JSON that was stored. The one exception: `id` in a WorkflowWithoutID body is dropped,
//   because the server assigns the id.
// - Every node must be an object with a non-empty string `id`, unique among the nodes; every edge an
//   object whose `id`, when it has one, is a non-empty string unique among the edges. InvokeAI does not
//   check nodes and edges at all, but the library document merges concurrent edits by matching nodes
//   and edges by id (contract §4), and every workflow InvokeAI's editor writes has them. Edges without
//   an id (InvokeAI's model takes any object, and hand-written files have them) are kept as sent; an
//   edges array with one of them merges as a whole value (shared/workflow/yjson.ts).
// - Values must be JSON all the way down (no NaN, Infinity, undefined, functions), nested at most
//   MAX_JSON_DEPTH levels, with no string or key longer than MAX_VALUE_BYTES (limits.ts): the same
//   limits hold for every update a client sends (server/sync/update-limits.ts), so what REST accepts
//   always syncs.
// - HEAD's rule is applied: at most one invocation node of type `workflow_return`.
import { z } from 'zod';
import { copyJson, describeValue, isPlainObject, type JsonObject } from './json.js';

export { copyJson, isJsonValue, jsonEqual, MAX_JSON_DEPTH } from './json.js';
export type { JsonArray, JsonObject, JsonPrimitive, JsonValue } from './json.js';

/** Semantic version 2.0.0, as `semver.Version.parse` accepts it (major.minor.patch required). */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export const WorkflowCategory = z.enum(['user', 'default'], {
  // undefined falls through to the parse-level message ("Required").
  error: (issue) =>
    issue.input === undefined
      ? undefined
      : `Invalid workflow category: ${JSON.stringify(issue.input) ?? String(issue.input)} (expected "user" or "default")`,
});
export type WorkflowCategory = z.infer<typeof WorkflowCategory>;

export const ExposedFieldSchema = z.looseObject({
  nodeId: z.string(),
  fieldName: z.string(),
});
export type ExposedField = z.infer<typeof ExposedFieldSchema>;

export const WorkflowMetaSchema = z.looseObject({
  version: z.string().superRefine((version, ctx) => {
    if (!SEMVER.test(version)) ctx.addIssue({ code: 'custom', message: `Invalid workflow meta version: ${version}` });
  }),
  category: WorkflowCategory,
});
export type WorkflowMeta = z.infer<typeof WorkflowMetaSchema>;

/** A node or an edge: any JSON object with a non-empty string id. */
const GraphItemSchema = z.looseObject({
  id: z.string().min(1, 'must be a non-empty string'),
});

/** An edge: any JSON object; an id, if present, is a non-empty string. */
const EdgeSchema = z.looseObject({
  id: z.string().min(1, 'must be a non-empty string').optional(),
});

const workflowShape = {
  name: z.string(),
  author: z.string(),
  description: z.string(),
  version: z.string(),
  contact: z.string(),
  tags: z.string(),
  notes: z.string(),
  exposedFields: z.array(ExposedFieldSchema),
  meta: WorkflowMetaSchema,
  nodes: z.array(GraphItemSchema),
  edges: z.array(EdgeSchema),
  form: z.looseObject({}).nullable().optional(),
};

type GraphItem = { id?: string | undefined } & Record<string, unknown>;

/** Rules across items: unique ids (the document merges by id) and at most one workflow_return node. */
function checkGraph(workflow: { nodes: GraphItem[]; edges: GraphItem[] }, ctx: z.RefinementCtx): void {
  for (const [key, label] of [['nodes', 'node'], ['edges', 'edge']] as const) {
    const seen = new Set<string>();
    workflow[key].forEach((item, index) => {
      if (item.id === undefined) return;
      if (seen.has(item.id)) {
        ctx.addIssue({ code: 'custom', path: [key, index, 'id'], message: `Duplicate ${label} id: ${item.id}` });
      }
      seen.add(item.id);
    });
  }
  let returnNodes = 0;
  workflow.nodes.forEach((node, index) => {
    const data = node['data'];
    if (node['type'] === 'invocation' && isPlainObject(data) && data['type'] === 'workflow_return') {
      returnNodes++;
      if (returnNodes === 2) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', index],
          message: 'A workflow may not contain more than one workflow_return node.',
        });
      }
    }
  });
}

/** A workflow as POSTed to create one: everything but the id (an `id` key is accepted and ignored). */
export const WorkflowWithoutIdSchema = z.looseObject(workflowShape).superRefine(checkGraph);
export type WorkflowWithoutID = z.infer<typeof WorkflowWithoutIdSchema>;

export const WorkflowSchema = z
  .looseObject({ ...workflowShape, id: z.string().min(1, 'must be a non-empty string') })
  .superRefine(checkGraph);
export type Workflow = z.infer<typeof WorkflowSchema>;

export type ValidationResult<T> = { ok: true; workflow: T } | { ok: false; field: string; error: string };

/** Field name used when the value itself (not one of its fields) is wrong. */
const ROOT_FIELD = 'workflow';

function failure(field: string, message: string): { ok: false; field: string; error: string } {
  const oneLine = message.replace(/\s+/g, ' ').trim();
  return { ok: false, field, error: `${field}: ${oneLine}` };
}

/** A missing key reaches zod as undefined; say so instead of "expected string, received undefined". */
const messages: z.core.$ZodErrorMap = (issue) => (issue.input === undefined ? 'Required' : undefined);

function validateWith<T>(schema: z.ZodType, json: unknown, dropId: boolean): ValidationResult<T> {
  if (!isPlainObject(json)) {
    const got = json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json === 'object' ? describeValue(json) : typeof json;
    return failure(ROOT_FIELD, `expected a JSON object, received ${got}`);
  }
  const copied = copyJson(json);
  if (!copied.ok) return failure(copied.problem.path || ROOT_FIELD, copied.problem.error);
  const parsed = schema.safeParse(copied.value, { error: messages });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return failure(issue.path.map(String).join('.') || ROOT_FIELD, issue.message);
  }
  // Return our own copy, not zod's output: zod rebuilds objects with known keys first, and we want
  // the key order (and every unknown key) exactly as given.
  const workflow = copied.value as JsonObject;
  if (dropId) delete workflow['id'];
  return { ok: true, workflow: workflow as T };
}

/**
 * Validates a complete workflow (with id). On success `workflow` is a deep copy of the input.
 * On failure `field` is the dotted path of the first failing field ("nodes.3.id", "meta.version",
 * "workflow" for the value itself) and `error` is one line starting with that field.
 */
export function validateWorkflow(json: unknown): ValidationResult<Workflow> {
  return validateWith<Workflow>(WorkflowSchema, json, false);
}

/** Validates a workflow without id (create bodies); any `id` key is dropped from the returned copy. */
export function validateWorkflowWithoutId(json: unknown): ValidationResult<WorkflowWithoutID> {
  return validateWith<WorkflowWithoutID>(WorkflowWithoutIdSchema, json, true);
}
