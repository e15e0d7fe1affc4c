import assert from 'node:assert/strict';
import { mediaType } from '../../../src/proxy/media-type.ts';

describe('a Content-Type is matched as a media type, never by prefix', () => {
  const cases: ReadonlyArray<[string | undefined, string]> = [
    ['application/json', 'application/json'],
    ['Application/JSON; charset=utf-8', 'application/json'],
    [' text/event-stream ;charset=utf-8', 'text/event-stream'],
    ['application/json-seq', 'application/json-seq'],
    [undefined, ''],
  ];
  for (const [header, type] of cases) it(`${String(header)} -> "${type}"`, () => assert.equal(mediaType(header), type));
});
