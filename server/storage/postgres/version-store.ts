// VersionStore on PostgreSQL, over workflow_versions and workflow_trash (migrations/postgres/0006).
// Idempotent creation is INSERT ... ON CONFLICT DO NOTHING on (owner, workflow, key), so two nodes
// committing the same Save create one version. Purges remove the trash row and its versions in one
// transaction. Bytes are octet_length() of the stored JSON (UTF-8), as SQLite counts them.
// The names a client chooses (user_name, device_label, the trash entry's name) are bytea since
// migration 0007: PostgreSQL's text refuses U+0000, which SQLite's TEXT keeps, and a version must not
// be lost over it; they are stored and read back as UTF-8 here (utf8 / fromUtf8). The JSON columns
// stay text: JSON.stringify escapes U+0000.
import type { NewVersion, TrashEntry, TrashItem, Version, VersionMeta, VersionPage, VersionStore, VersionSummary } from '../version-store.js';
import type { PostgresPool, Queryable } from './pool.js';

/** Client text for a bytea column (U+0000 included). */
function utf8(text: string): Buffer;
function utf8(text: string | null): Buffer | null;
function utf8(text: string | null): Buffer | null {
  return text === null ? null : Buffer.from(text, 'utf8');
}

function fromUtf8(bytes: Buffer | null): string | null {
  return bytes === null ? null : bytes.toString('utf8');
}

type TrashRow = Omit<TrashEntry, 'name'> & { name: Buffer };

function trashEntry(row: TrashRow | undefined): TrashEntry | null {
  return row === undefined ? null : { ...row, name: row.name.toString('utf8') };
}

interface VersionRow {
  version_id: string;
  owner_id: string;
  workflow_id: string;
  key: string;
  kind: Version['kind'];
  created_at: string;
  user_id: string | null;
  user_name: Buffer | null;
  device: string | null;
  device_label: Buffer | null;
  summary: string;
  bytes: number;
  workflow?: string;
}

const META = `version_id, owner_id, workflow_id, key, kind, created_at, user_id, user_name, device, device_label, summary,
  octet_length(workflow) AS bytes`;

function meta(row: VersionRow): VersionMeta {
  return {
    version_id: row.version_id,
    workflow_id: row.workflow_id,
    owner_id: row.owner_id,
    key: row.key,
    kind: row.kind,
    created_at: row.created_at,
    user_id: row.user_id,
    user_name: fromUtf8(row.user_name),
    device: row.device,
    device_label: fromUtf8(row.device_label),
    summary: JSON.parse(row.summary) as VersionSummary,
    bytes: Number(row.bytes),
  };
}

function full(row: VersionRow): Version {
  return { ...meta(row), workflow: row.workflow ?? '' };
}

async function deleteVersionsOf(tx: Queryable, entries: Pick<TrashEntry, 'owner_id' | 'workflow_id'>[]): Promise<void> {
  for (const entry of entries) {
    await tx.query('DELETE FROM workflow_versions WHERE owner_id = $1 AND workflow_id = $2', [entry.owner_id, entry.workflow_id]);
  }
}

export class PostgresVersionStore implements VersionStore {
  constructor(private readonly pool: PostgresPool) {}

  async add(version: NewVersion): Promise<{ version: VersionMeta; created: boolean }> {
    const inserted = await this.pool.query(
      `INSERT INTO workflow_versions
        (version_id, owner_id, workflow_id, key, kind, created_at, user_id, user_name, device, device_label, summary, workflow)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (owner_id, workflow_id, key) DO NOTHING`,
      [
        version.version_id,
        version.owner_id,
        version.workflow_id,
        version.key,
        version.kind,
        version.created_at,
        version.user_id,
        utf8(version.user_name),
        version.device,
        utf8(version.device_label),
        JSON.stringify(version.summary),
        version.workflow,
      ],
    );
    const stored = await this.pool.query<VersionRow>(`SELECT ${META} FROM workflow_versions WHERE owner_id = $1 AND workflow_id = $2 AND key = $3`, [
      version.owner_id,
      version.workflow_id,
      version.key,
    ]);
    return { version: meta(stored.rows[0]!), created: (inserted.rowCount ?? 0) > 0 };
  }

  async replaceContent(
    ownerId: string,
    workflowId: string,
    key: string,
    content: Pick<Version, 'workflow' | 'summary' | 'user_id' | 'user_name' | 'device' | 'device_label'>,
  ): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE workflow_versions SET workflow = $1, summary = $2, user_id = $3, user_name = $4, device = $5, device_label = $6
       WHERE owner_id = $7 AND workflow_id = $8 AND key = $9`,
      [content.workflow, JSON.stringify(content.summary), content.user_id, utf8(content.user_name), content.device, utf8(content.device_label), ownerId, workflowId, key],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async list(ownerId: string, workflowId: string, page: { offset: number; limit: number }): Promise<VersionPage> {
    const total = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM workflow_versions WHERE owner_id = $1 AND workflow_id = $2', [
      ownerId,
      workflowId,
    ]);
    const rows = await this.pool.query<VersionRow>(
      `SELECT ${META} FROM workflow_versions WHERE owner_id = $1 AND workflow_id = $2
       ORDER BY created_at DESC, seq DESC LIMIT $3 OFFSET $4`,
      [ownerId, workflowId, page.limit, page.offset],
    );
    return { total: Number(total.rows[0]!.n), items: rows.rows.map(meta) };
  }

  async get(ownerId: string, workflowId: string, versionId: string): Promise<Version | null> {
    const result = await this.pool.query<VersionRow>(
      `SELECT ${META}, workflow FROM workflow_versions WHERE owner_id = $1 AND workflow_id = $2 AND version_id = $3`,
      [ownerId, workflowId, versionId],
    );
    return result.rows[0] === undefined ? null : full(result.rows[0]);
  }

  async getByKey(ownerId: string, workflowId: string, key: string): Promise<Version | null> {
    const result = await this.pool.query<VersionRow>(`SELECT ${META}, workflow FROM workflow_versions WHERE owner_id = $1 AND workflow_id = $2 AND key = $3`, [
      ownerId,
      workflowId,
      key,
    ]);
    return result.rows[0] === undefined ? null : full(result.rows[0]);
  }

  async latest(ownerId: string, workflowId: string): Promise<Version | null> {
    const result = await this.pool.query<VersionRow>(
      `SELECT ${META}, workflow FROM workflow_versions WHERE owner_id = $1 AND workflow_id = $2
       ORDER BY created_at DESC, seq DESC LIMIT 1`,
      [ownerId, workflowId],
    );
    return result.rows[0] === undefined ? null : full(result.rows[0]);
  }

  async olderThan(beforeIso: string) {
    const result = await this.pool.query<{ version_id: string; workflow_id: string; owner_id: string; created_at: string; newest: boolean }>(
      `SELECT v.version_id, v.workflow_id, v.owner_id, v.created_at,
          v.seq = (SELECT n.seq FROM workflow_versions n WHERE n.owner_id = v.owner_id AND n.workflow_id = v.workflow_id
                   ORDER BY n.created_at DESC, n.seq DESC LIMIT 1) AS newest
        FROM workflow_versions v WHERE v.created_at < $1 ORDER BY v.owner_id, v.workflow_id, v.created_at, v.seq`,
      [beforeIso],
    );
    return result.rows;
  }

  async remove(versionIds: string[]): Promise<number> {
    if (versionIds.length === 0) return 0;
    const result = await this.pool.query('DELETE FROM workflow_versions WHERE version_id = ANY($1)', [versionIds]);
    return result.rowCount ?? 0;
  }

  async bytesOf(ownerId: string): Promise<number> {
    // sum() of integers is a bigint: pg returns it as a string.
    const result = await this.pool.query<{ bytes: string | null }>('SELECT sum(octet_length(workflow)) AS bytes FROM workflow_versions WHERE owner_id = $1', [
      ownerId,
    ]);
    return Number(result.rows[0]?.bytes ?? 0);
  }

  async bytesByOwner(): Promise<Map<string, number>> {
    const result = await this.pool.query<{ owner_id: string; bytes: string }>(
      'SELECT owner_id, sum(octet_length(workflow)) AS bytes FROM workflow_versions GROUP BY owner_id',
    );
    return new Map(result.rows.map((r) => [r.owner_id, Number(r.bytes)]));
  }

  async putTrash(entry: TrashEntry): Promise<void> {
    await this.pool.query(
      `INSERT INTO workflow_trash (workflow_id, owner_id, name, deleted_at, deleted_by, purge_at, entry) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (workflow_id) DO UPDATE SET owner_id = excluded.owner_id, name = excluded.name, deleted_at = excluded.deleted_at,
         deleted_by = excluded.deleted_by, purge_at = excluded.purge_at, entry = excluded.entry`,
      [entry.workflow_id, entry.owner_id, utf8(entry.name), entry.deleted_at, entry.deleted_by, entry.purge_at, entry.entry],
    );
  }

  async listTrash(ownerId: string): Promise<TrashItem[]> {
    const result = await this.pool.query<Omit<TrashItem, 'name'> & { name: Buffer; versions: string }>(
      `SELECT t.workflow_id, t.owner_id, t.name, t.deleted_at, t.deleted_by, t.purge_at,
          (SELECT count(*) FROM workflow_versions v WHERE v.owner_id = t.owner_id AND v.workflow_id = t.workflow_id) AS versions
        FROM workflow_trash t WHERE t.owner_id = $1 ORDER BY t.deleted_at DESC, t.workflow_id`,
      [ownerId],
    );
    return result.rows.map((r) => ({ ...r, name: r.name.toString('utf8'), versions: Number(r.versions) }));
  }

  async getTrash(workflowId: string): Promise<TrashEntry | null> {
    const result = await this.pool.query<TrashRow>('SELECT * FROM workflow_trash WHERE workflow_id = $1', [workflowId]);
    return trashEntry(result.rows[0]);
  }

  async takeTrash(workflowId: string): Promise<TrashEntry | null> {
    const result = await this.pool.query<TrashRow>('DELETE FROM workflow_trash WHERE workflow_id = $1 RETURNING *', [workflowId]);
    return trashEntry(result.rows[0]);
  }

  async purge(workflowId: string): Promise<TrashEntry | null> {
    return this.pool.transaction(async (tx) => {
      const result = await tx.query<TrashRow>('DELETE FROM workflow_trash WHERE workflow_id = $1 RETURNING *', [workflowId]);
      await deleteVersionsOf(tx, result.rows);
      return trashEntry(result.rows[0]);
    });
  }

  async purgeDue(nowIso: string): Promise<TrashEntry[]> {
    return this.pool.transaction(async (tx) => {
      const result = await tx.query<TrashRow>('DELETE FROM workflow_trash WHERE purge_at <= $1 RETURNING *', [nowIso]);
      await deleteVersionsOf(tx, result.rows);
      return result.rows.map((row) => trashEntry(row)!);
    });
  }

  async forgetOwner(ownerId: string): Promise<void> {
    await this.pool.transaction(async (tx) => {
      await tx.query('DELETE FROM workflow_versions WHERE owner_id = $1', [ownerId]);
      await tx.query('DELETE FROM workflow_trash WHERE owner_id = $1', [ownerId]);
    });
  }
}
