#!/usr/bin/env node
// SPDX-License-Identifier: EUPL-1.2
// Speaks enough of native `solc`'s command line for py-solc-x, backed by solc-js from npm:
//   --version                 prints "Version: <long version>" like native solc
//   --standard-json [...]     reads Standard JSON on stdin, writes only the JSON output on stdout
// Imports resolve against --base-path, then each --include-path, then node_modules (for @openzeppelin/...).
// --allow-paths is accepted and ignored (solc-js reads nothing itself: this callback does).
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const args = process.argv.slice(2);
if (args.includes("--version")) {
  process.stdout.write("solc, the solidity compiler commandline interface\nVersion: " + solc.version() + "\n");
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("solc-standard-json: only --version and --standard-json are supported\n");
  process.exit(2);
}

const roots = [];
for (let i = 0; i < args.length; i++) {
  if ((args[i] === "--base-path" || args[i] === "--include-path") && args[i + 1]) roots.push(args[++i]);
  else if (args[i] === "--allow-paths") i++;
}
roots.push(process.cwd(), path.join(__dirname, "..", "node_modules"));

function findImports(importPath) {
  for (const root of roots) {
    const candidate = path.resolve(root, importPath);
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  }
  return { error: "File not found: " + importPath };
}

const input = fs.readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
