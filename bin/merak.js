#!/usr/bin/env node
'use strict';
// Entry point of the `merak` command; the compiled CLI lives in dist/ (built by `npm ci` via `prepare`).
require('../dist/cli/main.js');
