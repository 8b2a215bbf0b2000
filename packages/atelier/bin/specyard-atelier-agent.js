#!/usr/bin/env node
// The installed command: a committed file, so installing the workspace before a build links it
// (dist/ is built later). It runs the bundled agent CLI.
import "../dist/agent-cli.js";
