import { randomFillSync } from "node:crypto";

/**
 * Object ids are a prefix plus a 27-character base62 string of 6 bytes of milliseconds and 14
 * random bytes (a millisecond KSUID, as Svix uses). Ids of one kind sort by creation time, so they
 * double as pagination cursors.
 */
export const ID_PREFIXES = {
  application: "app_",
  endpoint: "ep_",
  message: "msg_",
  attempt: "atmpt_",
  backgroundTask: "qtask_",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ENCODED_LENGTH = 27;

const WORD = 2 ** 32;

/**
 * The 20 bytes as a 27-digit base62 number, by long division of five 32-bit words: each step's
 * remainder times 2^32 plus a word stays below 2^38, exact in a double (BigInt was 4 times slower).
 */
function encodeBase62(bytes: Buffer): string {
  const words = [bytes.readUInt32BE(0), bytes.readUInt32BE(4), bytes.readUInt32BE(8), bytes.readUInt32BE(12), bytes.readUInt32BE(16)];
  let text = "";
  for (let digit = 0; digit < ENCODED_LENGTH; digit++) {
    let remainder = 0;
    for (let index = 0; index < words.length; index++) {
      const value = remainder * WORD + words[index]!;
      words[index] = Math.floor(value / 62);
      remainder = value - words[index]! * 62;
    }
    text = BASE62[remainder] + text;
  }
  return text;
}

/**
 * The last id bytes made by this process. Ids made in the same millisecond (or when the clock
 * steps back) continue from it, incremented, so one process's ids are strictly increasing: FIFO
 * lanes order deliveries by message id, and messages posted in a row must keep their order.
 */
let lastBytes = Buffer.alloc(20);

/**
 * Random bytes are drawn from a pool refilled 4 KiB at a time: one call into the CSPRNG per id
 * cost more than the rest of making it, and the worker makes one per attempt.
 */
const randomPool = Buffer.alloc(4096);
let randomPoolOffset = randomPool.length;

function copyRandomBytes(target: Buffer, at: number, count: number): void {
  if (randomPoolOffset + count > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  randomPool.copy(target, at, randomPoolOffset, randomPoolOffset + count);
  randomPoolOffset += count;
}

export function newId(kind: IdKind, nowMs: number = Date.now()): string {
  const bytes = Buffer.alloc(20);
  bytes.writeUIntBE(nowMs, 0, 6);
  copyRandomBytes(bytes, 6, 14);
  if (Buffer.compare(bytes.subarray(0, 6), lastBytes.subarray(0, 6)) <= 0) {
    lastBytes.copy(bytes);
    incrementRandomPart(bytes);
  }
  lastBytes = bytes;
  return ID_PREFIXES[kind] + encodeBase62(bytes);
}

/** Adds one to the 14 random bytes (a carry out of them is practically impossible and ignored). */
function incrementRandomPart(bytes: Buffer): void {
  for (let index = bytes.length - 1; index >= 6; index--) {
    bytes[index] = (bytes[index]! + 1) & 0xff;
    if (bytes[index] !== 0) return;
  }
}

/** The smallest id of a kind created at or after `ms`: a time bound usable against id columns. */
export function idLowerBoundAt(kind: IdKind, ms: number): string {
  const bytes = Buffer.alloc(20);
  bytes.writeUIntBE(Math.max(0, Math.floor(ms)), 0, 6);
  return ID_PREFIXES[kind] + encodeBase62(bytes);
}

export function hasIdPrefix(kind: IdKind, value: string): boolean {
  return value.startsWith(ID_PREFIXES[kind]) && value.length === ID_PREFIXES[kind].length + ENCODED_LENGTH;
}
