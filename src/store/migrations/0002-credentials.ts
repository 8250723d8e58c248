import type { Kysely, Migration } from 'kysely';

/** Provider credentials stored through the API, encrypted by the service layer before they get here. */
export function credentialsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('credentials')
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('ciphertext', 'text', (column) => column.notNull())
        .addColumn('updated_at', 'text', (column) => column.notNull())
        .addPrimaryKeyConstraint('credentials_pkey', ['name'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('credentials').execute();
    },
  };
}
