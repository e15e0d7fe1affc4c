import assert from 'node:assert/strict';
import { redisConfigSchema } from '../../../src/store/config.ts';
import { redisAddress } from '../../../src/store/create.ts';

describe('store: the redis configuration section', () => {
  it('fills the defaults from a bare url', () => {
    assert.deepEqual(redisConfigSchema.parse({ url: 'redis://127.0.0.1:6379' }), {
      url: 'redis://127.0.0.1:6379',
      key_prefix: 'regate:',
      connect_timeout_ms: 5000,
      command_timeout_ms: 2000,
    });
  });

  it('defaults tls.reject_unauthorized to true', () => {
    assert.equal(redisConfigSchema.parse({ url: 'rediss://r:6380', tls: { ca_file: 'ca.pem' } }).tls?.reject_unauthorized, true);
  });

  const refused: Array<[name: string, input: unknown, message: RegExp]> = [
    ['an http URL', { url: 'http://127.0.0.1:6379' }, /redis:\/\/ or rediss:\/\//],
    ['an unknown key (a typo in a security setting)', { url: 'redis://r', pasword: 'x' }, /pasword/],
    ['tls with a redis:// URL', { url: 'redis://r', tls: {} }, /use a rediss:\/\/ URL/],
    ['an unknown tls key', { url: 'rediss://r', tls: { verify: false } }, /verify/],
    ['a client certificate without its key', { url: 'rediss://r', tls: { cert_file: 'c.pem' } }, /cert_file and key_file go together/],
    ['a zero command timeout', { url: 'redis://r', command_timeout_ms: 0 }, /command_timeout_ms/],
  ];
  for (const [name, input, message] of refused) {
    it(`refuses ${name}`, () => {
      const r = redisConfigSchema.safeParse(input);
      assert.equal(r.success, false);
      assert.match(JSON.stringify(r.error?.issues), message);
    });
  }

  const addresses: Array<[url: string, password: string | undefined, expected: ReturnType<typeof redisAddress>]> = [
    ['redis://127.0.0.1', undefined, { host: '127.0.0.1', port: 6379, db: 0 }],
    ['rediss://redis.internal', undefined, { host: 'redis.internal', port: 6380, db: 0 }],
    ['redis://app:p%40ss@r:7000/3', undefined, { host: 'r', port: 7000, username: 'app', password: 'p@ss', db: 3 }],
    ['redis://:fromurl@r', 'fromconfig', { host: 'r', port: 6379, password: 'fromconfig', db: 0 }],
    ['redis://[::1]:6379', undefined, { host: '::1', port: 6379, db: 0 }],
  ];
  for (const [url, password, expected] of addresses) {
    it(`reads ${url}${password ? ' with a configured password' : ''}`, () => {
      assert.deepEqual(redisAddress({ url, ...(password ? { password } : {}) }), expected);
    });
  }

  it('refuses a URL path that is not a database number', () => {
    assert.throws(() => redisAddress({ url: 'redis://r/cache' }), { code: 'REGATE_ERR_CONFIG_INVALID' });
  });
});
