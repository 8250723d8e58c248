import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../core/errors/index.js';
import { createStore, parseDatabaseUrl } from './create-store.js';

describe('parseDatabaseUrl', () => {
  it.each([
    ['postgres://user:secret@db.internal:5432/modelport', 'postgres'],
    ['postgresql://db.internal/modelport?sslmode=require', 'postgres'],
    ['POSTGRES://db.internal/modelport', 'postgres'],
  ])('selects PostgreSQL for %s and passes the URL through', (url, dialect) => {
    expect(parseDatabaseUrl(url)).toEqual({ dialect, connectionString: url });
  });

  it.each([
    ['data/modelport.sqlite', 'data/modelport.sqlite'],
    ['./modelport.db', './modelport.db'],
    ['/var/lib/modelport/db.sqlite', '/var/lib/modelport/db.sqlite'],
    ['sqlite:data/modelport.sqlite', 'data/modelport.sqlite'],
    ['sqlite:///var/lib/modelport/db.sqlite', '/var/lib/modelport/db.sqlite'],
    ['sqlite://data/modelport.sqlite', 'data/modelport.sqlite'],
    ['file:data/modelport.sqlite', 'data/modelport.sqlite'],
    ['file:///var/lib/model%20port/db.sqlite', '/var/lib/model port/db.sqlite'],
    [':memory:', ':memory:'],
    ['sqlite::memory:', ':memory:'],
  ])('reads %s as the SQLite file %s', (url, path) => {
    expect(parseDatabaseUrl(url)).toEqual({ dialect: 'sqlite', path });
  });

  it.each(['', '   ', 'sqlite:', 'file:'])('refuses %j, which names no file', (url) => {
    expect(() => parseDatabaseUrl(url)).toThrow(ValidationError);
  });
});

describe('createStore', () => {
  it('opens SQLite for a file URL, creating its directory', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'modelport-create-store-'));
    const file = join(directory, 'state', 'modelport.sqlite');
    const store = await createStore(pathToFileURL(file).toString());
    try {
      expect(store.dialect).toBe('sqlite');
      await store.migrate();
      await store.ping();
      expect(existsSync(file)).toBe(true);
    } finally {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('selects PostgreSQL for a postgres URL without connecting yet', async () => {
    const store = await createStore('postgres://nobody@127.0.0.1:1/none');
    expect(store.dialect).toBe('postgres');
    await store.close();
  });
});
