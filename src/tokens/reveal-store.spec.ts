import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryRevealStore, RedisRevealStore, type RevealStore } from './reveal-store';

/** The Redis the e2e tests use too (test/throttling-purge.e2e-spec.ts). */
const REDIS_URL = 'redis://127.0.0.1:6379';

/** What every store must do, whichever holds the entries. */
function behavesLikeARevealStore(store: () => RevealStore): void {
  // Random super client ids: runs against one Redis never see each other's entries.
  const audience = () => ({ superClientId: randomBytes(6).toString('hex'), userId: 7 });
  const inAMinute = () => new Date(Date.now() + 60_000);

  it('gives an entry to the first take only', async () => {
    const who = audience();
    await store().put(who, 'h1', 'tva_raw1', inAMinute());
    assert.deepEqual([...(await store().take(who, ['h1'], new Date()))], [['h1', 'tva_raw1']]);
    assert.equal((await store().take(who, ['h1'], new Date())).size, 0);
  });

  it('takes only the named handles; the others wait', async () => {
    const who = audience();
    await store().put(who, 'h1', 'tva_raw1', inAMinute());
    await store().put(who, 'h2', 'tva_raw2', inAMinute());
    assert.deepEqual(
      [...(await store().take(who, ['h2', 'h3'], new Date()))],
      [['h2', 'tva_raw2']],
    );
    assert.deepEqual(
      [...(await store().take(who, ['h1', 'h2'], new Date()))],
      [['h1', 'tva_raw1']],
    );
  });

  it('keeps entries apart by super client and user', async () => {
    const who = audience();
    await store().put(who, 'h1', 'tva_raw1', inAMinute());
    assert.equal((await store().take({ ...who, userId: 8 }, ['h1'], new Date())).size, 0);
    assert.equal((await store().take(audience(), ['h1'], new Date())).size, 0);
    assert.equal((await store().take(who, ['h1'], new Date())).size, 1);
  });

  it('gives nothing once an entry has expired', async () => {
    const who = audience();
    await store().put(who, 'h1', 'tva_raw1', new Date(Date.now() + 50));
    assert.equal((await store().take(who, ['h1'], new Date(Date.now() + 100))).size, 0);
    assert.equal((await store().take(who, [], new Date())).size, 0);
  });

  it('of concurrent takes, exactly one gets the entry', async () => {
    const who = audience();
    await store().put(who, 'h1', 'tva_raw1', inAMinute());
    const takes = await Promise.all(
      Array.from({ length: 10 }, () => store().take(who, ['h1'], new Date())),
    );
    assert.equal(takes.filter((taken) => taken.size === 1).length, 1);
  });
}

describe('MemoryRevealStore', () => {
  let store: MemoryRevealStore;
  before(() => {
    store = new MemoryRevealStore();
  });
  behavesLikeARevealStore(() => store);

  it('sweeps expired entries away on a later put, so it cannot grow without bound', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    const sweeping = new MemoryRevealStore();
    const entries = (sweeping as unknown as { entries: Map<string, unknown> }).entries;
    const who = { superClientId: 'sc', userId: 1 };
    for (let i = 0; i < 100; i++) {
      await sweeping.put(who, `h${i}`, 'tva_x', new Date(Date.now() + 1000));
    }
    assert.equal(entries.size, 100);
    t.mock.timers.tick(11_000);
    await sweeping.put(who, 'fresh', 'tva_y', new Date(Date.now() + 1000));
    assert.deepEqual([...entries.keys()], ['sc 1 fresh']);
  });
});

describe('RedisRevealStore', () => {
  let redis: Redis;
  let store: RedisRevealStore;
  before(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    store = new RedisRevealStore(redis);
  });
  after(() => redis.quit());
  behavesLikeARevealStore(() => store);

  it('keeps one hash per audience that expires with its latest entry, and drops expired fields', async () => {
    const who = { superClientId: randomBytes(6).toString('hex'), userId: 3 };
    const key = `tokenvakt:reveal:${who.superClientId}:3`;
    await store.put(who, 'old', 'tva_old', new Date(Date.now() + 30));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await store.put(who, 'new', 'tva_new', new Date(Date.now() + 60_000));
    assert.deepEqual(await redis.hkeys(key), ['new']);
    const ttl = await redis.pttl(key);
    assert.ok(ttl > 55_000 && ttl <= 60_000, String(ttl));
    // An entry with a shorter expiry never shortens the key's life.
    await store.put(who, 'short', 'tva_short', new Date(Date.now() + 10_000));
    assert.ok((await redis.pttl(key)) > 55_000);
    await store.take(who, ['new', 'short'], new Date());
    assert.equal(await redis.exists(key), 0, 'a hash whose last field is taken is gone');
  });
});
