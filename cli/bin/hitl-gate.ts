#!/usr/bin/env node
// The `hitl-gate` command. In the checkout: `npx hitl-gate <command> …` (npm links this workspace's bin,
// and npx puts the project's Node 24 first on PATH, which runs this TypeScript file as it is).
import { main } from '../src/main.ts';

process.exitCode = await main(process.argv.slice(2));
