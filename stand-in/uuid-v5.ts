import { createHash } from 'node:crypto';

/** The nil UUID, used by Nango as the root namespace for record ids. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * RFC 4122 name-based UUID (version 5, SHA-1), identical to `uuid.v5(name, namespace)` from the
 * `uuid` package: the name is hashed as UTF-8 after the 16 namespace bytes.
 */
export function uuidV5(name: string, namespace: string): string {
  const namespaceBytes = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  if (namespaceBytes.length !== 16) throw new TypeError(`Invalid namespace UUID: ${namespace}`);
  const hash = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
