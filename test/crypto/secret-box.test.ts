import assert from "node:assert/strict";
import { test } from "node:test";

import { makeSecretBox } from "../../src/crypto/secret-box.ts";

test("a sealed value opens to itself, here and in another box with the same main secret", () => {
  const box = makeSecretBox("main-secret-one");
  const sealed = box.seal("whsec_abc");
  assert.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.notEqual(box.seal("whsec_abc"), sealed, "a fresh iv for every seal");
  assert.equal(box.open(sealed), "whsec_abc");
  // Another process (herald worker beside herald api) has its own box: it must decrypt, not rely on
  // what the sealing box remembered.
  assert.equal(makeSecretBox("main-secret-one").open(sealed), "whsec_abc");
});

test("what one box sealed and remembers does not open in a box with another main secret", () => {
  const sealed = makeSecretBox("main-secret-one").seal("whsec_abc");
  assert.throws(() => makeSecretBox("main-secret-two").open(sealed), /HERALD_MAIN_SECRET/);
});

test("a tampered or unknown sealed text is refused", () => {
  const box = makeSecretBox("main-secret-one");
  const [version, iv, tag, ciphertext] = makeSecretBox("main-secret-one").seal("whsec_abc").split(".");
  const flipped = (ciphertext![0] === "A" ? "B" : "A") + ciphertext!.slice(1);
  assert.throws(() => box.open([version, iv, tag, flipped].join(".")), /HERALD_MAIN_SECRET/);
  assert.throws(() => box.open("v0.a.b.c"), /unknown format/);
});

test("more values than the box keeps opened still open, the first ones included", () => {
  const box = makeSecretBox("main-secret-one");
  const sealed = Array.from({ length: 50_010 }, (_, index) => box.seal(`value-${index}`));
  assert.equal(box.open(sealed[0]!), "value-0");
  assert.equal(box.open(sealed[50_009]!), "value-50009");
});
