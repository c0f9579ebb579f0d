// Rewrites the package's own ES-module snippets (wasm/js/*.js as wasm-bindgen copies them)
// into CommonJS for the Node build, whose wasm-bindgen glue loads them with `require`:
// Node 18 and early Node 20 cannot `require` an ES module.
//
// The snippets keep to three forms so this stays a small, exact rewrite (anything else is
// an error, never a silent mistranslation):
//   import { A, B } from './x.js';         -> const { A, B } = require('./x.js');
//   export [async] function name / class Name -> the same without `export`, listed in
//                                             module.exports at the end.
// Usage: node to-commonjs.mjs <file.js>...   (rewrites in place)

import { readFileSync, writeFileSync } from 'node:fs';

for (const file of process.argv.slice(2)) {
  const source = readFileSync(file, 'utf8');
  const names = [];
  const out = source
    .replace(/^import \{([^}]*)\} from '([^']+)';$/gm, (_, list, from) => `const {${list}} = require('${from}');`)
    .replace(/^export (async function|function|class) ([A-Za-z_$][\w$]*)/gm, (_, kind, name) => {
      names.push(name);
      return `${kind} ${name}`;
    });
  if (/^\s*(import|export)\b/m.test(out)) {
    throw new Error(`${file}: an import or export form the CommonJS rewrite does not know`);
  }
  writeFileSync(file, `'use strict';\n${out}\nmodule.exports = { ${names.join(', ')} };\n`);
}
