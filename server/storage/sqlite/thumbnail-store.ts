// ThumbnailStore on better-sqlite3, over workflow_thumbnails (migration 0003, keyed by owner since 0004).
// length() of a blob reads no image data, so byte counts stay cheap.
import type { Database, Statement } from 'better-sqlite3';
import type { Thumbnail, ThumbnailStore } from '../thumbnail-store.js';
import { StatementCache } from '../../db/statements.js';

export class SqliteThumbnailStore implements ThumbnailStore {
  private readonly putStmt: Statement;
  private readonly getStmt: Statement;
  private readonly versionStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly imageBytesStmt: Statement;
  private readonly bytesOfStmt: Statement;

  /** Statements built per call, compiled once (server/db/statements.ts). */
  private readonly statements: StatementCache;

  constructor(private readonly db: Database) {
    this.statements = new StatementCache(db);
    this.putStmt = db.prepare(`INSERT INTO workflow_thumbnails (workflow_id, user_id, image, version) VALUES (?, ?, ?, ?)
      ON CONFLICT (workflow_id, user_id) DO UPDATE SET image = excluded.image, version = excluded.version`);
    this.getStmt = db.prepare('SELECT image, version FROM workflow_thumbnails WHERE workflow_id = ? AND user_id = ?');
    this.versionStmt = db.prepare('SELECT version FROM workflow_thumbnails WHERE workflow_id = ? AND user_id = ?');
    this.deleteStmt = db.prepare('DELETE FROM workflow_thumbnails WHERE workflow_id = ? AND user_id = ?');
    this.imageBytesStmt = db.prepare('SELECT length(image) AS bytes FROM workflow_thumbnails WHERE workflow_id = ? AND user_id = ?');
    this.bytesOfStmt = db.prepare('SELECT sum(length(image)) AS bytes FROM workflow_thumbnails WHERE user_id = ?');
  }

  async put(workflowId: string, ownerId: string, image: Buffer, version: string): Promise<void> {
    this.putStmt.run(workflowId, ownerId, image, version);
  }

  async get(workflowId: string, ownerId: string): Promise<Thumbnail | null> {
    return (this.getStmt.get(workflowId, ownerId) as Thumbnail | undefined) ?? null;
  }

  async version(workflowId: string, ownerId: string): Promise<string | null> {
    return (this.versionStmt.get(workflowId, ownerId) as { version: string } | undefined)?.version ?? null;
  }

  async delete(workflowId: string, ownerId: string): Promise<boolean> {
    return this.deleteStmt.run(workflowId, ownerId).changes > 0;
  }

  async imageBytes(workflowId: string, ownerId: string): Promise<number> {
    return (this.imageBytesStmt.get(workflowId, ownerId) as { bytes: number } | undefined)?.bytes ?? 0;
  }

  async bytesOf(ownerId: string): Promise<number> {
    return (this.bytesOfStmt.get(ownerId) as { bytes: number | null }).bytes ?? 0;
  }

  async bytesByOwner(): Promise<Map<string, number>> {
    const rows = this.statements.prepare('SELECT user_id, sum(length(image)) AS bytes FROM workflow_thumbnails GROUP BY user_id').all() as {
      user_id: string;
      bytes: number;
    }[];
    return new Map(rows.map((r) => [r.user_id, r.bytes]));
  }
}
