// require.cjs — what `require('wasmgrad')` reaches. wasmgrad is an ES module whose kernels are
// instantiated with a top-level await, which require() cannot wait for; this says so plainly
// instead of Node's "No exports main defined".
'use strict';

throw new Error(
  "wasmgrad is an ES module and cannot be loaded with require(). Use `import { Sequential } from 'wasmgrad'` " +
    "(in a .mjs file, or with \"type\": \"module\" in package.json), or from CommonJS: " +
    "`const { Sequential } = await import('wasmgrad')` inside an async function.",
);
