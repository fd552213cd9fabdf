import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeText } from '../../src/nango/nango-request.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const asResponseText = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

test('a body is read as Response.text() reads it, whether ASCII or not', () => {
  const bodies: Array<[string, Uint8Array]> = [
    ['ASCII', utf8('{"records":[{"id":"1","title":"plain \\u00e9 escaped"}]}')],
    ['ASCII over 1 MB (read as an external string)', utf8(`{"body":"${'x'.repeat(1_100_000)}"}`)],
    ['accents, CJK and an emoji', utf8('{"title":"café 日本 🚀"}')],
    ['a byte order mark', Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8('{"a":1}')])],
    ['a broken sequence', Uint8Array.from([...utf8('{"a":"'), 0xc3, ...utf8('"}')])],
    ['a NUL and control characters', utf8('{"a":"\u0000\u0001\t"}')],
  ];
  for (const [what, bytes] of bodies) assert.equal(decodeText(bytes), asResponseText(bytes), what);
  assert.equal(decodeText(utf8('{"title":"café"}')), '{"title":"café"}');
});

test('a body that is a view into a larger buffer reads only its own bytes', () => {
  const whole = Buffer.from('xx{"id":"7"}yy');
  assert.equal(decodeText(whole.subarray(2, whole.length - 2)), '{"id":"7"}');
});
