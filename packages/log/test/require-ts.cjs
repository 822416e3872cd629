// Lets a process or a worker thread run this repository's TypeScript sources (Node 22 strips
// types): relative `./x.js` imports resolve to `./x.ts` when only the source exists. Synchronous
// hooks, registered in the thread itself: a thread started from the sources requires this file
// first, and a child process imports it through register-ts.mjs.
const { existsSync } = require('node:fs');
const { registerHooks } = require('node:module');
const { fileURLToPath } = require('node:url');

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
      const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (!existsSync(fileURLToPath(new URL(specifier, context.parentURL))) && existsSync(fileURLToPath(candidate))) {
        return nextResolve(candidate.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
});
