#!/usr/bin/env node
'use strict';
require('../../bin/merak.js');
