// VersionStore on better-sqlite3, over workflow_versions and workflow_trash (migration 0007).
// Bytes are counted as the UTF-8 length of the stored JSON (length() of a TEXT counts characters, so
// it is cast to a BLOB first). Purges remove the trash row and the versions in one transaction.
import type { Database } from 'better-sqlite3';
import type { NewVersion, TrashEntry, TrashItem, Version, VersionMeta, VersionPage, VersionStore, VersionSummary } from '../version-store.js';
import { StatementCache } from '../../db/statements.js';

interface VersionRow {
  version_id: string;
  owner_id: string;
  workflow_id: string;
  key: string;
  kind: Version['kind'];
  created_at: string;
  user_id: string | null;
  user_name: string | null;
  device: string | null;
  device_label: string | null;
  summary: string;
  bytes: number;
  workflow?: string;
}

const META = `version_id, owner_id, workflow_id, key, kind, created_at, user_id, user_name, device, device_label, summary,
  length(CAST(workflow AS BLOB)) AS bytes`;

function meta(row: VersionRow): VersionMeta {
  return {
    version_id: row.version_id,
    workflow_id: row.workflow_id,
    owner_id: row.owner_id,
    key: row.key,
    kind: row.kind,
    created_at: row.created_at,
    user_id: row.user_id,
    user_name: row.user_name,
    device: row.device,
    device_label: row.device_label,
    summary: JSON.parse(row.summary) as VersionSummary,
    bytes: row.bytes,
  };
}

function full(row: VersionRow): Version {
  return { ...meta(row), workflow: row.workflow ?? '' };
}

export class SqliteVersionStore implements VersionStore {
  /** Statements built per call, compiled once (server/db/statements.ts). */
  private readonly statements: StatementCache;

  constructor(private readonly db: Database) {
    this.statements = new StatementCache(db);
  }

  async add(version: NewVersion): Promise<{ version: VersionMeta; created: boolean }> {
    const insert = this.statements.prepare(`INSERT INTO workflow_versions
      (version_id, owner_id, workflow_id, key, kind, created_at, user_id, user_name, device, device_label, summary, workflow)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (owner_id, workflow_id, key) DO NOTHING`);
    const changes = insert.run(
      version.version_id,
      version.owner_id,
      version.workflow_id,
      version.key,
      version.kind,
      version.created_at,
      version.user_id,
      version.user_name,
      version.device,
      version.device_label,
      JSON.stringify(version.summary),
      version.workflow,
    ).changes;
    const stored = this.statements
      .prepare(`SELECT ${META} FROM workflow_versions WHERE owner_id = ? AND workflow_id = ? AND key = ?`)
      .get(version.owner_id, version.workflow_id, version.key) as VersionRow;
    return { version: meta(stored), created: changes > 0 };
  }

  async replaceContent(
    ownerId: string,
    workflowId: string,
    key: string,
    content: Pick<Version, 'workflow' | 'summary' | 'user_id' | 'user_name' | 'device' | 'device_label'>,
  ): Promise<boolean> {
    const result = this.statements
      .prepare(`UPDATE workflow_versions SET workflow = ?, summary = ?, user_id = ?, user_name = ?, device = ?, device_label = ?
        WHERE owner_id = ? AND workflow_id = ? AND key = ?`)
      .run(content.workflow, JSON.stringify(content.summary), content.user_id, content.user_name, content.device, content.device_label, ownerId, workflowId, key);
    return result.changes > 0;
  }

  async list(ownerId: string, workflowId: string, page: { offset: number; limit: number }): Promise<VersionPage> {
    const total = (
      this.statements.prepare('SELECT count(*) AS n FROM workflow_versions WHERE owner_id = ? AND workflow_id = ?').get(ownerId, workflowId) as { n: number }
    ).n;
    const rows = this.statements
      .prepare(`SELECT ${META} FROM workflow_versions WHERE owner_id = ? AND workflow_id = ?
        ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?`)
      .all(ownerId, workflowId, page.limit, page.offset) as VersionRow[];
    return { total, items: rows.map(meta) };
  }

  async get(ownerId: string, workflowId: string, versionId: string): Promise<Version | null> {
    const row = this.statements
      .prepare(`SELECT ${META}, workflow FROM workflow_versions WHERE owner_id = ? AND workflow_id = ? AND version_id = ?`)
      .get(ownerId, workflowId, versionId) as VersionRow | undefined;
    return row === undefined ? null : full(row);
  }

  async getByKey(ownerId: string, workflowId: string, key: string): Promise<Version | null> {
    const row = this.statements
      .prepare(`SELECT ${META}, workflow FROM workflow_versions WHERE owner_id = ? AND workflow_id = ? AND key = ?`)
      .get(ownerId, workflowId, key) as VersionRow | undefined;
    return row === undefined ? null : full(row);
  }

  async latest(ownerId: string, workflowId: string): Promise<Version | null> {
    const row = this.statements
      .prepare(`SELECT ${META}, workflow FROM workflow_versions WHERE owner_id = ? AND workflow_id = ?
        ORDER BY created_at DESC, seq DESC LIMIT 1`)
      .get(ownerId, workflowId) as VersionRow | undefined;
    return row === undefined ? null : full(row);
  }

  async olderThan(beforeIso: string) {
    const rows = this.statements
      .prepare(`SELECT v.version_id, v.workflow_id, v.owner_id, v.created_at,
          v.seq = (SELECT n.seq FROM workflow_versions n WHERE n.owner_id = v.owner_id AND n.workflow_id = v.workflow_id
                   ORDER BY n.created_at DESC, n.seq DESC LIMIT 1) AS newest
        FROM workflow_versions v WHERE v.created_at < ? ORDER BY v.owner_id, v.workflow_id, v.created_at, v.seq`)
      .all(beforeIso) as { version_id: string; workflow_id: string; owner_id: string; created_at: string; newest: number }[];
    return rows.map((r) => ({ ...r, newest: r.newest === 1 }));
  }

  async remove(versionIds: string[]): Promise<number> {
    const del = this.statements.prepare('DELETE FROM workflow_versions WHERE version_id = ?');
    return this.db.transaction(() => versionIds.reduce((n, id) => n + del.run(id).changes, 0))();
  }

  async bytesOf(ownerId: string): Promise<number> {
    const row = this.statements.prepare('SELECT sum(length(CAST(workflow AS BLOB))) AS bytes FROM workflow_versions WHERE owner_id = ?').get(ownerId) as {
      bytes: number | null;
    };
    return row.bytes ?? 0;
  }

  async bytesByOwner(): Promise<Map<string, number>> {
    const rows = this.statements
      .prepare('SELECT owner_id, sum(length(CAST(workflow AS BLOB))) AS bytes FROM workflow_versions GROUP BY owner_id')
      .all() as { owner_id: string; bytes: number }[];
    return new Map(rows.map((r) => [r.owner_id, r.bytes]));
  }

  async putTrash(entry: TrashEntry): Promise<void> {
    this.statements
      .prepare(`INSERT INTO workflow_trash (workflow_id, owner_id, name, deleted_at, deleted_by, purge_at, entry) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (workflow_id) DO UPDATE SET owner_id = excluded.owner_id, name = excluded.name, deleted_at = excluded.deleted_at,
          deleted_by = excluded.deleted_by, purge_at = excluded.purge_at, entry = excluded.entry`)
      .run(entry.workflow_id, entry.owner_id, entry.name, entry.deleted_at, entry.deleted_by, entry.purge_at, entry.entry);
  }

  async listTrash(ownerId: string): Promise<TrashItem[]> {
    return this.statements
      .prepare(`SELECT t.workflow_id, t.owner_id, t.name, t.deleted_at, t.deleted_by, t.purge_at,
          (SELECT count(*) FROM workflow_versions v WHERE v.owner_id = t.owner_id AND v.workflow_id = t.workflow_id) AS versions
        FROM workflow_trash t WHERE t.owner_id = ? ORDER BY t.deleted_at DESC, t.workflow_id`)
      .all(ownerId) as TrashItem[];
  }

  async getTrash(workflowId: string): Promise<TrashEntry | null> {
    return (this.statements.prepare('SELECT * FROM workflow_trash WHERE workflow_id = ?').get(workflowId) as TrashEntry | undefined) ?? null;
  }

  async takeTrash(workflowId: string): Promise<TrashEntry | null> {
    return (this.statements.prepare('DELETE FROM workflow_trash WHERE workflow_id = ? RETURNING *').all(workflowId)[0] as TrashEntry | undefined) ?? null;
  }

  async purge(workflowId: string): Promise<TrashEntry | null> {
    return this.db.transaction(() => {
      const entry = this.statements.prepare('DELETE FROM workflow_trash WHERE workflow_id = ? RETURNING *').all(workflowId)[0] as TrashEntry | undefined;
      if (entry === undefined) return null;
      this.statements.prepare('DELETE FROM workflow_versions WHERE owner_id = ? AND workflow_id = ?').run(entry.owner_id, entry.workflow_id);
      return entry;
    })();
  }

  async purgeDue(nowIso: string): Promise<TrashEntry[]> {
    return this.db.transaction(() => {
      const entries = this.statements.prepare('DELETE FROM workflow_trash WHERE purge_at <= ? RETURNING *').all(nowIso) as TrashEntry[];
      const del = this.statements.prepare('DELETE FROM workflow_versions WHERE owner_id = ? AND workflow_id = ?');
      for (const entry of entries) del.run(entry.owner_id, entry.workflow_id);
      return entries;
    })();
  }

  async forgetOwner(ownerId: string): Promise<void> {
    this.db.transaction(() => {
      this.statements.prepare('DELETE FROM workflow_versions WHERE owner_id = ?').run(ownerId);
      this.statements.prepare('DELETE FROM workflow_trash WHERE owner_id = ?').run(ownerId);
    })();
  }
}
