import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { hasIdPrefix, idLowerBoundAt, newId } from "../../src/domain/ids.ts";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The id's 20 bytes, decoded the slow and obvious way (BigInt), to check the encoder against. */
function decode(id: string, prefix: string): Buffer {
  assert.ok(id.startsWith(prefix), id);
  let value = 0n;
  for (const char of id.slice(prefix.length)) {
    const digit = BASE62.indexOf(char);
    assert.ok(digit >= 0, `not base62: ${char} in ${id}`);
    value = value * 62n + BigInt(digit);
  }
  assert.ok(value < 2n ** 160n, `${id} is more than 20 bytes`);
  return Buffer.from(value.toString(16).padStart(40, "0"), "hex");
}

describe("ids", () => {
  test("a prefix, 27 base62 characters, the creation millisecond in the first 6 bytes", () => {
    for (const ms of [0, 1, 1_700_000_000_000, Date.now(), 2 ** 48 - 1]) {
      const id = newId("message", ms);
      assert.ok(hasIdPrefix("message", id), id);
      assert.equal(decode(id, "msg_").readUIntBE(0, 6), ms);
    }
  });

  test("the lower bound of a millisecond is its time and zeros, and sorts before its ids", () => {
    for (const ms of [0, 1, 62, 1_700_000_000_000, 2 ** 48 - 1]) {
      const bound = idLowerBoundAt("attempt", ms);
      const bytes = decode(bound, "atmpt_");
      assert.equal(bytes.readUIntBE(0, 6), ms);
      assert.ok(bytes.subarray(6).every((byte) => byte === 0));
      assert.ok(bound <= newId("attempt", ms));
    }
  });

  test("ids made in one millisecond, or with the clock stepping back, strictly increase", () => {
    const at = 1_800_000_000_000;
    const ids = [newId("endpoint", at), newId("endpoint", at), newId("endpoint", at - 5), newId("endpoint", at + 1)];
    for (let index = 1; index < ids.length; index++) assert.ok(ids[index - 1]! < ids[index]!, `${ids[index - 1]} < ${ids[index]}`);
    const [first, second] = ids.map((id) => decode(id, "ep_"));
    assert.equal(BigInt("0x" + second!.toString("hex")) - BigInt("0x" + first!.toString("hex")), 1n);
  });

  test("random parts differ between ids of different milliseconds", () => {
    const randomParts = new Set(Array.from({ length: 1000 }, (_, n) => decode(newId("application", 1_900_000_000_000 + n), "app_").subarray(6).toString("hex")));
    assert.equal(randomParts.size, 1000);
  });
});
