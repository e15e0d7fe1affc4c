import assert from 'node:assert/strict';
import { CTX_PHONE, CTX_SECRET, CTX_SSN, keyContext } from '../../../src/masking/context.ts';
import { ALL_BUILTIN, scanBuiltins } from '../../../src/masking/scanner.ts';
import { iban, luhn, mod97, ssn } from '../../../src/masking/validators.ts';

/** What the scanner finds in `text`: [detector, the original text it covers]. */
function found(text: string, ctx = 0): [string, string][] {
  return scanBuiltins(text, ALL_BUILTIN, ctx).map((h) => [h.detector, text.slice(h.start, h.end)]);
}

type Case = [name: string, text: string, expected: [string, string][], ctx?: number];

function table(title: string, cases: readonly Case[]): void {
  describe(title, () => {
    for (const [name, text, expected, ctx] of cases) {
      it(name, () => assert.deepEqual(found(text, ctx ?? 0), expected));
    }
  });
}

const AZURE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

describe('detectors', () => {
  table('credit_card: 13-19 digits, any separators, Luhn, issuer ranges 2-6', [
    ['a Visa number written plainly', 'card 4111111111111111 ok', [['credit_card', '4111111111111111']]],
    ['groups of four separated by spaces', 'card 4111 1111 1111 1111.', [['credit_card', '4111 1111 1111 1111']]],
    ['dashes', '5555-5555-5555-4444', [['credit_card', '5555-5555-5555-4444']]],
    ['dots', '4111.1111.1111.1111', [['credit_card', '4111.1111.1111.1111']]],
    ['mixed separators', '4111 1111-1111.1111', [['credit_card', '4111 1111-1111.1111']]],
    ['double separators', '4111 - 1111 1111 1111', [['credit_card', '4111 - 1111 1111 1111']]],
    ['a 15-digit Amex in 4-6-5 groups', 'amex 3782 822463 10005', [['credit_card', '3782 822463 10005']]],
    ['a 13-digit Visa', '4222222222222', [['credit_card', '4222222222222']]],
    ['a 19-digit number', '4512345678901234564', [['credit_card', '4512345678901234564']]],
    ['a Mastercard 2-series', '2223 0031 2200 3222', [['credit_card', '2223 0031 2200 3222']]],
    ['a card followed by an expiry date in the same run', '4111 1111 1111 1111 12 27', [['credit_card', '4111 1111 1111 1111']]],
    ['a card inside JSON-looking text', '{"pan":"6011111111111117"}', [['credit_card', '6011111111111117']]],
  ]);
  table('credit_card negatives', [
    ['a Luhn-invalid number', '4111 1111 1111 1112', []],
    ['12 digits', '411111111116', []],
    ['20 digits as one number', '41111111111111111113', []],
    ['a Luhn-valid number outside the issuer ranges (1...)', '1234567812345670', []],
    ['digits glued to letters (a hash)', 'a4111111111111111b', []],
    ['a millisecond timestamp', '1732960800000', []],
  ]);

  table('email', [
    ['a plain address', 'mail ada@example.com.', [['email', 'ada@example.com']]],
    ['dots, plus and subdomains', 'first.last+tag@mail.example.co.uk', [['email', 'first.last+tag@mail.example.co.uk']]],
    ['an apostrophe', "o'brien@example.org", [['email', "o'brien@example.org"]]],
    ['a non-ASCII local part', 'müller@example.de', [['email', 'müller@example.de']]],
    ['in angle brackets', 'Ada <ada@example.com>', [['email', 'ada@example.com']]],
  ]);
  table('email negatives', [
    ['a scoped npm package', 'npm i @modelcontextprotocol/sdk', []],
    ['a host without a top-level domain', 'user@localhost', []],
    ['an @ between words', 'meet @ noon', []],
    ['a handle', 'ping @ada on chat', []],
  ]);

  table('ssn: AAA-GG-SSSS outside the never-issued ranges', [
    ['dashes', 'SSN 123-45-6789', [['ssn', '123-45-6789']]],
    ['spaces', '219 09 9999', [['ssn', '219 09 9999']]],
    ['mixed separators', '219-09 9999', [['ssn', '219-09 9999']]],
    ['nine bare digits after the word SSN', 'SSN: 219099999', [['ssn', '219099999']]],
    ['nine bare digits under an ssn key', '219099999', [['ssn', '219099999']], CTX_SSN],
  ]);
  table('ssn negatives', [
    ['area 000', '000-12-3456', []],
    ['area 666', '666-12-3456', []],
    ['area 9xx', '900-12-3456', []],
    ['group 00', '123-00-4567', []],
    ['serial 0000', '123-45-0000', []],
    ['nine bare digits without context (an order number)', 'order 219099999', []],
  ]);

  table('iban: known country, its length, mod-97', [
    ['German, grouped', 'IBAN DE89 3704 0044 0532 0130 00 end', [['iban', 'DE89 3704 0044 0532 0130 00']]],
    ['British with letters, compact', 'GB82WEST12345698765432', [['iban', 'GB82WEST12345698765432']]],
    ['French with a letter in the account', 'FR14 2004 1010 0505 0001 3M02 606', [['iban', 'FR14 2004 1010 0505 0001 3M02 606']]],
    ['Dutch', 'NL91ABNA0417164300', [['iban', 'NL91ABNA0417164300']]],
    ['Norwegian (15 characters)', 'NO9386011117947', [['iban', 'NO9386011117947']]],
    ['followed by words in capitals', 'DE89370400440532013000 BIC COBADEFFXXX', [['iban', 'DE89370400440532013000']]],
  ]);
  table('iban negatives', [
    ['a wrong check', 'DE89370400440532013001', []],
    ['one character short', 'DE8937040044053201300', []],
    ['an unknown country', 'XX89370400440532013000', []],
  ]);

  table('phone: E.164 always, national forms with context', [
    ['E.164 with spaces', 'call +44 20 7946 0958', [['phone', '+44 20 7946 0958']]],
    ['E.164 compact', '+4915112345678', [['phone', '+4915112345678']]],
    ['E.164 with a parenthesised area', '+1 (415) 555-0132', [['phone', '+1 (415) 555-0132']]],
    ['North American with parentheses', '(415) 555-0132', [['phone', '(415) 555-0132']]],
    ['national form after "phone:"', 'phone: 020 7946 0958', [['phone', '020 7946 0958']]],
    ['national form after "Tel."', 'Tel. 06 12 34 56 78', [['phone', '06 12 34 56 78']]],
    ['national form under a phone key', '415.555.0132', [['phone', '415.555.0132']], CTX_PHONE],
  ]);
  table('phone negatives', [
    ['ten digits without context', 'ref 4155550132', []],
    ['a short E.164-looking number', '+1 555', []],
    ['a year range', 'from 2019-2024', []],
  ]);

  // Only the digits that could start a value stop the search (eight or more digits, four dotted
  // groups, digits after two capitals); a number glued to a word skips that word only.
  table('numbers right after a word with digits', [
    ['a card after a reference glued to its digit', 'ref1 4111 1111 1111 1111', [['credit_card', '4111 1111 1111 1111']]],
    ['an SSN after a hex word', 'sha 9fceb02d 123-45-6789', [['ssn', '123-45-6789']]],
    ['an IBAN glued to a count, then a card', 'x2DE89370400440532013000 4111111111111111', [['credit_card', '4111111111111111']]],
    ['an IPv4 address after a short number', 'hop 7 10.0.0.1', [['ip', '10.0.0.1']]],
    ['an IPv4 address inside a run of short groups', 'at 1-2.3.4.5', [['ip', '2.3.4.5']]],
    ['an IBAN with letters in its account part', 'pay GB82WEST12345698765432 now', [['iban', 'GB82WEST12345698765432']]],
  ]);

  table('ip: IPv4 and IPv6', [
    ['IPv4', 'from 192.168.1.10.', [['ip', '192.168.1.10']]],
    ['IPv4 in a CIDR', '10.0.0.0/8', [['ip', '10.0.0.0']]],
    ['IPv6 compressed', 'via 2001:db8::1 now', [['ip', '2001:db8::1']]],
    ['IPv6 full', 'fe80:0:0:0:1ff:fe23:4567:890a', [['ip', 'fe80:0:0:0:1ff:fe23:4567:890a']]],
    ['IPv6 link-local compressed', 'fe80::1ff:fe23:4567:890a', [['ip', 'fe80::1ff:fe23:4567:890a']]],
    ['IPv4-mapped IPv6', '::ffff:192.0.2.1', [['ip', '::ffff:192.0.2.1']]],
    // Colons of a run judged not an address are not judged again: the next run still is.
    ['an address right after times', 'at 10:30:00 and 23:59:59 from fe80::1 then 2001:db8:0:0:0:0:2:1 at 12:00', [['ip', 'fe80::1'], ['ip', '2001:db8:0:0:0:0:2:1']]],
    ['an address whose :: comes after its first colon', '2001:db8:85a3::8a2e:370:7334', [['ip', '2001:db8:85a3::8a2e:370:7334']]],
    ['an address after a long run of colons that is none', `${'1:'.repeat(30)}x fe80::2`, [['ip', 'fe80::2']]],
    ['a secret after a time', 'at 10:30:00 token: 9fQ2xL7pV3nR8sT1wK5m', [['secret', '9fQ2xL7pV3nR8sT1wK5m']]],
  ]);
  table('ip negatives', [
    ['a five-part version', '1.2.3.4.5', []],
    ['an octet over 255', '256.1.1.1', []],
    ['a time', '10:30:00', []],
    ['a MAC address', '00:1A:2B:3C:4D:5E', []],
    ['a C++ scope', 'std::vector', []],
    ['a semantic version', 'v1.2.3', []],
  ]);

  table('secret', [
    ['an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE here', [['secret', 'AKIAIOSFODNN7EXAMPLE']]],
    ['an Azure storage connection string key', `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${AZURE_KEY};EndpointSuffix=core.windows.net`, [['secret', AZURE_KEY]]],
    ['a Service Bus shared access key', 'Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=q1w2e3r4t5y6u7i8o9p0asdfghjklzxcvbnm1234567=', [['secret', 'q1w2e3r4t5y6u7i8o9p0asdfghjklzxcvbnm1234567=']]],
    ['a SAS token signature', 'https://a.blob.core.windows.net/c?sv=2022-11-02&sig=abcdEFGH1234ijklMNOP5678%2B%3D&se=2025', [['secret', 'abcdEFGH1234ijklMNOP5678%2B%3D']]],
    ['a JWT', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', [['secret', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U']]],
    ['a private key PEM block', 'x\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\ny', [['secret', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----']]],
    // The skip consumes dashes, A, B/b, x and J where token() would dismiss them: not these.
    ['a PEM block after a longer line of dashes', '------BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----', [['secret', '-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----']]],
    ['tokens right after letters the skip consumes', 'A B x J b: AKIAIOSFODNN7EXAMPLE xoxb-1234567890-abcdefghij', [['secret', 'AKIAIOSFODNN7EXAMPLE'], ['secret', 'xoxb-1234567890-abcdefghij']]],
    ['a JWT after an ordinary "ey"', 'hey eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ', [['secret', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ']]],
    ['a truncated PEM block (to the end)', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0', [['secret', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0']]],
    ['a bearer token', 'Authorization: Bearer abcDEF123456ghiJKL789xyz', [['secret', 'abcDEF123456ghiJKL789xyz']]],
    ['an api_key assignment', 'api_key=Zx81kLq0Pz7TyY2mWv4Q', [['secret', 'Zx81kLq0Pz7TyY2mWv4Q']]],
    ['a quoted client secret', 'client_secret: "Q~8aZ.k2-PzLmN0qR5sT7uV9wX"', [['secret', 'Q~8aZ.k2-PzLmN0qR5sT7uV9wX']]],
    ['a password in a config line', 'password = hunter2hunter2', [['secret', 'hunter2hunter2']]],
    ['a GitHub token', 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789', [['secret', 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789']]],
    ['a value under a secret key', 'Zx81kLq0Pz7TyY2mWv4Q', [['secret', 'Zx81kLq0Pz7TyY2mWv4Q']], CTX_SECRET],
  ]);
  table('secret negatives', [
    ['a keyword with a placeholder', 'password: ********', []],
    ['a keyword with a short word', 'token: none', []],
    ['a bearer challenge', 'WWW-Authenticate: Bearer realm="api"', []],
    ['a certificate (public)', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----', []],
    ['a low-entropy value after a keyword', 'secret=aaaaaaaaaaaaaaaa', []],
    ['an AKIA prefix that is too short', 'AKIA1234', []],
    ['prose under a secret key', 'see the vault', [], CTX_SECRET],
  ]);

  describe('context from JSON keys', () => {
    const keys: [string, number][] = [
      ['phone', CTX_PHONE],
      ['mobileNumber', CTX_PHONE],
      ['ssn', CTX_SSN],
      ['apiKey', CTX_SECRET],
      ['AWS_SECRET_ACCESS_KEY', CTX_SECRET],
      ['db_password', CTX_SECRET],
      ['access_token', CTX_SECRET],
      ['token_type', 0],
      ['max_tokens', 0],
      ['phone_verified_at', 0],
      ['name', 0],
    ];
    for (const [key, flags] of keys) it(`${key} -> ${flags}`, () => assert.equal(keyContext(key), flags));
  });

  describe('validators', () => {
    it('luhn accepts test card numbers and rejects a changed digit', () => {
      assert.equal(luhn('4111111111111111'), true);
      assert.equal(luhn('4111111111111121'), false);
    });
    it('mod97 and iban check IBANs, iban also the country length', () => {
      assert.equal(mod97('GB82WEST12345698765432'), true);
      assert.equal(iban('GB82 WEST 1234 5698 7654 32'), true);
      assert.equal(iban('GB82WEST1234569876543'), false);
    });
    it('ssn refuses never-issued ranges', () => {
      assert.equal(ssn('123-45-6789'), true);
      assert.equal(ssn('987-65-4321'), false);
    });
  });
});
