#!/usr/bin/env node
import "../dist/envject.js";
