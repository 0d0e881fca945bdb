#!/usr/bin/env node
// Presents solc-js (npm `solc`) as a native `solc` binary to py-solc-x / ape-solidity.
// Supported: `--version`, `--standard-json` (JSON on stdin, imports read from disk) and the
// legacy `--combined-json` form that slither/crytic-compile use.
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

function makeImportResolver(roots, remappings) {
  return (importPath) => {
    let target = importPath;
    for (const [prefix, replacement] of remappings) {
      if (target.startsWith(prefix)) {
        target = replacement + target.slice(prefix.length);
        break;
      }
    }
    const candidates = path.isAbsolute(target)
      ? [target]
      : roots.map((root) => path.resolve(root, target));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(', ')})` };
  };
}

const roots = [
  process.cwd(),
  ...optionValues('--base-path'),
  ...optionValues('--include-path'),
  ...optionValues('--allow-paths'),
];

// Legacy `solc FILE... --combined-json abi,ast,... [prefix=path ...]` as crytic-compile
// (slither) calls it: translated to one standard-json compilation.
function combinedJson() {
  const valued = new Set(['--combined-json', '--allow-paths', '--base-path', '--include-path',
    '--evm-version', '--optimize-runs']);
  const files = [];
  const remappings = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (valued.has(arg)) { i += 1; continue; }
    if (arg.startsWith('--')) continue;
    if (arg.includes('=')) remappings.push(arg.split('=', 2));
    else files.push(arg);
  }
  const runs = optionValues('--optimize-runs')[0];
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(files.map((f) => [f, { content: fs.readFileSync(f, 'utf8') }])),
    settings: {
      remappings: remappings.map(([a, b]) => `${a}=${b}`),
      evmVersion: optionValues('--evm-version')[0] || 'london',
      optimizer: { enabled: argv.includes('--optimize'), runs: runs ? Number(runs) : 200 },
      viaIR: argv.includes('--via-ir'),
      outputSelection: {
        '*': {
          '*': ['abi', 'evm.bytecode.object', 'evm.bytecode.sourceMap',
            'evm.deployedBytecode.object', 'evm.deployedBytecode.sourceMap',
            'evm.methodIdentifiers', 'userdoc', 'devdoc'],
          '': ['ast'],
        },
      },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input),
    { import: makeImportResolver(roots, remappings) }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  if (errors.length) {
    process.stderr.write(errors.map((e) => e.formattedMessage).join('\n'));
    process.exitCode = 1;
    return;
  }
  const contracts = {};
  for (const [source, byName] of Object.entries(output.contracts || {})) {
    for (const [name, c] of Object.entries(byName)) {
      contracts[`${source}:${name}`] = {
        abi: c.abi,
        bin: c.evm.bytecode.object,
        'bin-runtime': c.evm.deployedBytecode.object,
        srcmap: c.evm.bytecode.sourceMap || '',
        'srcmap-runtime': c.evm.deployedBytecode.sourceMap || '',
        userdoc: c.userdoc,
        devdoc: c.devdoc,
        hashes: c.evm.methodIdentifiers,
      };
    }
  }
  const sourceList = Object.keys(output.sources || {})
    .sort((a, b) => output.sources[a].id - output.sources[b].id);
  const sources = Object.fromEntries(
    sourceList.map((name) => [name, { AST: output.sources[name].ast, id: output.sources[name].id }]),
  );
  process.stdout.write(JSON.stringify({ contracts, sourceList, sources, version: solc.version() }));
}

if (argv.includes('--version')) {
  process.stdout.write('solc, the solidity compiler commandline interface\n');
  process.stdout.write(`Version: ${solc.version()}\n`);
} else if (argv.includes('--standard-json')) {
  const input = fs.readFileSync(0, 'utf8');
  // Let node exit on its own: process.exit() right after a large write to a pipe truncates it.
  process.stdout.write(solc.compile(input, { import: makeImportResolver(roots, []) }));
} else if (argv.includes('--combined-json')) {
  combinedJson();
} else {
  process.stderr.write(
    'civic-ledger solc shim: only --version, --standard-json and --combined-json are supported\n',
  );
  process.exitCode = 2;
}
