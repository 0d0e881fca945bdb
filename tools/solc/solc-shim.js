#!/usr/bin/env node
// Presents solc-js (npm `solc`) as a native `solc` binary to py-solc-x / ape-solidity.
// Supported: `--version` and `--standard-json` (JSON on stdin, imports read from disk).
// No downloads: the compiler is the one pinned in package.json.
'use strict';
const fs = require('fs');
const path = require('path');

const solc = require(path.join(__dirname, '..', '..', 'node_modules', 'solc'));
const argv = process.argv.slice(2);

function optionValues(name) {
  const values = [];
  argv.forEach((arg, i) => {
    if (arg === name && argv[i + 1] !== undefined) values.push(argv[i + 1]);
    else if (arg.startsWith(name + '=')) values.push(arg.slice(name.length + 1));
  });
  return values.flatMap((v) => v.split(',')).filter(Boolean);
}

if (argv.includes('--version')) {
  process.stdout.write('solc, the solidity compiler commandline interface\n');
  process.stdout.write(`Version: ${solc.version()}\n`);
} else if (argv.includes('--standard-json')) {
  const roots = [
    process.cwd(),
    ...optionValues('--base-path'),
    ...optionValues('--include-path'),
    ...optionValues('--allow-paths'),
  ];
  const findImports = (importPath) => {
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : roots.map((root) => path.resolve(root, importPath));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
  };
  const input = fs.readFileSync(0, 'utf8');
  // Let node exit on its own: process.exit() right after a large write to a pipe truncates it.
  process.stdout.write(solc.compile(input, { import: findImports }));
} else {
  process.stderr.write(
    'civic-ledger solc shim: only --version and --standard-json are supported\n',
  );
  process.exitCode = 2;
}
