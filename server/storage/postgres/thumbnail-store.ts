// ThumbnailStore on PostgreSQL, over workflow_thumbnails (migrations/postgres/0003: bytea images keyed
// by workflow id and owner). octet_length() of a bytea reads no image data, so byte counts stay cheap.
import type { Thumbnail, ThumbnailStore } from '../thumbnail-store.js';
import type { PostgresPool } from './pool.js';

export class PostgresThumbnailStore implements ThumbnailStore {
  constructor(private readonly pool: PostgresPool) {}

  async put(workflowId: string, ownerId: string, image: Buffer, version: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO workflow_thumbnails (workflow_id, user_id, image, version) VALUES ($1, $2, $3, $4)
       ON CONFLICT (workflow_id, user_id) DO UPDATE SET image = excluded.image, version = excluded.version`,
      [workflowId, ownerId, image, version],
    );
  }

  async get(workflowId: string, ownerId: string): Promise<Thumbnail | null> {
    const result = await this.pool.query<Thumbnail>('SELECT image, version FROM workflow_thumbnails WHERE workflow_id = $1 AND user_id = $2', [
      workflowId,
      ownerId,
    ]);
    return result.rows[0] ?? null;
  }

  async version(workflowId: string, ownerId: string): Promise<string | null> {
    const result = await this.pool.query<{ version: string }>('SELECT version FROM workflow_thumbnails WHERE workflow_id = $1 AND user_id = $2', [
      workflowId,
      ownerId,
    ]);
    return result.rows[0]?.version ?? null;
  }

  async delete(workflowId: string, ownerId: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM workflow_thumbnails WHERE workflow_id = $1 AND user_id = $2', [workflowId, ownerId]);
    return (result.rowCount ?? 0) > 0;
  }

  async imageBytes(workflowId: string, ownerId: string): Promise<number> {
    const result = await this.pool.query<{ bytes: number }>(
      'SELECT octet_length(image) AS bytes FROM workflow_thumbnails WHERE workflow_id = $1 AND user_id = $2',
      [workflowId, ownerId],
    );
    return result.rows[0]?.bytes ?? 0;
  }

  async bytesOf(ownerId: string): Promise<number> {
    // sum() of integers is a bigint: pg returns it as a string.
    const result = await this.pool.query<{ bytes: string | null }>('SELECT sum(octet_length(image)) AS bytes FROM workflow_thumbnails WHERE user_id = $1', [
      ownerId,
    ]);
    return Number(result.rows[0]?.bytes ?? 0);
  }

  async bytesByOwner(): Promise<Map<string, number>> {
    const result = await this.pool.query<{ user_id: string; bytes: string }>(
      'SELECT user_id, sum(octet_length(image)) AS bytes FROM workflow_thumbnails GROUP BY user_id',
    );
    return new Map(result.rows.map((r) => [r.user_id, Number(r.bytes)]));
  }
}
