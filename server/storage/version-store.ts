// The version-history PORT (issue 12): a workflow's versions (one per Save, at most one "auto" per
// interval of other changes, restores, the state at a delete) and the trash of deleted workflows.
// Versions are keyed by (owner, workflow id): ids belong to the first library that held them
// (workflow_owners), and a copy of an id in another library must never mix its history into the
// owner's. Every method is async; implementations pass test/storage/version-store-suite.ts.

export type VersionKind = 'save' | 'auto' | 'restore' | 'delete';

export const VERSION_KINDS: readonly VersionKind[] = ['save', 'auto', 'restore', 'delete'];

/** One line relative to the previous version (HISTORY design: "2 nodes added, steps changed"). */
export interface VersionSummary {
  nodes_added: number;
  nodes_removed: number;
  edges_added: number;
  edges_removed: number;
  fields_changed: number;
  text: string;
}

export interface VersionMeta {
  version_id: string;
  workflow_id: string;
  owner_id: string;
  /**
   * What makes creation idempotent across retries and nodes: `save:<save id>`, `auto:<interval start>`,
   * `restore:<id>`, `delete:<time>`.
   */
  key: string;
  kind: VersionKind;
  /** ISO-8601 UTC. */
  created_at: string;
  /** Who made it (null: unknown, e.g. the server itself). */
  user_id: string | null;
  user_name: string | null;
  device: string | null;
  device_label: string | null;
  summary: VersionSummary;
  /** Bytes of the stored workflow JSON (what counts toward the owner's quota). */
  bytes: number;
}

export interface Version extends VersionMeta {
  /** The workflow as it was, JSON text. */
  workflow: string;
}

export type NewVersion = Omit<Version, 'bytes'>;

export interface VersionPage {
  total: number;
  items: VersionMeta[];
}

export interface TrashEntry {
  workflow_id: string;
  owner_id: string;
  name: string;
  /** ISO-8601 UTC. */
  deleted_at: string;
  /** The user who deleted it (null: unknown). */
  deleted_by: string | null;
  /** When it and its versions are purged, ISO-8601 UTC. */
  purge_at: string;
  /** The whole library entry as it was (workflow, is_public, created_at, ...), JSON text. */
  entry: string;
}

export interface TrashItem extends Omit<TrashEntry, 'entry'> {
  /** How many versions it keeps. */
  versions: number;
}

export interface VersionStore {
  /**
   * Adds a version unless one with the same (owner, workflow, key) exists. Returns the stored one
   * (the existing one when not created), so two nodes or a retry never double a version.
   */
  add(version: NewVersion): Promise<{ version: VersionMeta; created: boolean }>;
  /**
   * Replaces the content (and who/which device) of the version under `key` (a Save marker's version
   * when its device's upload arrives). False if there is none.
   */
  replaceContent(
    ownerId: string,
    workflowId: string,
    key: string,
    content: Pick<Version, 'workflow' | 'summary' | 'user_id' | 'user_name' | 'device' | 'device_label'>,
  ): Promise<boolean>;
  /** Newest first (created_at, then insertion order). */
  list(ownerId: string, workflowId: string, page: { offset: number; limit: number }): Promise<VersionPage>;
  get(ownerId: string, workflowId: string, versionId: string): Promise<Version | null>;
  getByKey(ownerId: string, workflowId: string, key: string): Promise<Version | null>;
  /** The newest version (the base of the next one's summary). */
  latest(ownerId: string, workflowId: string): Promise<Version | null>;
  /**
   * Metadata of every version created before `beforeIso`, plus for each workflow that has any, whether
   * it is that workflow's newest: what a retention policy decides on.
   */
  olderThan(beforeIso: string): Promise<Array<Pick<VersionMeta, 'version_id' | 'workflow_id' | 'owner_id' | 'created_at'> & { newest: boolean }>>;
  /** Removes versions by id; returns how many went. */
  remove(versionIds: string[]): Promise<number>;
  /** Bytes of every version of `ownerId`. */
  bytesOf(ownerId: string): Promise<number>;
  /** Bytes per owner, for every owner with a version. */
  bytesByOwner(): Promise<Map<string, number>>;

  /** Puts (or replaces) a deleted workflow in the trash. */
  putTrash(entry: TrashEntry): Promise<void>;
  /** The trash of `ownerId`, newest deletion first, with each workflow's version count. */
  listTrash(ownerId: string): Promise<TrashItem[]>;
  getTrash(workflowId: string): Promise<TrashEntry | null>;
  /** Removes the entry from the trash and returns it (restore); its versions stay. Null if absent. */
  takeTrash(workflowId: string): Promise<TrashEntry | null>;
  /** Removes the entry AND its versions. Returns the removed entry or null. */
  purge(workflowId: string): Promise<TrashEntry | null>;
  /** Purges every entry whose purge_at <= nowIso (with their versions); returns them. */
  purgeDue(nowIso: string): Promise<TrashEntry[]>;
  /** Every version and trash entry of an owner (a removed user). */
  forgetOwner(ownerId: string): Promise<void>;
}
