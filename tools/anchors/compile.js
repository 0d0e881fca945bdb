#!/usr/bin/env node
// Compiles the benchmark's anchor contracts (EAS, ERC-3643 / ONCHAINID, a plain ERC-721) with
// whichever solc-js version their pragma needs. Called by civic_ledger/bench/anchors.py:
//
//   node tools/anchors/compile.js --solc solc-0.8.17 \
//        --remap @openzeppelin/contracts/=openzeppelin-contracts-4.9.3/ < input.json > output.json
//
// stdin: a solc standard-json input whose `sources` name files by their import path (e.g.
// "@tokenysolutions/t-rex/contracts/registry/implementation/IdentityRegistry.sol" or
// "tools/anchors/PlainERC721.sol"); sources without `content` and every import are read from
// disk: first through the remappings (into node_modules), then node_modules/<path>, then
// <repo>/<path>. stdout: the standard-json output. `--solc` names the npm package (or alias)
// holding solc-js, so several compiler versions coexist (`solc-0.8.29@npm:solc@0.8.29`).
'use strict';
const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '..', '..');
const nodeModules = path.join(repo, 'node_modules');
const argv = process.argv.slice(2);

function values(name) {
  const out = [];
  argv.forEach((arg, i) => {
    if (arg === name && argv[i + 1] !== undefined) out.push(argv[i + 1]);
  });
  return out;
}

const solcPackage = values('--solc')[0] || 'solc';
const remappings = values('--remap').map((r) => {
  const at = r.indexOf('=');
  return [r.slice(0, at), r.slice(at + 1)];
});

function locate(importPath) {
  const candidates = [];
  for (const [prefix, target] of remappings) {
    if (importPath.startsWith(prefix)) {
      candidates.push(path.join(nodeModules, target + importPath.slice(prefix.length)));
    }
  }
  candidates.push(path.join(nodeModules, importPath), path.join(repo, importPath));
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
}

function readImport(importPath) {
  const file = locate(importPath);
  return file ? { contents: fs.readFileSync(file, 'utf8') } : { error: `File not found: ${importPath}` };
}

const solc = require(path.join(nodeModules, solcPackage));
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
for (const [name, source] of Object.entries(input.sources)) {
  if (source.content === undefined) {
    const found = readImport(name);
    if (found.error) {
      process.stderr.write(`${found.error}\n`);
      process.exitCode = 2;
      return;
    }
    source.content = found.contents;
  }
}
const output = solc.compile(JSON.stringify(input), { import: readImport });
// Let node exit by itself: process.exit() right after a large write to a pipe truncates it.
process.stdout.write(output);
