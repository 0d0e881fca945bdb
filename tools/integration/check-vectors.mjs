// Recomputes every vector of docs/integration-vectors.json with ethers.js alone, from the
// rules written in docs/integration.md (no civic-ledger code): proof that the spec is
// language-neutral. Exit 0 when all match; 1 and one line per mismatch otherwise.
//
//   node tools/integration/check-vectors.mjs [docs/integration-vectors.json]
import { readFileSync } from "node:fs";
import { AbiCoder, TypedDataEncoder, concat, getBytes, keccak256, toUtf8Bytes } from "ethers";

const file = process.argv[2] ?? new URL("../../docs/integration-vectors.json", import.meta.url);
const vectors = JSON.parse(readFileSync(file, "utf8"));
const abi = AbiCoder.defaultAbiCoder();
const failures = [];
let checked = 0;

function expect(kind, label, actual, wanted) {
  checked += 1;
  if (String(actual).toLowerCase() !== String(wanted).toLowerCase()) {
    failures.push(`${kind} ${label}: computed ${actual}, vector says ${wanted}`);
  }
}

// Subject commitment: keccak256(salt (32 bytes) ‖ UTF-8 of NFKC(id).trim().toUpperCase()).
for (const v of vectors.commitments) {
  const canonical = v.officialId.normalize("NFKC").trim().toUpperCase();
  expect("normalisation", v.description, canonical, v.normalised);
  expect("commitment", v.description, keccak256(concat([v.salt, toUtf8Bytes(canonical)])), v.subject);
}

// Document hash: keccak-256 of the file's bytes, or of the text's UTF-8 bytes.
for (const v of vectors.documentHashes) {
  const bytes = v.bytes !== undefined ? getBytes(v.bytes) : toUtf8Bytes(v.text);
  expect("document", v.description, keccak256(bytes), v.hash);
}

// Parcel id: uint256(keccak256(UTF-8 of the cadastral code)).
for (const v of vectors.parcelIds) {
  const id = BigInt(keccak256(toUtf8Bytes(v.cadastralCode)));
  expect("parcel id", v.cadastralCode, id.toString(), v.parcelId);
  expect("parcel id hex", v.cadastralCode, "0x" + id.toString(16), v.parcelIdHex);
}

// Record data: abi.encode of the layout's fields in layout order (static types only).
for (const v of vectors.recordData) {
  const fields = v.layout === "" ? [] : v.layout.split(",").map((f) => f.trim().split(/\s+/));
  const data = abi.encode(fields.map(([type]) => type), fields.map(([, name]) => v.values[name]));
  expect("record data", v.layout || "(empty layout)", fields.length ? data : "0x", v.data);
}

// Record id: keccak256(abi.encode(address registry, uint256 recordNumber, bytes32 subject, uint64 schemaId)).
for (const v of vectors.recordIds) {
  const id = keccak256(abi.encode(["address", "uint256", "bytes32", "uint64"],
    [v.registry, v.recordNumber, v.subject, v.schemaId]));
  expect("record id", `#${v.recordNumber}`, id, v.recordId);
}

// Sale encumbrance: keccak256(abi.encode(saleId, parcelId, lienIds[], holders[], amounts[], consents uint8[])), liens by id.
for (const v of vectors.saleEncumbrances) {
  const liens = [...v.liens].sort((a, b) => (BigInt(a.lienId) < BigInt(b.lienId) ? -1 : 1));
  const hash = keccak256(abi.encode(
    ["uint256", "uint256", "uint256[]", "bytes32[]", "uint256[]", "uint8[]"],
    [v.saleId, v.parcelId, liens.map((l) => l.lienId), liens.map((l) => l.holder),
     liens.map((l) => l.amount), liens.map((l) => l.consent)]));
  expect("encumbrance", v.description, hash, v.encumbranceHash);
}

// Signed issuance: the EIP-712 digest of IssueRecord under the registry's domain.
for (const v of vectors.issueDigests) {
  const types = { IssueRecord: v.types.IssueRecord };
  expect("EIP-712", v.description, TypedDataEncoder.hash(v.domain, types, v.message), v.digest);
}

if (failures.length) {
  for (const line of failures) console.error(line);
  console.error(`${failures.length} of ${checked} vectors differ`);
  process.exit(1);
}
console.log(`integration vectors: ${checked} checks, all match (ethers ${(await import("ethers")).version})`);
