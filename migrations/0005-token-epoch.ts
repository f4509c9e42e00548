// Session revocation (issue 11, item 3), as InvokeAI keeps it (its migration
// 2026_07_31_add_user_token_epoch): every token carries the user's `token_epoch` when it was
// issued, and a token whose epoch is not the user's current one is refused. A password change bumps
// the epoch, which signs out every session issued before it; the session that made the change gets a
// fresh token. Existing rows and tokens without the claim both count as epoch 0, so upgrading signs
// nobody out.
import type { Migration } from '../server/db/migration.js';
import { requireColumns } from '../server/db/schema-check.js';

export const tokenEpochMigration: Migration = {
  version: 5,
  name: 'token-epoch',
  up(db) {
    db.exec('ALTER TABLE users ADD COLUMN token_epoch INTEGER NOT NULL DEFAULT 0');
  },
  verify(db) {
    requireColumns(db, 'users', ['token_epoch']);
  },
};
