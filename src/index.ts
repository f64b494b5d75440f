import * as core from '@actions/core';
import { main } from './main.js';
import { post } from './post.js';
import { isPost, markMainStarted } from './state.js';

async function run(): Promise<void> {
  try {
    if (isPost) {
      await post();
    } else {
      markMainStarted();
      await main();
    }
  } catch (err) {
    core.setFailed(err instanceof Error ? err.message : String(err));
  }
}

// Not awaited at the top level: the bundle is CommonJS (scripts/bundle.ts).
void run();
