#!/usr/bin/env node
import { buildApp } from '../lib/app';

// Configuration: cdk.json "context" or `-c key=value` (see docs/deployment.md).
buildApp();
