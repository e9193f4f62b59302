#!/usr/bin/env node
// Runs bin/annoflow.ts through tsx's loader (a dev dependency, like `npm start`'s).
import { register } from 'tsx/esm/api';

register();
await import('./annoflow.ts');
