#!/usr/bin/env node
// PowerShell syntax check without PowerShell.
//
//   node tools/pscheck/check.mjs            every tracked *.ps1, *.psm1 and *.psd1 of the repository (git ls-files)
//   node tools/pscheck/check.mjs FILE...    the given files
//
// Parses each file with tree-sitter-powershell and reports every ERROR or MISSING node as
// "file:line:col: error: ..." (1-based). Exit code: 0 clean, 1 syntax errors, 2 usage or setup problem.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let Parser, PowerShell;
try {
  Parser = (await import('tree-sitter')).default;
  // The explicit file avoids Node's deprecation warning for the package's extension-less "main".
  PowerShell = (await import('tree-sitter-powershell/bindings/node/index.js')).default;
} catch (e) {
  console.error(`pscheck: cannot load tree-sitter (run 'npm ci' in tools/pscheck): ${e.message}`);
  process.exit(2);
}

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const extensions = /\.(ps1|psm1|psd1)$/i;

function trackedFiles() {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*.ps1', '*.psm1', '*.psd1'], { cwd: repo, encoding: 'utf8' });
  return out.split('\0').filter((f) => f.length > 0 && extensions.test(f)).map((f) => join(repo, f)).sort();
}

const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : trackedFiles();
if (files.length === 0) {
  console.error('pscheck: no PowerShell files to check');
  process.exit(2);
}

const parser = new Parser();
parser.setLanguage(PowerShell);

function problems(tree) {
  const found = [];
  const cursor = tree.walk();
  let descend = true;
  for (;;) {
    const node = cursor.currentNode;
    if (descend) {
      if (node.isMissing) {
        found.push({ node, text: `missing ${node.type === '' ? 'token' : `'${node.type}'`}` });
      } else if (node.type === 'ERROR') {
        const snippet = node.text.split('\n')[0].slice(0, 60);
        found.push({ node, text: `unexpected syntax near '${snippet}'` });
      }
      // Only subtrees that contain an error are worth walking into.
      if (node.hasError && cursor.gotoFirstChild()) continue;
    }
    if (cursor.gotoNextSibling()) { descend = true; continue; }
    if (!cursor.gotoParent()) break;
    descend = false;
  }
  return found;
}

let failed = 0;
for (const file of files) {
  let text = readFileSync(file, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const tree = parser.parse(text);
  const list = problems(tree);
  const name = relative(process.cwd(), file) || file;
  for (const { node, text: message } of list) {
    console.log(`${name}:${node.startPosition.row + 1}:${node.startPosition.column + 1}: error: ${message}`);
  }
  if (list.length > 0 || tree.rootNode.hasError) failed++;
}

console.log(`pscheck: ${files.length} file(s) checked, ${failed} with syntax errors`);
process.exit(failed > 0 ? 1 : 0);
